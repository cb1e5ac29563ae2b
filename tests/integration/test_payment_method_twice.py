"""What a payment really was, and an invoice paid twice, through the real webhook route.

The sample built, the app under uvicorn, the real stripe SDK and the local Stripe server
(its hosted page's card and bank buttons), signed webhooks over loopback, SMTP for the
receipts: the ``system`` fixture of tests/integration/conftest.py.
"""

from __future__ import annotations

import json
import logging
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import stripe

from functions.app import Services, record
from functions.config import StripeSessions
from functions.overpay import beyond
from functions.store import SqliteStore
from functions.store.base import CheckoutSession, Payment
from functions.work import drain_outbox
from site_builder.receivables.attention import attention, attention_lines
from site_builder.tokens import client_token
from tests.conftest import SAMPLE_TODAY, SECRET
from tests.integration.conftest import checkout, free_port, session_of, token, wait_until

PLAN = "INV-2026-0122"  # xinghe, USD 24,000.00 in three parts; the first (9,600.00) paid
SEPA = "INV-2026-0134"  # yantar (Russian), EUR 2,500.00, open
CARD = "INV-2026-0137"  # harbor-light, USD, open


def pay(system: dict[str, Any], location: str, method: str = "card") -> str:
    """Pay the session behind a /checkout redirect on the local hosted page; its id."""
    session_id = location.rsplit("/", 1)[1]
    result = system["stripe"].pay(session_id, method)
    assert result.outcome == "redirect", result
    return session_id


def payment_of(system: dict[str, Any], session_id: str, status: str) -> Payment:
    store = system["store"]

    def found() -> Payment | None:
        return next(
            (p for p in store.payments() if p.session == session_id and p.status == status), None
        )

    assert wait_until(lambda: found() is not None, 10), f"no {status} payment for {session_id}"
    payment = found()
    assert payment is not None
    return payment


def receipt_mail(system: dict[str, Any], invoice: str) -> EmailMessage:
    mails = [
        message_from_bytes(data, policy=policy.default)
        for _, _, data in system["smtp"].handler.envelopes
    ]
    (mail,) = [m for m in mails if invoice in str(m["subject"])]
    return mail  # type: ignore[return-value]


def test_a_sepa_debit_is_recorded_receipted_and_emailed_as_a_bank_debit(
    system: dict[str, Any],
) -> None:
    response = checkout(system, invoice=SEPA, token=token("yantar"))
    assert response.status_code == 303
    offered = session_of(system, response.headers["location"])["payment_method_types"]
    assert offered == ["card", "sepa_debit"]  # the event alone cannot say which paid
    session_id = pay(system, response.headers["location"], "bank_ok")

    processing = payment_of(system, session_id, "pending")
    assert processing.method == "bank_debit"  # asked of Stripe: the charge says sepa_debit
    settled = payment_of(system, session_id, "succeeded")  # a couple of seconds later
    assert settled.method == "bank_debit"

    assert wait_until(lambda: f"receipt:{settled.id}" in drain_outbox(system["services"]).done)
    mail = receipt_mail(system, SEPA)
    for part in (mail.get_body(("plain",)), mail.get_body(("html",))):
        text = part.get_content()  # type: ignore[union-attr]
        assert "Прямое списание" in text  # "Bank debit", in the client's Russian
        assert "Банковская карта" not in text  # never "Card"
    portal = system["public"] / "c" / token("yantar")
    (page,) = [p for p in (portal / "receipts").glob("*.html") if SEPA in p.read_text()]
    assert "Прямое списание" in page.read_text()


@pytest.mark.parametrize(
    ("invoice", "client", "version", "stripe_type", "recorded"),
    [
        ("INV-2026-0132", "thames-rowe", 2, "bacs_debit", "bank_debit"),  # GBP
        ("INV-2026-0136", "wislane-smaki", 1, "customer_balance", "bank_transfer"),  # PLN
    ],
)
def test_the_method_is_the_one_on_stripes_charge(
    system: dict[str, Any], invoice: str, client: str, version: int, stripe_type: str, recorded: str
) -> None:
    response = checkout(system, invoice=invoice, token=client_token(SECRET, client, version))
    session_id = pay(system, response.headers["location"], "bank_ok")
    payment = payment_of(system, session_id, "pending")
    assert payment.method == recorded
    # where the webhook read it: the payment intent's latest charge, as Stripe serves it
    intents = system["stripe"].client().v1.payment_intents
    found = intents.retrieve(payment.id, {"expand": ["latest_charge"]})
    assert found["latest_charge"]["payment_method_details"]["type"] == stripe_type


def test_a_card_paid_where_a_bank_debit_was_offered_is_a_card(system: dict[str, Any]) -> None:
    response = checkout(system, invoice=CARD, token=token("harbor-light"))
    offered = session_of(system, response.headers["location"])["payment_method_types"]
    assert offered == ["card", "us_bank_account"]
    session_id = pay(system, response.headers["location"], "card")
    assert payment_of(system, session_id, "succeeded").method == "card"


