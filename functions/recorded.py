"""Payments the functions recorded, in the content model the build and the rules speak."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from functions.store.base import Payment, Store
from site_builder.bundle import Account, ClientBundle, accounts, with_payments, with_receipts
from site_builder.model import Payment as ContentPayment
from site_builder.model import SavedMethod
from site_builder.money import to_major


def content_payment(payment: Payment) -> ContentPayment | None:
    """The payment as the billing rules count it; None for a failed one (no money came).

    A bank debit still processing counts as paid, so nobody is asked to pay twice
    while it settles (the portal shows it as processing, with no receipt yet); if it
    fails, its record turns ``failed`` and the balance reopens.
    """
    if payment.status == "failed":
        return None
    return ContentPayment(
        id=payment.id,
        invoice=payment.invoice,
        amount=to_major(payment.amount, payment.currency),
        currency=payment.currency,
        date=date.fromisoformat(payment.received),
        method=payment.method,  # type: ignore[arg-type]  # card, bank_debit or other
        instalment=payment.instalment,
        refunded=to_major(payment.refunded, payment.currency),
        disputed=payment.disputed,
        processing=payment.status == "pending",
        receipt=payment.receipt,  # the store's number: the receipt page's label and name
        saved=saved_of(payment),
    )


def saved_of(payment: Payment) -> SavedMethod | None:
    """The saved method an automatic charge was made to, which its receipt names."""
    if payment.saved_type is None or payment.saved_last4 is None:
        return None
    return SavedMethod(
        type=payment.saved_type, brand=payment.saved_brand, last4=payment.saved_last4
    )


def as_content(payments: Iterable[Payment]) -> list[ContentPayment]:
    return [c for p in payments if (c := content_payment(p)) is not None]


def by_client(store: Store, problems: list[str] | None = None) -> dict[str, list[ContentPayment]]:
    """Every recorded payment, grouped by client: what ``portal build`` adds to the content.

    A record that no longer validates as a payment (an id that is not a plain name, a
    method or a date the content does not know) is left out, with a reason in
    ``problems``: it stops its own figures, never the build.
    """
    grouped: dict[str, list[ContentPayment]] = {}
    for payment in store.payments():
        try:
            counted = content_payment(payment)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            if problems is not None:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                problems.append(
                    f"payment {payment.id!r} of client {payment.client!r} not counted: {first}"
                )
            continue
        if counted is not None:
            grouped.setdefault(payment.client, []).append(counted)
    return grouped


def receipt_numbers(store: Store) -> dict[str, dict[str, str]]:
    """The numbers the store gave the content's offline payments, by client: what ``portal
    build`` adds to the content with the recorded payments (``build(receipts=...)``)."""
    return store.offline_receipts_by_client()


def with_store_payments(bundle: ClientBundle, store: Store) -> ClientBundle:
    """A client's snapshot plus every payment the store recorded for its invoices, and the
    receipt numbers it gave the snapshot's offline payments (the build's own rule:
    ``bundle.with_receipts``), so a re-publish names each receipt page as the build does;
    and the client's saved method while it is on autopay (``bundle.autopay``)."""
    recorded = (p for invoice in bundle.invoices for p in store.payments(invoice.number))
    counted = with_payments(bundle, as_content(recorded))
    counted = with_receipts(counted, store.offline_receipt_numbers(bundle.client.id))
    found = store.method(bundle.client.id)
    return counted.model_copy(update={"autopay": saved_method(found) if found else None})


def saved_method(record: Mapping[str, Any]) -> SavedMethod:
    """A saved method's store record as the bundle and the pages take it."""
    return SavedMethod(
        type=record["type"],
        brand=record.get("brand"),
        last4=record.get("last4") or "",
        customer=record.get("customer"),
        id=record["payment_method"],
    )


def methods_by_client(store: Store) -> dict[str, SavedMethod]:
    """Every client on autopay and its saved method: what ``portal build`` adds to the
    bundles it renders (``build(methods=...)``)."""
    return {m["client"]: saved_method(m) for m in store.methods()}


def invoice_account(bundle: ClientBundle, store: Store, number: str, today: date) -> Account | None:
    """One invoice's figures with the store's payments: one store query, not one per invoice
    (a receipt's number moves no money: not read here)."""
    invoice = next((i for i in bundle.invoices if i.number == number), None)
    if invoice is None:
        return None
    alone = bundle.model_copy(update={"invoices": [invoice]})
    (account,) = accounts(with_payments(alone, as_content(store.payments(number))), today)
    return account
