"""Automatic payments end to end, in headless Chromium, on `portal serve` and its local Stripe.

Two clients turn automatic payments on from their portals through the local hosted checkout
in setup mode: ``ap-card`` with 4242 4242 4242 4242, ``ap-decline`` with 4000 0000 0000 0341
(saved, declined when charged). Then the daily job's charge step (what `portal remind` runs
first: ``functions.autopay.charges.run``) walks 90 days against serve's store and build, with
Stripe at serve's local server; serve receives the webhooks, records and re-publishes, and its
drain sends the emails into the mailbox the agency page shows.

- ``ap-card``: an invoice due on day 10 and a plan of three instalments (days 20, 45, 70).
  The invoice and the first two instalments are charged once each, with a pre-charge notice
  and a receipt; on day 50 the client turns automatic payments off on its portal, and the
  third instalment is not charged.
- ``ap-decline``: an invoice due on day 12, declined on days 12, 15 and 19 (one email each,
  the reason and the next attempt's day, the last one saying automatic payments are off).

PaymentIntents are counted at the local Stripe (``GET /v1/payment_intents?customer=``).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from functions.autopay.charges import ChargeReport
from functions.autopay.charges import run as run_charges
from functions.config import StripeSessions
from functions.snapshots import FolderSnapshots
from functions.store.sqlite import SqliteStore
from local.stripe_server.server import DEFAULT_API_KEY
from site_builder.formatting import format_day
from site_builder.render import Theme
from tests.browser.conftest import Serve
from tests.browser.test_journey import reload_until
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

pytestmark = pytest.mark.browser

DAYS = 90
OFF_ON = 50  # the day ap-card turns automatic payments off on its portal
VISA, DECLINES = "4242 4242 4242 4242", "4000 0000 0000 0341"


def day(n: int) -> date:
    return SAMPLE_TODAY + timedelta(days=n)


INVOICES = {  # number: (client, due, extra yaml)
    "AP-1": ("ap-card", day(10), ""),
    "AP-2": (
        "ap-card",
        day(70),
        f'instalments:\n  - {{due: {day(20)}, percent: "40"}}\n'
        f'  - {{due: {day(45)}, percent: "30"}}\n  - {{due: {day(70)}, percent: "30"}}\n',
    ),
    "AP-3": ("ap-decline", day(12), ""),
}


def add_clients(content: Path) -> None:
    for client in ("ap-card", "ap-decline"):
        (content / "clients" / f"{client}.yaml").write_text(
            f"name: {client.title()} Ltd\nlocale: en\ncurrency: USD\n"
            f"contacts:\n  - {{name: Ana, email: ana@{client}.example, role: billing}}\n"
            "token_version: 1\n",
            encoding="utf-8",
        )
    for number, (client, due, extra) in INVOICES.items():
        (content / "invoices" / f"{number}.yaml").write_text(
            f"client: {client}\nissued: {SAMPLE_TODAY}\ndue: {due}\ntitle: Retainer\n"
            f'items:\n  - {{description: Retainer, quantity: 1, unit_price: "1000.00"}}\n{extra}',
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    workdir = tmp_path_factory.mktemp("serve-autopay")
    shutil.copytree(SAMPLE, workdir / "content")
    add_clients(workdir / "content")
    running = Serve(workdir).start()
    yield running
    running.stop()


class Job:
    """The daily job's charge step against serve's store and build, one day at a time."""

    def __init__(self, serve: Serve) -> None:
        home = serve.workdir / ".portal"
        self.store = SqliteStore(home / "store.sqlite3")
        self.snapshots = FolderSnapshots(home / "serve" / "build" / "clients")
        self.stripe = StripeSessions(DEFAULT_API_KEY, serve.checkout)
        self.api = httpx.Client(base_url=serve.checkout, auth=(DEFAULT_API_KEY, ""))
        self.reports: dict[int, ChargeReport] = {}

    def walk(self, first: int, last: int) -> None:
        for n in range(first, last + 1):
            report = run_charges(
                self.store, self.snapshots, Theme(), day(n), secret=SECRET, stripe=self.stripe
            )
            assert not report.problems, report.problems
            self.reports[n] = report

    def intents(self, client: str) -> list[dict[str, Any]]:
        """The client's PaymentIntents at the local Stripe, as the API lists them."""
        customer = self.store.customer(client)
        assert customer is not None
        found = self.api.get("/v1/payment_intents", params={"customer": customer, "limit": 100})
        found.raise_for_status()
        return found.json()["data"]