def test_a_plan_paid_whole_and_by_instalment_keeps_both_and_asks_for_a_refund(
    system: dict[str, Any],
) -> None:
    """Two tabs: the whole invoice opened in one, the second instalment in the other; both
    paid. The second money is recorded and receipted, and a person is asked to refund it."""
    store, xinghe = system["store"], token("xinghe")
    whole = checkout(system, invoice=PLAN, token=xinghe)
    second = checkout(system, invoice=PLAN, token=xinghe, instalment="2")
    assert session_of(system, whole.headers["location"])["amount_total"] == 1440000
    assert session_of(system, second.headers["location"])["amount_total"] == 720000

    paid_second = payment_of(system, pay(system, second.headers["location"]), "succeeded")
    assert paid_second.instalment == 2
    # Pay now asks only what is left, in a new session; the old tab still holds the first
    again = checkout(system, invoice=PLAN, token=xinghe)
    assert again.headers["location"] != whole.headers["location"]
    assert session_of(system, again.headers["location"])["amount_total"] == 720000
    assert checkout(system, invoice=PLAN, token=xinghe, instalment="2").status_code == 409

    paid_whole = payment_of(system, pay(system, whole.headers["location"]), "succeeded")
    assert paid_whole.amount == 1440000  # taken, so recorded in full
    assert wait_until(lambda: any(r["problem"] == "paid twice" for r in store.reviews()))
    (review,) = [r for r in store.reviews() if r["problem"] == "paid twice"]
    assert review["payment"] == paid_whole.id and review["invoice"] == PLAN
    assert review["refund"] == [720000, "USD"]  # the third instalment's worth: paid beyond
    assert review["paid_before"] == [paid_second.id]
    assert system["stripe"].wait_for_deliveries(5)
    assert len([r for r in store.reviews() if r["problem"] == "paid twice"]) == 1  # once

    # what portal status and the agency page say, in the same words
    ledger = json.loads((system["root"] / "build" / "ledger.json").read_text())["invoices"]
    (line,) = [x for x in attention_lines(attention(store, ledger)) if "paid twice" in x]
    assert f"invoice {PLAN}" in line
    assert line.endswith(f"refund 7200.00 USD of payment {paid_whole.id}")
    assert f"receipt:{paid_whole.id}" in {i.key for i in store.unsent()}  # receipted all the same
    assert checkout(system, invoice=PLAN, token=xinghe).status_code == 409  # nothing left


def test_what_a_payment_pays_beyond_its_invoice_is_the_billing_rules_overpaid(
    system: dict[str, Any],
) -> None:
    bundle = system["services"].snapshots.load("xinghe")
    session = CheckoutSession("cs_x", PLAN, "xinghe", None, 1440000, "USD", "u", 2**31)
    # the first part is paid in the content: the balance, exactly, pays nothing beyond
    assert beyond(bundle, [], session, "pi_new", SAMPLE_TODAY) == 0
    earlier = Payment("pi_old", PLAN, "xinghe", 720000, "USD", "2026-11-20", "card", "succeeded")
    assert beyond(bundle, [earlier], session, "pi_new", SAMPLE_TODAY) == 720000
    failed = Payment("pi_old", PLAN, "xinghe", 720000, "USD", "2026-11-20", "card", "failed")
    assert beyond(bundle, [failed], session, "pi_new", SAMPLE_TODAY) == 0  # no money came


def test_stripe_unreachable_still_records_the_payment(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Stripe's API down (nothing listens on its port): the payment is recorded at once with
    what the event shows, and a later event of it asks again."""
    store = SqliteStore(tmp_path / "store.sqlite3")
    nowhere = StripeSessions("sk_test_local", f"http://127.0.0.1:{free_port()}")
    services = Services(
        store=store,
        snapshots=None,  # type: ignore[arg-type]  # not read: the invoice had nothing paid
        sessions=nowhere,
        portal_secret=SECRET,
        webhook_secret="whsec_x",
        today=lambda: SAMPLE_TODAY,
    )
    for n, offered in enumerate((["card", "us_bank_account"], ["us_bank_account"])):
        session = CheckoutSession(f"cs_{n}", f"INV-{n}", "h", None, 5000, "USD", "u", 2**31)
        store.save_session(session)
        event = {
            "id": f"evt_{n}",
            "type": "checkout.session.completed",
            "created": 1_795_000_000,
            "data": {
                "object": {
                    "id": f"cs_{n}",
                    "amount_total": 5000,
                    "currency": "usd",
                    "payment_intent": f"pi_{n}",
                    "payment_status": "unpaid",
                    "payment_method_types": offered,
                }
            },
        }
        with caplog.at_level(logging.WARNING, logger="functions.methods"):
            assert record(services, event)
    assert [(p.id, p.method, p.status) for p in store.payments()] == [
        ("pi_0", "other", "pending"),  # two methods offered, Stripe not there to say which
        ("pi_1", "bank_debit", "pending"),  # one offered: no need to ask
    ]
    (warning,) = caplog.records  # said once, for the one it had to ask about
    assert warning.getMessage().startswith("payment method of cs_0 not known from Stripe: ")
    assert isinstance(warning.args[1], stripe.APIConnectionError)  # type: ignore[index]
