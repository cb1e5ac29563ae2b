"""A client's journey through `portal serve`, in Debian's headless Chromium.

Each test drives the real thing: `portal serve` as a subprocess (its printed
addresses parsed as a person would read them), the static site with the CDN's
headers, the API, the local Stripe's hosted checkout page, signed webhooks, the
outbox drain, the re-publish and the mailbox. Every page is watched: no request
leaves the page's origin (only a navigation may go to the checkout), no console
error, no page error. Screenshots and the printed invoice go to
tests/artifacts/browser/ (or PORTAL_TEST_ARTIFACTS).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from functions.store.sqlite import SqliteStore
from site_builder.formatting import format_money
from site_builder.render import Theme
from tests.browser.conftest import Serve

pytestmark = pytest.mark.browser

JOURNEYS = [
    pytest.param("en", "en-US", "harbor-light", "INV-2026-0130", id="en"),
    pytest.param("zh_Hans", "zh-CN", "xinghe", "INV-2026-0131", id="zh_Hans"),
]
BANNER = "Test mode — no money moves"
SETTLE = 20.0  # seconds to wait for a webhook, the drain and the re-publish (a debit: 5 s more)


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    running = Serve(tmp_path_factory.mktemp("serve")).start()
    yield running
    running.stop()


def gettext(locale: str) -> Callable[[str], str]:
    return Theme().translations(locale).gettext


def ledger_entry(serve: Serve, number: str) -> dict[str, Any]:
    ledger = serve.workdir / ".portal" / "serve" / "build" / "ledger.json"
    return json.loads(ledger.read_text())["invoices"][number]


def meta_csp(page: Page) -> str:
    meta = page.locator('meta[http-equiv="Content-Security-Policy"]')
    expect(meta).to_have_count(1)
    return meta.get_attribute("content") or ""


def tab_to(page: Page, target: Locator, limit: int = 100) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through a page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def enter(page: Page) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def reload_until(page: Page, check: Callable[[], bool], what: str, timeout: float = SETTLE) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout} s on {page.url}")
        page.wait_for_timeout(250)
        page.reload()


def badge(page: Page) -> str:
    return page.locator(".invoice .badge").inner_text()


def invoice_card(page: Page, number: str) -> Locator:
    return page.locator("li.card").filter(has=page.locator("a.number", has_text=number))


@pytest.mark.parametrize(("locale", "browser_locale", "client", "number"), JOURNEYS)
def test_a_client_pays_an_invoice_with_the_keyboard_alone(
    serve: Serve,
    guarded: Callable[..., Page],
    artifacts: Path,
    locale: str,
    browser_locale: str,
    client: str,
    number: str,
) -> None:
    _ = gettext(locale)
    entry = ledger_entry(serve, number)
    page = guarded(serve, browser_locale)

    # the portal, from the address `portal serve` printed: the open invoices, due today
    response = page.goto(serve.portals[client])
    assert response is not None and response.ok
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-robots-tag"].startswith("noindex")
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = meta_csp(page)
    assert f"form-action {serve.site} {serve.checkout};" in csp
    expect(page.locator("#open-h")).to_have_text(_("Open invoices"))
    card = invoice_card(page, number)
    due_today = format_money(entry["amount_due"], entry["currency"], locale)
    expect(card.locator(".amount-due")).to_have_text(due_today)
    page.screenshot(path=artifacts / f"{locale}-portal.png", full_page=True)

    # the invoice, reached with Tab and Enter
    tab_to(page, card.locator("a.number"))
    enter(page)
    expect(page.locator("h1")).to_contain_text(number)
    expect(page.locator(".amount-due")).to_have_text(due_today)

    # printed: the invoice without the navigation and the buttons
    page.emulate_media(media="print")
    expect(page.locator(".invoice")).to_be_visible()
    expect(page.locator("nav")).to_be_hidden()
    assert page.locator("button").count() >= 1
    for button in page.locator("button").all():
        expect(button).to_be_hidden()
    page.pdf(path=artifacts / f"{locale}-invoice-printed.pdf")
    page.emulate_media(media="screen")
    expect(page.locator("nav")).to_be_visible()

    # Pay, then pay on the local checkout page: still Tab and Enter
    tab_to(page, page.locator("form.pay button").first)
    enter(page)
    assert page.url.startswith(f"{serve.checkout}/pay/")
    expect(page.get_by_role("note")).to_have_text(BANNER)
    tab_to(page, page.get_by_role("button", name="Pay by card"))
    enter(page)

    # Stripe's return: the API says at once that the money arrived, then leads back
    expect(page.locator("h1")).to_have_text(_("Thank you: payment received"))
    page.screenshot(path=artifacts / f"{locale}-paid-return.png", full_page=True)
    tab_to(page, page.get_by_role("link", name=_("Back to the invoice")))
    enter(page)

    # back in the portal: paid, with its receipt, once the webhook and the re-publish are done
    assert page.url.startswith(serve.portals[client].removesuffix("index.html"))
    reload_until(
        page,
        lambda: badge(page) == _("Paid") and page.locator(".receipts a").count() == 1,
        "the invoice paid with its receipt",
    )
    assert meta_csp(page) == csp  # the re-published page keeps its policy
    page.screenshot(path=artifacts / f"{locale}-invoice.png", full_page=True)
    receipt = page.locator(".receipts a")
    receipt_number = receipt.inner_text()
    tab_to(page, receipt)
    enter(page)
    expect(page.locator("h1")).to_contain_text(receipt_number)
    assert meta_csp(page) == csp
    page.screenshot(path=artifacts / f"{locale}-receipt.png", full_page=True)

    page.goto(serve.portals[client])
    expect(invoice_card(page, number)).to_have_count(0)
    row = page.locator("#receipts-h + table tr", has_text=receipt_number)
    expect(row).to_contain_text(number)

    # the agency's mailbox has the receipt, shown as the client sees it
    page.goto(serve.agency_url)
    letter = page.locator("article.letter").filter(has_text=receipt_number)
    expect(letter).to_have_count(1)
    expect(letter.locator("h3")).to_contain_text(number)
    body = letter.frame_locator("iframe")
    expect(body.locator("h1")).to_contain_text(receipt_number)
    letter.scroll_into_view_if_needed()
    letter.screenshot(path=artifacts / f"{locale}-receipt-email.png")


def test_the_agency_page_leads_to_every_portal_from_the_keyboard(
    serve: Serve, guarded: Callable[..., Page], artifacts: Path
) -> None:
    page = guarded(serve)
    response = page.goto(serve.agency_url)
    assert response is not None and response.ok
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator("#receivables-h + table tbody tr")).to_have_count(6)  # six currencies
    links = page.locator("#portals-h ~ table a")
    expect(links).to_have_count(len(serve.portals))
    assert sorted(links.evaluate_all("all => all.map(a => a.href)")) == sorted(
        serve.portals.values()
    )
    for frame in page.locator("article.letter iframe").all():  # the letters, shown
        expect(frame.content_frame.locator("h1")).to_contain_text("R-2026-")  # the store's number
    # a tall window rather than full_page: Chromium leaves sandboxed frames blank in those
    page.set_viewport_size({"width": 1100, "height": 2400})
    page.screenshot(path=artifacts / "agency-page.png")
    page.set_viewport_size({"width": 1100, "height": 900})
    tab_to(page, page.get_by_role("link", name="Open Wiślane Smaki sp. z o.o.'s portal"))
    enter(page)
    assert page.url == serve.portals["wislane-smaki"]
    expect(page.locator("html")).to_have_attribute("lang", "pl")


def open_invoice(page: Page, serve: Serve, client: str, number: str) -> None:
    page.goto(serve.portals[client].replace("index.html", f"invoices/{number}.html"))
    expect(page.locator("h1")).to_contain_text(number)


def test_a_declined_card_leaves_the_invoice_open(
    serve: Serve, guarded: Callable[..., Page]
) -> None:
    _ = gettext("en")
    page = guarded(serve)
    open_invoice(page, serve, "open-trails", "INV-2026-0129")
    before = badge(page)
    tab_to(page, page.locator("form.pay button").first)
    enter(page)
    field = page.get_by_label("Card number")
    tab_to(page, field)
    page.keyboard.press("Control+A")
    page.keyboard.type("4000 0000 0000 0002")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Pay by card")).to_be_focused()
    enter(page)
    expect(page.get_by_role("alert")).to_contain_text("declined")
    tab_to(page, page.get_by_role("link", name="Cancel"))
    enter(page)
    expect(page.locator("h1")).to_contain_text("INV-2026-0129")
    page.wait_for_timeout(1000)  # had anything been recorded, the drain would have re-published
    page.reload()
    assert badge(page) == before != _("Paid")
    expect(page.locator("form.pay button")).to_have_count(1)


def test_a_bank_debit_shows_processing_then_paid(
    serve: Serve, guarded: Callable[..., Page], artifacts: Path
) -> None:
    _ = gettext("en")
    page = guarded(serve)
    open_invoice(page, serve, "open-trails", "INV-2026-0129")
    tab_to(page, page.locator("form.pay button").first)
    enter(page)
    tab_to(page, page.get_by_role("button", name="Pay by bank debit (succeeds)"))
    enter(page)
    expect(page.locator("h1")).to_have_text(_("Thank you: payment processing"))
    tab_to(page, page.get_by_role("link", name=_("Back to the invoice")))
    enter(page)
    reload_until(page, lambda: badge(page) == _("Payment processing"), "payment processing")
    expect(page.locator(".due")).to_contain_text("your bank is processing it")
    expect(page.locator(".receipts")).to_have_count(0)  # no receipt before the money is there
    page.screenshot(path=artifacts / "en-bank-debit-processing.png", full_page=True)
    reload_until(
        page,
        lambda: badge(page) == _("Paid") and page.locator(".receipts a").count() == 1,
        "the bank debit settled",
    )


def test_killing_serve_in_the_middle_of_payments_loses_nothing(
    tmp_path: Path, guarded: Callable[..., Page]
) -> None:
    """SIGKILL right after two payments, then a restart: both end paid, receipts sent.

    What "loses nothing" means here: whatever `portal serve` had not finished when
    it died is finished after the restart. Stripe keeps the events a merchant's
    server has not acknowledged and retries them; the local Stripe does the same
    from its state file (.portal/serve/stripe-local.json), and a bank debit that
    was settling goes on settling. The payments and the outbox are in the SQLite
    store, and a restart takes up the outbox's unfinished work at once. The kill
    comes right after the second payment's redirect, while the bank debit is
    still settling (it takes 5 s) and, usually, before the card payment's receipt
    and re-publish; whichever step the kill interrupts, the end must be the same.
    """
    serve = Serve(tmp_path).start()
    try:
        _ = gettext("en")
        page = guarded(serve)
        open_invoice(page, serve, "harbor-light", "INV-2026-0137")
        page.locator("form.pay button").first.click()
        page.get_by_role("button", name="Pay by bank debit (succeeds)").click()
        open_invoice(page, serve, "harbor-light", "INV-2026-0130")
        page.locator("form.pay button").first.click()
        with page.expect_navigation():
            page.get_by_role("button", name="Pay by card").click()
        serve.kill()

        store = SqliteStore(tmp_path / ".portal" / "store.sqlite3")
        at_kill = {p.invoice: p.status for p in store.payments()}
        assert at_kill.get("INV-2026-0137") != "succeeded"  # the debit was still settling
        mail = tmp_path / ".portal" / "outbox"
        sent_at_kill = len(list(mail.glob("*.eml"))) if mail.exists() else 0
        assert sent_at_kill <= 1  # at most the card's receipt had gone out

        serve.start()  # the same port: the portal's addresses are the same
        for number in ("INV-2026-0137", "INV-2026-0130"):
            open_invoice(page, serve, "harbor-light", number)
            reload_until(
                page,
                lambda: badge(page) == _("Paid") and page.locator(".receipts a").count() == 1,
                f"{number} paid after the restart (payments at the kill: {at_kill})",
            )
        assert {p.invoice: p.status for p in store.payments()} == {
            "INV-2026-0137": "succeeded",
            "INV-2026-0130": "succeeded",
        }
        receipts = sorted(p.name for p in mail.glob("receipt*.eml"))
        assert len(receipts) == 2, receipts  # each receipt once, none lost, none twice
        page.goto(serve.agency_url)
        expect(page.locator("article.letter")).to_have_count(2)
    finally:
        serve.stop()