def parts(intents: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """PaymentIntents per (invoice, instalment) part."""
    return Counter((i["metadata"]["invoice"], i["metadata"].get("instalment", "")) for i in intents)


def turn_on(page: Page, serve: Serve, client: str, card: str) -> None:
    """The portal's box → the hosted page in setup mode → the card → back to the portal."""
    page.goto(serve.portals[client])
    box = page.locator("section.autopay")
    expect(box.locator("h2")).to_have_text("Pay future invoices automatically")
    expect(box.locator(".mandate").first).to_contain_text("authorise Northwind Studio")
    with page.expect_navigation():
        box.get_by_role("button", name="Turn on automatic payments").click()
    assert page.url.startswith(f"{serve.checkout}/")
    page.get_by_label("Card number").fill(card)
    with page.expect_navigation():
        page.get_by_role("button", name="Save card").click()
    expect(page.locator("h1")).to_have_text(
        re.compile("Automatic payments are on|Automatic payments: being set up")
    )
    with page.expect_navigation():
        page.get_by_role("link", name="Back to your portal").click()
    assert page.url == serve.portals[client]


def charge_line(amount: str, last4: str, when: date) -> str:
    return f"{amount} will be charged to Visa •••• {last4} on {format_day(when, 'en')}."


def letters(page: Page, serve: Serve, subject: str | re.Pattern[str], count: int) -> list[str]:
    """The mailbox's letters whose subject has ``subject``, as text, once there are ``count``
    of them (serve's drain sends within a second)."""
    page.goto(serve.agency_url)
    found = page.locator("article.letter").filter(has=page.locator("h3", has_text=subject))
    reload_until(page, lambda: found.count() >= count, f"{count} letters '{subject}'")
    assert found.count() == count, f"{found.count()} letters '{subject}', not {count}"
    return found.all_text_contents()  # the subject, the addresses and the plain text


def test_automatic_payments_from_opting_in_to_turning_off(
    serve: Serve, guarded: Callable[..., Page], artifacts: Path
) -> None:
    job = Job(serve)
    page = guarded(serve)

    # opting in: the portal then names the card and the day and amount of each charge
    turn_on(page, serve, "ap-card", VISA)
    box = page.locator("section.autopay h2")
    reload_until(page, lambda: box.inner_text() == "Automatic payments: Visa •••• 4242", "saved")
    lines = page.locator(".autopay-line").all_inner_texts()
    # the sample's 2% early-payment discount runs 10 days from the issue: day 10 still has it
    assert charge_line("$980.00", "4242", day(10)) in lines, lines
    assert charge_line("$400.00", "4242", day(20)) in lines, lines
    page.screenshot(path=artifacts / "autopay-portal.png", full_page=True)
    page.goto(serve.portals["ap-card"].replace("index.html", "invoices/AP-2.html"))
    expect(page.locator(".autopay-line").first).to_have_text(
        charge_line("$400.00", "4242", day(20))
    )
    expect(page.locator("form.pay button").first).to_be_visible()  # paying by hand stays
    page.screenshot(path=artifacts / "autopay-invoice.png", full_page=True)
    turn_on(page, serve, "ap-decline", DECLINES)
    reload_until(
        page,
        lambda: box.inner_text() == "Automatic payments: Visa •••• 0341",
        "the second client's card saved",
    )

    # the agency page: both clients, their next charges at the rules' amounts
    page.goto(serve.agency_url)
    section = page.locator("section", has=page.locator("#autopay-h"))
    on = section.locator('table[aria-labelledby="autopay-on-h"]')
    expect(on.locator("tbody tr")).to_have_count(2)
    expect(on).to_contain_text("Visa •••• 0341")
    upcoming = section.locator('table[aria-labelledby="autopay-next-h"]')
    expect(upcoming.locator("tr", has_text="AP-1")).to_contain_text("$980.00")
    expect(upcoming.locator("tr", has_text="AP-3")).to_contain_text(day(12).isoformat())
    section.screenshot(path=artifacts / "autopay-agency-page.png")

    # the walk, up to the day before ap-card turns automatic payments off; on day 13 the
    # agency page has the declined charge, its reason and the next attempt's day
    job.walk(0, 13)
    page.reload()
    failures = section.locator('table[aria-labelledby="autopay-failed-h"]')
    expect(failures.locator("tbody tr")).to_have_count(1)
    expect(failures).to_contain_text("Your bank declined the payment")
    expect(failures).to_contain_text(day(15).isoformat())
    section.screenshot(path=artifacts / "autopay-agency-failure.png")
    job.walk(14, OFF_ON - 1)
    assert parts(job.intents("ap-card")) == {("AP-1", ""): 1, ("AP-2", "1"): 1, ("AP-2", "2"): 1}
    assert all(i["status"] == "succeeded" for i in job.intents("ap-card"))
    declined = job.intents("ap-decline")
    assert parts(declined) == {("AP-3", ""): 3}  # days 12, 15 and 19: one attempt each
    assert sorted(i["metadata"]["autopay"] for i in declined) == ["1", "2", "3"]
    assert job.store.method("ap-decline") is None  # off after the last attempt
    charged = {n for n, r in job.reports.items() for _ in r.charged}
    assert charged == {10, 20, 45}

    # the mailbox: a notice three days before each charge, a receipt after it, and the
    # declined card's emails: the reason, the next attempt's day, then that it is off
    notices = letters(page, serve, re.compile(r"^Automatic payment for invoice \S+ on "), 4)
    for number, when, amount in (("AP-1", 10, "$980.00"), ("AP-2", 45, "$300.00")):
        said = f"On {format_day(day(when), 'en')} we will charge {amount} to Visa •••• 4242"
        assert sum(said in t for t in notices) == 1, (number, said, notices)
    receipts = letters(page, serve, re.compile(r"^Receipt R-\S+ for invoice AP-"), 3)
    assert [sum(f"for invoice {n}" in t for t in receipts) for n in ("AP-1", "AP-2")] == [1, 2]
    assert all("Method: Visa •••• 4242" in t for t in receipts), receipts  # the card charged
    failed = letters(page, serve, "AP-3 did not go through", 2)
    assert all("your bank declined the payment" in t for t in failed), failed
    for retry in (day(15), day(19)):
        said = f"We will try again on {format_day(retry, 'en')}."
        assert sum(said in t for t in failed) == 1, (said, failed)
    (off,) = letters(page, serve, "Automatic payments are turned off", 1)
    assert "removed Visa •••• 0341 and turned automatic payments off" in off, off
    letter = page.locator("article.letter").filter(has_text="did not go through").first
    letter.scroll_into_view_if_needed()
    letter.screenshot(path=artifacts / "autopay-failure-email.png")

    # turning it off on the portal: the third instalment (day 70) is not charged
    page.goto(serve.portals["ap-card"])
    with page.expect_navigation():
        page.get_by_role("button", name="Turn off automatic payments").click()
    expect(page.locator("h1")).to_have_text("Automatic payments are off")
    job.walk(OFF_ON, DAYS)
    assert parts(job.intents("ap-card")) == {("AP-1", ""): 1, ("AP-2", "1"): 1, ("AP-2", "2"): 1}
    after = [r for n, r in job.reports.items() if n >= OFF_ON]
    assert not any(r.charged or r.failed or r.notices for r in after)
