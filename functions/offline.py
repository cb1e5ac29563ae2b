"""Receipts for payments received outside Stripe (``content/payments/``), each sent once.

An offline payment reaches the store with the build's ledger: each ledger entry lists the
payments counted on its invoice. When a build is loaded into a store (``load_ledger``: the
local store by ``portal build --store``, ``portal serve`` and ``portal remind``; DynamoDB by
``portal deploy``), a payment that the store's copy of the entry did not list yet is new to
that store, and its receipt email is queued: one ``Change`` per payment, with the event id
``offline:<payment id>`` and the outbox key ``receipt:<payment id>`` (the key a Stripe
payment's receipt has), written in one transaction. However often a build is loaded (a
rerun, a second build, serve's rebuilds, a deploy), the event is applied once.

What is not a new payment, so gets no email:

- everything a store takes on its first load of an invoice (a new store, the first deploy of
  a stack, an invoice the store never held): that is history, written before the portal
  knew the invoice, and its client was told by other means;
- a payment dated more than ``RECEIPT_WINDOW_DAYS`` before the run's day: a payment entered
  late (last year's cheque, found in a drawer) is recorded, not announced;
- a payment the store recorded itself (a Stripe payment: its webhook queued its receipt).

The rules are pure (``new_payments``, ``receipt_change``); ``load_ledger`` does the I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from functions.store.base import Change, OutboxItem, Payment, Store
from site_builder.bundle import ClientBundle
from site_builder.money import to_minor

RECEIPT_WINDOW_DAYS = 30
# what moves no money has no receipt (a credit applied from another invoice's overpayment)
NO_RECEIPT_METHODS = frozenset({"credit"})


@dataclass(frozen=True)
class NewPayment:
    """A payment the store's ledger did not list yet, as the ledger names it."""

    id: str
    invoice: str
    client: str
    day: date


def new_payments(
    entries: Mapping[str, Mapping[str, Any]],
    before: Mapping[str, Mapping[str, Any] | None],
    today: date,
) -> Iterator[NewPayment]:
    """The payments of ``entries`` that the store's copies (``before``) did not list, dated
    within ``RECEIPT_WINDOW_DAYS`` up to ``today``; none of an invoice the store never held."""
    oldest = today - timedelta(days=RECEIPT_WINDOW_DAYS)
    for number, entry in entries.items():
        held = before.get(number)
        if held is None:
            continue  # the store's first sight of the invoice: its payments are history
        listed = {p.get("id") for p in held.get("payments") or ()}
        for payment in entry.get("payments") or ():
            day = date.fromisoformat(payment["date"])
            if payment["id"] not in listed and oldest <= day <= today:
                yield NewPayment(payment["id"], number, entry["client"], day)


def receipt_change(payment: NewPayment) -> Change:
    """The store's record of an offline payment and its receipt email, in one transaction."""
    return Change(
        event_id=f"offline:{payment.id}",
        outbox=[
            OutboxItem(
                key=f"receipt:{payment.id}",  # as a Stripe payment's: one receipt per payment
                kind="email",
                payload={
                    "template": "receipt",
                    "payment": payment.id,
                    "invoice": payment.invoice,
                    "client": payment.client,  # its snapshot holds the payment
                },
            )
        ],
    )


def load_ledger(
    store: Store,
    entries: Mapping[str, Mapping[str, Any]],
    today: date,
    before: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[str]:
    """Put a build's ledger entries into ``store``, queueing the receipts of the offline
    payments new to it; returns their ids.

    ``before``: what the store held of those entries, when the caller knows it without
    asking the store (the deploy keeps the last ledger it wrote); by default each is read.
    The receipts go first: if putting the entries fails, the next load still finds the
    payments new, and a receipt already queued is not queued again (its event was seen).
    """
    if before is None:
        before = {number: store.invoice(number) for number in entries}
    queued = []
    for found in new_payments(entries, before, today):
        if store.payment(found.id) is not None:
            continue  # recorded through Stripe: the webhook queued its receipt (or will)
        if store.apply(receipt_change(found)):
            queued.append(found.id)
    store.put_invoices(entries)
    return queued


def offline_payment(bundle: ClientBundle, payment_id: str) -> Payment | None:
    """The content's payment as the receipt email reads a payment; None if it moved no money.

    LookupError if the snapshot does not hold it: a deploy queues the receipt a moment
    before it uploads the snapshot that has the payment, so the drain tries again later.
    """
    found = next((p for p in bundle.payments if p.id == payment_id), None)
    if found is None:
        raise LookupError(f"payment {payment_id} is not in the snapshot of {bundle.client.id}")
    if found.method in NO_RECEIPT_METHODS:
        return None
    return Payment(
        id=found.id,
        invoice=found.invoice,
        client=bundle.client.id,
        amount=to_minor(found.amount, found.currency, exact=True),
        currency=found.currency,
        received=found.date.isoformat(),
        method=found.method,
        status="succeeded",
        instalment=found.instalment,
        refunded=to_minor(found.refunded, found.currency, exact=True),
    )
