"""What a verified Stripe event means for the books, as a pure function.

``plan`` turns one event, plus what the store already knows (the checkout
session it belongs to, the payment it names, the invoice's other payments) and
what the route learnt at the edge (the method that paid, from Stripe; how much
of the payment the invoice does not owe, from the billing rules), into a
``Change`` that the store applies atomically. No I/O here: the webhook route
reads, calls ``plan`` and applies, so every rule below is testable with plain
dictionaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from functions.methods import offered_method
from functions.store.base import Change, CheckoutSession, OutboxItem, Payment
from site_builder.money import MoneyError, from_stripe, to_major

HANDLED = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "charge.dispute.created",
}
PAID_TWICE = "paid twice"


def plan(
    event: Mapping[str, Any],
    session: CheckoutSession | None,
    existing: Payment | None,
    received: str,
    *,
    method: str | None = None,
    others: Sequence[Payment] = (),
    beyond: int = 0,
) -> Change:
    """The change one event makes; ``received`` is the event's day in the agency's zone.

    ``event`` has passed ``events.understand``: every field read here has its type. For a
    checkout session's payment: ``method`` is the one that paid, as Stripe's charge says
    (None when Stripe could not say); ``others``, the invoice's other recorded payments;
    ``beyond``, how much of this payment the invoice does not owe (``overpay.beyond``).
    """
    kind, event_id = event["type"], event["id"]
    if kind not in HANDLED:
        return Change(event_id)  # recorded as seen, nothing else (its object is not read)
    obj = event["data"]["object"]
    if kind.startswith("checkout.session."):
        known = _Known(method, existing, others, beyond)
        return _session_event(event_id, kind, obj, session, received, known)
    if kind == "charge.refunded":
        return _refund(event_id, obj, existing)
    return _dispute(event_id, obj, existing)


@dataclass(frozen=True)
class _Known:
    """What the route learnt besides the event, for a session's payment."""

    method: str | None
    existing: Payment | None
    others: Sequence[Payment]
    beyond: int


def _session_event(
    event_id: str,
    kind: str,
    obj: Mapping[str, Any],
    session: CheckoutSession | None,
    received: str,
    known: _Known,
) -> Change:
    if session is None:
        return Change(event_id, reviews=[{"problem": "unknown checkout session", "id": obj["id"]}])
    if kind == "checkout.session.expired":
        return Change(event_id, sessions={session.id: "expired"})
    currency = str(obj.get("currency", "")).upper()
    amount = _ours(obj.get("amount_total"), currency)
    if amount != session.amount or currency != session.currency.upper():
        # never mark an invoice paid with money it was not asked for
        return Change(
            event_id,
            reviews=[
                {
                    "problem": "amount or currency differs from the checkout session",
                    "session": session.id,
                    "invoice": session.invoice,
                    "expected": [session.amount, session.currency],
                    "received": [obj.get("amount_total"), currency],  # in Stripe's units
                }
            ],
        )
    status = {
        "checkout.session.async_payment_succeeded": "succeeded",
        "checkout.session.async_payment_failed": "failed",
    }.get(kind, "succeeded" if obj.get("payment_status") == "paid" else "pending")
    payment = Payment(
        id=obj["payment_intent"],
        invoice=session.invoice,
        client=session.client,
        amount=session.amount,
        currency=session.currency,
        received=received,
        method=_method(obj, known),
        status=status,  # type: ignore[arg-type]
        instalment=session.instalment,
        session=session.id,
    )
    # the money was taken, so it is recorded and receipted; beyond what the invoice owed,
    # it is also a person's to refund (asked once: when the payment is first recorded)
    twice = known.existing is None and status != "failed" and known.beyond > 0
    return Change(
        event_id,
        payments=[payment],
        outbox=_follow_up(payment, event_id, receipt=status == "succeeded"),
        reviews=[_paid_twice(payment, known)] if twice else [],
        sessions={session.id: "complete"},
    )


def plan_autopay(
    event_id: str,
    intent: Mapping[str, Any],
    existing: Payment | None,
    received: str,
    *,
    method: str,
    succeeded: bool,
    saved: Mapping[str, Any] | None = None,
) -> Change:
    """An automatic charge that succeeded (or is processing: a bank debit), recorded as a
    Checkout payment is: the payment (by its PaymentIntent, so the job's record and the
    webhook's meet in one), the re-publish, and once it succeeded the receipt (numbered by
    the store). ``intent`` has ``id``, ``amount`` and ``currency`` in Stripe's units, and the
    job's ``metadata`` (``functions/autopay/charges.py``). ``saved``: the method charged
    (the store's record: ``type``, ``brand``, ``last4``), which its receipt names."""
    md = intent["metadata"]
    currency = str(intent.get("currency", "")).upper()
    amount = _ours(intent.get("amount"), currency)
    if amount is None or str(amount) != str(md.get("amount")):
        # never mark an invoice paid with money it was not asked for
        return Change(
            event_id,
            reviews=[
                {
                    "problem": "amount of an automatic charge differs from its attempt",
                    "payment": intent["id"],
                    "invoice": md.get("invoice"),
                    "expected": md.get("amount"),
                    "received": [intent.get("amount"), currency],  # in Stripe's units
                }
            ],
        )
    payment = Payment(
        id=intent["id"],
        invoice=md["invoice"],
        client=md["client"],
        amount=amount,
        currency=currency,
        received=received,
        method=method,
        status="succeeded" if succeeded else "pending",
        instalment=int(md["instalment"]) if md.get("instalment") else None,
        saved_type=_text(saved, "type"),
        saved_brand=_text(saved, "brand"),
        saved_last4=_text(saved, "last4"),
    )
    if existing is not None and existing.method != "other":
        payment = replace(payment, method=existing.method)
    return Change(
        event_id, payments=[payment], outbox=_follow_up(payment, event_id, receipt=succeeded)
    )


