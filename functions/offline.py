"""Receipts for payments received outside Stripe (``content/payments/``), each sent once.

An offline payment reaches the store with the build's ledger: each ledger entry lists the
payments counted on its invoice. When a build is loaded into a store
(``functions/deliveries.py`` ``load_ledger``: the local store by ``portal build --store``,
``portal serve`` and ``portal remind``; DynamoDB by ``portal deploy``), a payment that the
store's copy of the entry did not list yet is new to that store, and its receipt email is
queued: one ``Change`` per payment, with the event id ``offline:<payment id>`` and the outbox
key ``receipt:<payment id>`` (the key a Stripe payment's receipt has), written in one
transaction. However often a build is loaded (a
rerun, a second build, serve's rebuilds, a deploy), the event is applied once.

What is not a new payment, so gets no email:

- everything a store takes on its first load of an invoice (a new store, the first deploy of
  a stack, an invoice the store never held): that is history, written before the portal
  knew the invoice, and its client was told by other means;
- a payment dated more than ``RECEIPT_WINDOW_DAYS`` before the run's day: a payment entered
  late (last year's cheque, found in a drawer) is recorded, not announced;
- a payment the store recorded itself (a Stripe payment: its webhook queued its receipt).

Every offline payment that moved money gets a receipt number from the store's counter, the
one Stripe's payments take theirs from (``numbering.py``): a new one in the transaction that
queues its email (``receipt_change``), history and late entries (no email) in the order they
were received (``history_changes``), so every receipt a client can open carries a number.
A credit applied from another invoice moved no money: no receipt, no number.

The rules are pure (``new_payments``, ``receipt_change``, ``unlisted``, ``history_changes``);
``functions/deliveries.py`` ``load_ledger`` does the I/O, beside the invoices' own emails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from functions.store.base import Change, OfflineReceipt, OutboxItem, Payment, Store
from site_builder.bundle import ClientBundle
from site_builder.money import to_minor

RECEIPT_WINDOW_DAYS = 30
# what moves no money has no receipt (a credit applied from another invoice's overpayment)
NO_RECEIPT_METHODS = frozenset({"credit"})
# offline receipts numbered per transaction: each writes two items (DynamoDB's limit is 100)
HISTORY_BATCH = 40


@dataclass(frozen=True)
class NewPayment:
    """A payment the store's ledger did not list yet, as the ledger names it."""

    id: str
    invoice: str
    client: str
    day: date
    credit: bool = False  # credit applied from another invoice: no money moved, no receipt


def _listed(number: str, entry: Mapping[str, Any], payment: Mapping[str, Any]) -> NewPayment:
    return NewPayment(
        payment["id"],
        number,
        entry["client"],
        date.fromisoformat(payment["date"]),
        credit=payment.get("credit_from") is not None,  # the ledger's mark of credit applied
    )


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
            found = _listed(number, entry, payment)
            if found.id not in listed and oldest <= found.day <= today:
                yield found


def _offline_receipt(payment: NewPayment) -> OfflineReceipt:
    return OfflineReceipt(payment.id, payment.client, payment.day.isoformat())


def receipt_change(payment: NewPayment, *, republish: bool = True) -> Change:
    """The store's record of an offline payment, its receipt number and email, in one
    transaction; and (``republish``) a re-publish of its client, whose pages the build
    rendered before the number existed (a receipt page is named by its number: the email
    links that name). A caller that builds again with the numbers needs no re-publish."""
    numbered = () if payment.credit else (_offline_receipt(payment),)
    publish = [_publish(payment.client, f"offline:{payment.id}")] if republish else []
    return Change(
        event_id=f"offline:{payment.id}",
        offline_receipts=numbered,
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
            ),
            *publish,
        ],
    )


def _publish(client: str, event_id: str) -> OutboxItem:
    # keyed as the webhook's re-publish is (functions/payments.py): once per event
    key = f"publish:{client}:{event_id}"
    return OutboxItem(key=key, kind="publish", payload={"client": client})


def unlisted(
    entries: Mapping[str, Mapping[str, Any]],
    before: Mapping[str, Mapping[str, Any] | None],
    numbered: Container[str] = (),
) -> list[NewPayment]:
    """The payments of ``entries`` that moved money, that the store's copies (``before``) did
    not list and that ``numbered`` (the ids it numbered) lacks, in the order received (then
    by id): what takes a number on this load. A payment the store's ledger listed already
    was numbered when it was first listed (or before numbers existed: left as it was)."""
    found: dict[str, NewPayment] = {}
    for number, entry in entries.items():
        held = before.get(number)
        listed = {p.get("id") for p in (held or {}).get("payments") or ()}
        for payment in entry.get("payments") or ():
            if payment["id"] not in listed:
                found[payment["id"]] = _listed(number, entry, payment)
    wanting = (p for p in found.values() if not p.credit and p.id not in numbered)
    return sorted(wanting, key=lambda p: (p.day, p.id))


def history_changes(payments: Sequence[NewPayment], *, republish: bool = True) -> list[Change]:
    """Numbers for receipts nobody is mailed about (history, late entries), in the order
    given, a batch per transaction, and a re-publish of each client they name.

    The event id names the batch's payments: a rerun of the same batch is seen and skipped,
    and a store numbers a payment once whatever batch names it again.
    """
    changes = []
    for start in range(0, len(payments), HISTORY_BATCH):
        batch = payments[start : start + HISTORY_BATCH]
        ids = "\n".join(p.id for p in batch).encode()
        event_id = f"offline-history:{hashlib.sha256(ids).hexdigest()[:32]}"
        clients = sorted({p.client for p in batch})
        changes.append(
            Change(
                event_id=event_id,
                offline_receipts=[_offline_receipt(p) for p in batch],
                outbox=[_publish(client, event_id) for client in clients] if republish else [],
            )
        )
    return changes


def number_history(
    store: Store,
    entries: Mapping[str, Mapping[str, Any]],
    before: Mapping[str, Mapping[str, Any] | None],
    mailed: Container[str] = (),
    *,
    republish: bool = True,
) -> int:
    """Number the offline receipts new to the store's ledger (``unlisted``) that get no email
    (``mailed``: the ids ``receipt_change`` numbers with theirs); returns how many. An
    accountant expects every receipt shown to carry a number, history included.
    Called by ``load_ledger`` before the new payments' receipts, so history comes first."""
    wanting = [p for p in unlisted(entries, before) if p.id not in mailed]
    if not wanting:
        return 0  # the usual load: no store read spent
    numbered = store.offline_receipt_numbers()
    stripe = {p.id for p in store.payments()}  # the store's own: numbered as they succeeded
    wanting = [p for p in wanting if p.id not in numbered and p.id not in stripe]
    for change in history_changes(wanting, republish=republish):
        store.apply(change)
    return len(wanting)


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
