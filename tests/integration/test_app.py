"""The payment app end to end: the sample built, uvicorn, the real stripe SDK, a local Stripe.

Everything talks over loopback sockets: the app under uvicorn, the local
Stripe-compatible server, and its signed webhook deliveries back to the app.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from email import message_from_bytes, policy
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from functions.app import Services, record
from functions.store import SqliteStore
from functions.store.base import CheckoutSession
from functions.work import drain_outbox
from local.stripe_server.webhooks import sign_payload
from tests.conftest import SECRET
from tests.integration.conftest import STRIPE_UNITS, checkout, session_of, token, wait_until

OPEN = "INV-2026-0130"  # harbor-light, $1,650.00, due in 3 days
PAID = "INV-2026-0101"  # harbor-light, paid in May


def test_health(system: dict[str, Any]) -> None:
    assert httpx.get(f"{system['url']}/health").json() == {"status": "ok"}


def test_checkout_prices_the_invoice_on_the_server(system: dict[str, Any]) -> None:
    first = checkout(system, invoice=OPEN, token=token())
    assert first.status_code == 303
    assert first.headers["location"].startswith(f"{system['stripe'].url}/pay/cs_")
    session = session_of(system, first.headers["location"])
    assert (session["amount_total"], session["currency"]) == (165000, "usd")
    assert session["metadata"]["invoice"] == OPEN and session["client_reference_id"] == OPEN
    # a second click, even one naming its own amount and currency, reuses the session
    again = checkout(system, invoice=OPEN, token=token(), amount="1", currency="jpy")
    assert again.headers["location"] == first.headers["location"]


@pytest.mark.parametrize("invoice", sorted(STRIPE_UNITS))
def test_checkout_sends_stripe_its_own_units(system: dict[str, Any], invoice: str) -> None:
    client, currency, _, sent = STRIPE_UNITS[invoice]
    sessions = system["stripe"].client().v1.checkout.sessions
    before = len(sessions.list({"limit": 100})["data"])
    response = checkout(system, invoice=invoice, token=token(client))
    if sent is None:
        assert response.status_code == 409 and "cannot be paid online" in response.text
        assert "0.010" in response.text
        assert len(sessions.list({"limit": 100})["data"]) == before
        return
    assert response.status_code == 303, response.text
    session = session_of(system, response.headers["location"])
    assert (session["amount_total"], session["currency"]) == (sent, currency.lower())


def test_a_payment_in_stripe_units_is_recorded_in_ours(system: dict[str, Any]) -> None:
    invoice = "INV-2026-0901"  # 12,700 Ft: Stripe says 1270000
    response = checkout(system, invoice=invoice, token=token("budapest"))
    system["stripe"].pay(response.headers["location"].rsplit("/", 1)[1])
    store = system["store"]
    assert wait_until(lambda: [p.status for p in store.payments(invoice)] == ["succeeded"])
    (payment,) = store.payments(invoice)
    assert (payment.amount, payment.currency) == (12700, "HUF")
    assert store.reviews() == [] or all(r.get("invoice") != invoice for r in store.reviews())


def test_tampered_checkouts_create_no_session(system: dict[str, Any]) -> None:
    sessions = system["stripe"].client().v1.checkout.sessions
    before = len(sessions.list({"limit": 100})["data"])
    wrong = checkout(system, invoice=OPEN, token="x" * 32)
    other_client = checkout(system, invoice=OPEN, token=token("xinghe"))
    unknown = checkout(system, invoice="INV-NOPE", token=token())
    paid = checkout(system, invoice=PAID, token=token())
    assert wrong.status_code == other_client.status_code == unknown.status_code == 404
    assert wrong.text == unknown.text  # nothing tells an unknown invoice from a wrong token
    assert paid.status_code == 409 and "Already paid" in paid.text
    assert len(sessions.list({"limit": 100})["data"]) == before


def test_paying_records_one_payment_a_receipt_and_a_publish(system: dict[str, Any]) -> None:
    invoice = "INV-2026-0131"  # xinghe, due in 5 days
    response = checkout(system, invoice=invoice, token=token("xinghe"))
    session_id = response.headers["location"].rsplit("/", 1)[1]
    system["stripe"].pay(session_id)
    store = system["store"]
    assert wait_until(lambda: [p.status for p in store.payments(invoice)] == ["succeeded"])
    assert system["stripe"].wait_for_deliveries(5)
    (payment,) = store.payments(invoice)  # delivered twice, recorded once
    keys = {item.key for item in store.due(now=10**10)}
    assert f"receipt:{payment.id}" in keys
    assert any(k.startswith("publish:xinghe:") for k in keys)
    assert checkout(system, invoice=invoice, token=token("xinghe")).status_code == 409

    # the outbox's work: the receipt goes out once, the client's pages show the payment
    portal = system["public"] / "c" / token("xinghe")
    assert payment.receipt is not None and payment.receipt.startswith("R-2026-")
    assert not (portal / "receipts" / f"{payment.receipt}.html").exists()
    report = drain_outbox(system["services"])
    assert f"receipt:{payment.id}" in report.done and not report.retried
    assert drain_outbox(system["services"]).done == []
    mails = [
        (rcpts, message_from_bytes(data, policy=policy.default))
        for _, rcpts, data in system["smtp"].handler.envelopes
    ]
    receipts = [(r, m) for r, m in mails if payment.receipt in m["subject"]]
    billing = ["finance@xinghe-tech.example", "liu.yang@xinghe-tech.example"]
    assert len(receipts) == 1 and receipts[0][0] == billing
    assert (portal / "receipts" / f"{payment.receipt}.html").exists()
    page = (portal / "invoices" / f"{invoice}.html").read_text()
    assert "badge-paid" in page and 'name="invoice"' not in page
    assert system["store"].invoice(invoice)["status"] == "paid"  # type: ignore[index]


def test_forged_and_stale_webhooks_change_nothing(system: dict[str, Any]) -> None:
    store = system["store"]
    before = (store.payments(), store.pending())
    event = {
        "id": "evt_forged",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {"object": {"id": "cs_x", "payment_intent": "pi_x", "amount_total": 1}},
    }
    body = json.dumps(event).encode()
    url = f"{system['url']}/webhooks/stripe"
    secret = system["stripe"].webhook_secret
    for signature in (
        sign_payload(body, "whsec_not_the_secret"),
        sign_payload(body, secret, int(time.time()) - 600),
        "",
    ):
        response = httpx.post(url, content=body, headers={"Stripe-Signature": signature})
        assert response.status_code == 400
    assert (store.payments(), store.pending()) == before


def test_a_pinned_day_is_the_latest_a_payment_is_received(tmp_path: Any) -> None:
    """With `today` pinned (`portal serve --today`), a later event counts as arriving that day."""
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.save_session(
        CheckoutSession("cs_1", OPEN, "harbor-light", None, 165000, "USD", "u", 2**31)
    )
    later = datetime(2027, 1, 5, 12, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp()
    event = {
        "id": "evt_later",
        "type": "checkout.session.completed",
        "created": int(later),
        "data": {
            "object": {
                "id": "cs_1",
                "amount_total": 165000,
                "currency": "usd",
                "payment_intent": "pi_later",
                "payment_status": "paid",
                "payment_method_types": ["card"],
            }
        },
    }
    pinned = Services(
        store=store,
        snapshots=None,  # type: ignore[arg-type]  # not read when recording
        sessions=None,  # type: ignore[arg-type]
        portal_secret=SECRET,
        webhook_secret="whsec_x",
        timezone="America/Los_Angeles",
        today=lambda: date(2026, 11, 23),
    )
    assert record(pinned, event)
    assert store.payment("pi_later").received == "2026-11-23"  # type: ignore[union-attr]
    unpinned = Services(**{**pinned.__dict__, "today": None})
    assert record(
        unpinned,
        {
            **event,
            "id": "evt_again",
            "data": {
                "object": {**event["data"]["object"], "id": "cs_1", "payment_intent": "pi_other"}
            },
        },
    )
    assert store.payment("pi_other").received == "2027-01-05"  # type: ignore[union-attr]
