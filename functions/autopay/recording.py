"""The webhook's side of an automatic charge: a PaymentIntent event with ``metadata.autopay``.

``payment_intent.succeeded`` records the payment exactly as a Checkout payment is recorded
(``payments.plan_autopay``: the same Change, receipt number, receipt email, re-publish);
the job may have recorded it already from Stripe's answer, and both name the payment by its
PaymentIntent, so it is one payment and one receipt. ``processing`` (a bank debit) records
it pending, as a Checkout bank debit is, until its ``succeeded`` or ``payment_failed``.

``payment_intent.payment_failed`` agrees with what the job recorded: a card's decline was
answered to the job, which sent its one failure email; the webhook sends none. A bank debit
that was processing and then failed reopens the invoice here, and its attempt turns failed
with its follow-up not yet queued, which the next daily run queues (the failure email and
the retry plan), once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from functions.methods import method_of
from functions.payments import plan_autopay, plan_autopay_failed
from functions.store.base import ChargeAttempt, Store


def record_intent(store: Store, event: Mapping[str, Any], day: str) -> bool:
    """Apply an automatic charge's event (``events.AutopayIntentEvent``, plain); False if it
    was seen before."""
    kind, event_id = event["type"], event["id"]
    intent = event["data"]["object"]
    existing = store.payment(intent["id"])
    if kind == "payment_intent.payment_failed":
        applied = store.apply(plan_autopay_failed(event_id, existing))
        error = intent.get("last_payment_error") or {}
        reason = error.get("decline_code") or error.get("code") or "payment_failed"
        _result(store, intent, "failed", str(reason))
        return applied
    types = intent.get("payment_method_types") or []
    method = method_of(types[0]) if len(types) == 1 else "other"
    succeeded = kind == "payment_intent.succeeded"
    applied = store.apply(
        plan_autopay(
            event_id,
            intent,
            existing,
            day,
            method=method,
            succeeded=succeeded,
            saved=_charged(store, intent),
        )
    )
    _result(store, intent, "succeeded" if succeeded else "processing", None)
    return applied


def _charged(store: Store, intent: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The client's saved method, if it is the one the job charged for this attempt (the
    claim names it); a method changed or dropped since is not named: the job's own record
    of the payment has it already."""
    md = intent["metadata"]
    n = int(md["instalment"]) if md.get("instalment") else 0
    key = (md["invoice"], n, int(md["autopay"]))
    charged = [
        a.payment_method
        for a in store.charges(md["client"])
        if (a.invoice, a.instalment, a.attempt) == key
    ]
    saved = store.method(md["client"])
    if saved is None or not charged or saved.get("payment_method") != charged[0]:
        return None
    return saved


def _result(store: Store, intent: Mapping[str, Any], state: str, reason: str | None) -> None:
    """The attempt's result, where the job has not written a final one.

    A failure is written only over ``processing``: a claim with no result is the job's
    (a run after the lease asks Stripe again and sends the failure's email), and a failure
    the job recorded keeps its ``notified``.
    """
    md = intent["metadata"]
    n = int(md["instalment"]) if md.get("instalment") else 0
    number = int(md["autopay"])
    mine = [
        a
        for a in store.charges(md["client"])
        if (a.invoice, a.instalment, a.attempt) == (md["invoice"], n, number)
    ]
    if not mine:
        return  # not the job's (or another store's): the payment is recorded all the same
    attempt: ChargeAttempt = mine[0]
    if state == "failed" and attempt.state != "processing":
        return
    store.charge_result(
        replace(
            attempt,
            state=state,  # type: ignore[arg-type]
            payment_intent=intent["id"],
            reason=reason,
            notified=state != "failed",
        )
    )
