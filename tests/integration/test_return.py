"""What a client reads around Pay: Stripe's return tells the truth at once, and Pay on a paid
invoice answers with a styled page and the way back, in the client's language."""

from __future__ import annotations

import re
from typing import Any

import httpx

from functions.notices import STYLE_SOURCE
from tests.integration.conftest import checkout, session_of, token, wait_until

PAID = "INV-2026-0101"  # harbor-light, paid in May
PORTAL = "https://portal.northwind.example"


def returned(system: dict[str, Any], session_id: str) -> httpx.Response:
    return httpx.get(f"{system['url']}/paid", params={"session": session_id})


def invoice_link(client: str, number: str) -> str:
    return f'href="{PORTAL}/c/{token(client)}/invoices/{number}.html"'


def test_pay_on_a_paid_invoice_is_a_styled_page_with_the_way_back(system: dict[str, Any]) -> None:
    answer = checkout(system, invoice=PAID, token=token())
    assert answer.status_code == 409
    assert (
        "<h1>Already paid</h1>" in answer.text and invoice_link("harbor-light", PAID) in answer.text
    )
    assert "<style>" in answer.text and STYLE_SOURCE in answer.headers["content-security-policy"]
    assert "script-src" not in answer.headers["content-security-policy"]  # none runs
    chinese = checkout(system, invoice="INV-2026-0115", token=token("xinghe"))  # paid, zh_Hans
    assert chinese.status_code == 409 and "<h1>已付款</h1>" in chinese.text
    assert '<html lang="zh-Hans">' in chinese.text


def test_the_return_from_checkout_says_what_became_of_the_payment(system: dict[str, Any]) -> None:
    started = checkout(system, invoice="INV-2026-0902", token=token("reykjavik"))
    session_id = started.headers["location"].rsplit("/", 1)[1]
    assert session_of(system, started.headers["location"])["success_url"].endswith(
        "/paid?session={CHECKOUT_SESSION_ID}"
    )
    before = returned(system, session_id)  # back without paying
    assert before.status_code == 200 and "Payment not completed" in before.text
    assert invoice_link("reykjavik", "INV-2026-0902") in before.text

    system["stripe"].pay(session_id)
    after = returned(system, session_id)  # at once: from Stripe, or the store if it was quicker
    assert "Thank you: payment received" in after.text and "ISK" in after.text
    assert wait_until(lambda: bool(system["store"].payments("INV-2026-0902")))
    assert "Thank you: payment received" in returned(system, session_id).text


def test_a_bank_debit_returns_to_processing_then_received(system: dict[str, Any]) -> None:
    started = checkout(system, invoice="INV-2026-0903", token=token("kuwait"))
    session_id = started.headers["location"].rsplit("/", 1)[1]
    system["stripe"].pay(session_id, method="bank_ok")  # settles a couple of seconds later
    assert "Thank you: payment processing" in returned(system, session_id).text
    store = system["store"]
    assert wait_until(
        lambda: [p.status for p in store.payments("INV-2026-0903")] == ["succeeded"], 15
    )
    assert "Thank you: payment received" in returned(system, session_id).text


def test_a_return_naming_no_session_we_know_is_the_same_404(system: dict[str, Any]) -> None:
    for session in ("cs_test_nope", "../x", "", "cs_" + "a" * 400):
        answer = returned(system, session)
        assert answer.status_code == 404 and re.search("No such invoice", answer.text)
