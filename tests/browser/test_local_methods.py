"""A Chinese-speaking client pays with Alipay and a Polish client with BLIK, through the local
Stripe's hosted checkout in headless Chromium; their receipts (page and email) name the method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Serve
from tests.browser.test_journey import BANNER, gettext, reload_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    running = Serve(tmp_path_factory.mktemp("serve-methods")).start()
    yield running
    running.stop()


def open_first_invoice(page: Page, serve: Serve, client: str) -> str:
    page.goto(serve.portals[client])
    link = page.locator("li.card a.number").first
    number = link.inner_text().strip()
    with page.expect_navigation():
        link.click()
    expect(page.locator("h1")).to_contain_text(number)
    return number


def to_checkout(page: Page, serve: Serve) -> set[str]:
    """Opens Stripe's page for the invoice shown; the receipts it had before, by number."""
    before = set(page.locator(".receipts a").all_inner_texts())
    with page.expect_navigation():
        page.locator("form.pay button").first.click()
    assert page.url.startswith(f"{serve.checkout}/pay/")
    expect(page.get_by_role("note")).to_have_text(BANNER)
    return before


def receipt_names_the_method(
    page: Page, serve: Serve, locale: str, method: str, before: set[str]
) -> None:
    """Back in the portal: a new receipt (beside ``before``), its page and its email name
    ``method``."""
    _ = gettext(locale)
    with page.expect_navigation():
        page.get_by_role("link", name=_("Back to the invoice")).click()
    receipts = page.locator(".receipts a")
    reload_until(page, lambda: receipts.count() == len(before) + 1, "the payment's receipt")
    (number,) = set(receipts.all_inner_texts()) - before
    receipt = receipts.filter(has_text=number)
    with page.expect_navigation():
        receipt.click()
    expect(page.locator("main")).to_contain_text(_(method))
    page.goto(serve.agency_url)
    letter = page.locator("article.letter").filter(has_text=number)
    reload_until(page, lambda: letter.count() == 1, "the receipt email")
    expect(letter.frame_locator("iframe").locator("body")).to_contain_text(_(method))


def test_a_chinese_client_pays_with_alipay(serve: Serve, guarded: Callable[..., Page]) -> None:
    page = guarded(serve, "zh-CN")
    open_first_invoice(page, serve, "xinghe")
    before = to_checkout(page, serve)
    expect(page.get_by_role("heading", name="Alipay")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue to Alipay").click()
    expect(page.locator("h1")).to_have_text("Alipay test payment page")
    with page.expect_navigation():
        page.get_by_role("button", name="Authorize test payment").click()
    receipt_names_the_method(page, serve, "zh_Hans", "Alipay", before)


def test_a_polish_client_pays_with_blik(serve: Serve, guarded: Callable[..., Page]) -> None:
    page = guarded(serve, "pl-PL")
    open_first_invoice(page, serve, "wislane-smaki")
    before = to_checkout(page, serve)
    field = page.get_by_label("BLIK code")
    field.fill("000002")  # the test code for a bank account without the money
    with page.expect_navigation():
        page.get_by_role("button", name="Pay with BLIK").click()
    expect(page.get_by_role("alert")).to_contain_text("insufficient funds")
    page.get_by_label("BLIK code").fill("123456")
    with page.expect_navigation():
        page.get_by_role("button", name="Pay with BLIK").click()
    receipt_names_the_method(page, serve, "pl", "BLIK", before)