def _text(record: Mapping[str, Any] | None, name: str) -> str | None:
    value = None if record is None else record.get(name)
    return None if value is None else str(value)


def plan_autopay_failed(event_id: str, existing: Payment | None) -> Change:
    """An automatic charge that failed: a bank debit that was processing reopens its invoice
    (a card's decline recorded no payment: nothing to change but the event seen)."""
    if existing is None or existing.status == "succeeded":
        return Change(event_id)
    return Change(
        event_id,
        payments=[replace(existing, status="failed")],
        outbox=[_publish(existing.client, event_id)],
    )


def _paid_twice(payment: Payment, known: _Known) -> dict[str, Any]:
    earlier = [p for p in known.others if p.status != "failed" and p.id != payment.id]
    refund = f"{to_major(known.beyond, payment.currency)} {payment.currency}"
    suggestion = f"refund {refund} of payment {payment.id}"
    if payment.status == "pending":
        suggestion += " once it settles"
    unsettled = [p.id for p in earlier if p.status == "pending"]
    if unsettled:  # if that money never arrives, the invoice was not paid twice after all
        suggestion += f"; {', '.join(unsettled)} still processing: if it fails, check again first"
    return {
        "problem": PAID_TWICE,
        "invoice": payment.invoice,
        "client": payment.client,
        "payment": payment.id,
        "instalment": payment.instalment,
        "refund": [known.beyond, payment.currency],  # our minor units, as it is recorded
        "paid_before": [p.id for p in earlier],
        "suggestion": suggestion,
    }


def _refund(event_id: str, charge: Mapping[str, Any], existing: Payment | None) -> Change:
    if existing is None:
        return Change(
            event_id, reviews=[{"problem": "refund of an unknown payment", "charge": charge["id"]}]
        )
    currency = str(charge.get("currency", "")).upper()
    amount = _ours(charge.get("amount_refunded"), currency)
    if amount is None or currency != existing.currency.upper() or amount > existing.amount:
        # Stripe never refunds more than was paid, nor in another currency: a person looks
        return Change(
            event_id,
            reviews=[
                {
                    "problem": "refund amount not understood",
                    "charge": charge["id"],
                    "payment": existing.id,
                    "invoice": existing.invoice,
                    "received": [charge.get("amount_refunded"), currency],  # Stripe's units
                }
            ],
        )
    refunded = replace(existing, refunded=amount)
    return Change(
        event_id,
        payments=[refunded],
        outbox=[_publish(existing.client, event_id)],
    )


def _dispute(event_id: str, dispute: Mapping[str, Any], existing: Payment | None) -> Change:
    details = {
        "problem": "dispute opened",
        "payment": dispute.get("payment_intent"),
        "amount": _ours(dispute.get("amount"), str(dispute.get("currency", "")).upper()),
        "invoice": existing.invoice if existing else None,
    }
    if existing is None:
        return Change(event_id, reviews=[details])
    # the invoice shows as disputed and its reminders stop until a person settles it
    return Change(
        event_id,
        payments=[replace(existing, disputed=True)],
        reviews=[details],
        outbox=[_publish(existing.client, event_id)],
    )


def _ours(amount: Any, currency: str) -> int | None:
    """An amount in Stripe's units as our minor units; None when it is not one."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        return None
    try:
        return from_stripe(amount, currency)
    except MoneyError:  # an unknown currency, or a fraction of our unit
        return None


def _method(session: Mapping[str, Any], known: _Known) -> str:
    """Stripe's word on the charge; else the session's, if it offered one method only; else
    what an earlier event of this payment learnt; else ``other`` (a label, never a reason
    to lose or delay a payment)."""
    if known.method is not None:
        return known.method
    offered = offered_method(session.get("payment_method_types") or [])
    if offered is not None:
        return offered
    return known.existing.method if known.existing is not None else "other"


def _publish(client: str, event_id: str) -> OutboxItem:
    return OutboxItem(
        key=f"publish:{client}:{event_id}", kind="publish", payload={"client": client}
    )


def _follow_up(payment: Payment, event_id: str, *, receipt: bool) -> list[OutboxItem]:
    items = [_publish(payment.client, event_id)]
    if receipt:
        # keyed on the payment, not the event: two events for one payment mail once
        items.append(
            OutboxItem(
                key=f"receipt:{payment.id}",
                kind="email",
                payload={"template": "receipt", "payment": payment.id, "invoice": payment.invoice},
            )
        )
    return items
