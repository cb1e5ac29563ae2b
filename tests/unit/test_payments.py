"""The webhook rules, event by event (store-free: ``plan`` is pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from functions.payments import plan
from functions.store import CheckoutSession, Payment, merge

SESSION = CheckoutSession(
    "cs_1", "INV-1", "acme", None, 103000, "USD", "https://pay", 2_000_000_000
)


def event(kind: str, obj: dict[str, Any], event_id: str = "evt_1") -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


def checkout(payment_status: str = "paid", **fields: Any) -> dict[str, Any]:
    return {
        "id": "cs_1",
        "object": "checkout.session",
        "amount_total": 103000,
        "currency": "usd",
        "payment_intent": "pi_1",
        "payment_status": payment_status,
        "payment_method_types": ["card"],
        **fields,
    }


def test_a_paid_checkout_records_the_payment_a_receipt_and_a_publish() -> None:
    change = plan(event("checkout.session.completed", checkout()), SESSION, None, "2026-04-01")
    (payment,) = change.payments
    assert (payment.id, payment.status, payment.amount, payment.invoice) == (
        "pi_1",
        "succeeded",
        103000,
        "INV-1",
    )
    assert sorted(i.key for i in change.outbox) == ["publish:acme:evt_1", "receipt:pi_1"]
    assert change.sessions == {"cs_1": "complete"}


def test_a_bank_debit_is_pending_then_settles_with_one_receipt() -> None:
    first = plan(
        event(
            "checkout.session.completed",
            checkout("unpaid", payment_method_types=["us_bank_account"]),
        ),
        SESSION,
        None,
        "2026-04-01",
    )
    assert first.payments[0].status == "pending" and first.payments[0].method == "bank_debit"
    assert [i.kind for i in first.outbox] == ["publish"]  # no receipt before the money arrives
    settled = plan(
        event("checkout.session.async_payment_succeeded", checkout("paid"), "evt_2"),
        SESSION,
        first.payments[0],
        "2026-04-03",
    )
    kept = merge(first.payments[0], settled.payments[0])
    assert kept.status == "succeeded" and kept.received == "2026-04-03"
    assert "receipt:pi_1" in {i.key for i in settled.outbox}


def test_a_failed_bank_debit_is_recorded_failed() -> None:
    change = plan(
        event("checkout.session.async_payment_failed", checkout("unpaid")), SESSION, None, "d"
    )
    assert change.payments[0].status == "failed"
    assert all(i.kind != "email" for i in change.outbox)


def test_a_mismatched_amount_or_currency_goes_to_review_and_pays_nothing() -> None:
    for obj in (checkout(amount_total=1), checkout(currency="eur")):
        change = plan(event("checkout.session.completed", obj), SESSION, None, "d")
        assert not change.payments and not change.outbox
        assert change.reviews[0]["invoice"] == "INV-1"


def test_unknown_session_and_unknown_events() -> None:
    assert plan(event("checkout.session.completed", checkout()), None, None, "d").reviews
    ignored = plan(event("customer.created", {"id": "cus_1"}), None, None, "d")
    assert ignored.event_id == "evt_1" and not (ignored.payments or ignored.outbox)


def test_expiry_refund_and_dispute() -> None:
    expired = plan(event("checkout.session.expired", checkout()), SESSION, None, "d")
    assert expired.sessions == {"cs_1": "expired"} and not expired.payments
    paid = Payment("pi_1", "INV-1", "acme", 103000, "USD", "d", "card", "succeeded")
    refund = plan(
        event(
            "charge.refunded",
            {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 3000, "currency": "usd"},
        ),
        None,
        paid,
        "d",
    )
    assert refund.payments[0].refunded == 3000 and refund.payments[0].status == "succeeded"
    dispute = plan(
        event("charge.dispute.created", {"id": "dp_1", "payment_intent": "pi_1", "amount": 103000}),
        None,
        paid,
        "d",
    )
    assert (
        dispute.reviews[0]["problem"] == "dispute opened"
        and dispute.reviews[0]["invoice"] == "INV-1"
    )
    assert dispute.payments[0].disputed and dispute.payments[0].status == "succeeded"
    assert [i.kind for i in dispute.outbox] == ["publish"]
    unknown = plan(
        event("charge.dispute.created", {"id": "dp_2", "payment_intent": "pi_9", "amount": 5}),
        None,
        None,
        "d",
    )
    assert not unknown.payments and unknown.reviews[0]["invoice"] is None


# --- the method that really paid, and a plan paid twice -------------------------------------

TWO_WAYS = ["card", "us_bank_account"]


def test_the_method_that_paid_is_recorded_not_the_first_offered() -> None:
    completed = event("checkout.session.completed", checkout(payment_method_types=TWO_WAYS))
    (paid,) = plan(completed, SESSION, None, "d", method="bank_debit").payments
    assert paid.method == "bank_debit"
    # Stripe could not say: the session's offer does not either, so "other", never "card"
    assert plan(completed, SESSION, None, "d").payments[0].method == "other"
    # ...unless an earlier event of this payment learnt it
    earlier = replace(paid, status="pending")
    assert plan(completed, SESSION, earlier, "d").payments[0].method == "bank_debit"
    # a session that offered one method says which paid
    alone = event("checkout.session.completed", checkout(payment_method_types=["sepa_debit"]))
    assert plan(alone, SESSION, None, "d").payments[0].method == "bank_debit"


WHOLE = CheckoutSession("cs_1", "INV-1", "acme", None, 103000, "USD", "u", 2_000_000_000)
INSTALMENT = Payment("pi_0", "INV-1", "acme", 51500, "USD", "d", "card", "succeeded", 2)


def test_a_plan_paid_twice_is_recorded_receipted_and_a_review_with_the_refund() -> None:
    change = plan(
        event("checkout.session.completed", checkout()),
        WHOLE,
        None,
        "2026-04-01",
        method="card",
        others=[INSTALMENT],
        beyond=51500,
    )
    (payment,) = change.payments  # the money was taken: recorded, never lost
    assert (payment.id, payment.status, payment.amount) == ("pi_1", "succeeded", 103000)
    assert "receipt:pi_1" in {i.key for i in change.outbox}
    (review,) = change.reviews
    assert review["problem"] == "paid twice" and review["invoice"] == "INV-1"
    assert review["payment"] == "pi_1" and review["paid_before"] == ["pi_0"]
    assert review["refund"] == [51500, "USD"]
    assert review["suggestion"] == "refund 515.00 USD of payment pi_1"


def test_paid_twice_is_asked_once_a_payment_and_never_of_money_that_did_not_come() -> None:
    completed = event("checkout.session.completed", checkout(), "evt_2")
    assert not plan(completed, WHOLE, None, "d", others=[INSTALMENT]).reviews  # nothing beyond
    recorded = Payment("pi_1", "INV-1", "acme", 103000, "USD", "d", "card", "succeeded")
    again = plan(completed, WHOLE, recorded, "d", others=[INSTALMENT], beyond=51500)
    assert not again.reviews  # a second event of a payment already looked at
    failed = event("checkout.session.async_payment_failed", checkout("unpaid"), "evt_3")
    assert not plan(failed, WHOLE, None, "d", others=[INSTALMENT], beyond=51500).reviews


def test_paid_twice_by_money_still_settling_says_so() -> None:
    pending = event("checkout.session.completed", checkout("unpaid"))
    settling = replace(INSTALMENT, status="pending")
    failed = replace(INSTALMENT, id="pi_9", status="failed")
    (review,) = plan(
        pending, WHOLE, None, "d", method="bank_debit", others=[settling, failed], beyond=51500
    ).reviews
    assert review["paid_before"] == ["pi_0"]  # a failed payment paid nothing
    assert review["suggestion"] == (
        "refund 515.00 USD of payment pi_1 once it settles; "
        "pi_0 still processing: if it fails, check again first"
    )
