"""Credit applications in ``payments/``: checked against the client's own invoices.

A credit application is a payment file with ``method: credit`` and ``from: <invoice>``: it
pays ``invoice`` out of what the client overpaid on the ``from`` invoice (the money rules
are in ``billing/credit.py``). Each problem is reported on the file and field at fault, as
every content error is, so ``portal check`` lists them with the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from site_builder.billing import CreditUse, PaymentRecord, resolve_terms
from site_builder.billing.credit import credit_on, owed_without
from site_builder.bundle import ClientBundle, payment_record
from site_builder.model import Invoice, Payment
from site_builder.money import to_major


@dataclass(frozen=True)
class CreditProblem:
    payment: str  # the payment's id (its file name)
    field: str
    message: str


def _shown(minor: int, currency: str) -> str:
    return f"{to_major(minor, currency)} {currency}"


def _form(
    payment: Payment, invoices: Mapping[str, Invoice], client: str
) -> Iterator[tuple[str, str]]:
    """What is wrong with the file itself, before any figure: (field, message)."""
    source = payment.from_invoice
    if source is None:
        yield "from", "required with method: credit: the invoice whose credit pays this one"
        return
    if payment.method != "credit":
        yield "method", "must be credit when the payment names an invoice in from:"
        return
    if source == payment.invoice:
        yield "from", "names the invoice it pays: credit comes from another invoice"
        return
    other = invoices.get(source)
    if other is None:
        yield "from", f"no invoice {source!r} of client {client}: credit stays with its client"
        return
    if other.status == "draft":
        yield "from", f"invoice {source} is a draft: nothing was paid on it"
    elif other.currency != payment.currency:
        yield (
            "from",
            f"invoice {source} is in {other.currency}, this credit in {payment.currency}: "
            "credit is applied in its own currency",
        )
    target = invoices.get(payment.invoice)
    if target is not None and target.status == "void":
        yield "invoice", f"invoice {payment.invoice} is void: there is nothing to pay on it"
    if payment.amount <= 0:
        yield "amount", "must be more than 0"
    if payment.refunded:
        yield "refunded", "credit applied is not refunded: delete the file to undo it"
    if payment.processing:
        yield "processing", "credit applied is never on its way: remove processing"
    if payment.disputed:
        yield "disputed", "credit applied cannot be disputed with a bank: remove disputed"


def credit_problems(bundle: ClientBundle, invoices: Mapping[str, Invoice]) -> list[CreditProblem]:
    """Every credit application of ``bundle`` the figures cannot take, with its field.

    ``invoices``: all of the client's invoices, drafts included (to say which is a draft).
    The bundle's payments include those the store recorded: a refund there counts.
    """
    client = bundle.client.id
    problems: list[CreditProblem] = []
    applications = []
    for payment in bundle.payments:
        if payment.method != "credit" and payment.from_invoice is None:
            continue
        found = [CreditProblem(payment.id, f, m) for f, m in _form(payment, invoices, client)]
        problems += found
        if not found:
            applications.append(payment)
    if not applications:
        return problems

    records: dict[str, list[PaymentRecord]] = {}
    for payment in bundle.payments:
        records.setdefault(payment.invoice, []).append(payment_record(payment))
    terms = {
        inv.number: resolve_terms(bundle.agency.terms, bundle.client.terms, inv.terms)
        for inv in bundle.invoices
    }
    uses: dict[str, list[CreditUse]] = {}
    # in the order they happen: a later application finds what the earlier ones left
    for payment in sorted(applications, key=lambda p: (p.date, p.id)):
        source, target = invoices[payment.from_invoice or ""], invoices[payment.invoice]
        record = payment_record(payment)
        use = CreditUse(payment.id, payment.date, record.amount, target.number)
        mine = [*uses.get(source.number, []), use]
        left = credit_on(
            source, terms[source.number], records.get(source.number, []), mine, use.date
        )
        if left < 0:
            problems.append(
                CreditProblem(
                    payment.id,
                    "amount",
                    f"more than the credit on invoice {source.number} on {use.date}: "
                    f"{_shown(max(0, left + use.amount), payment.currency)} left to apply",
                )
            )
            continue
        owed, too_much = owed_without(
            target, terms[target.number], records.get(target.number, []), payment.id
        )
        if too_much:
            problems.append(
                CreditProblem(
                    payment.id,
                    "amount",
                    f"more than invoice {target.number} owes on {use.date} "
                    f"({_shown(owed, payment.currency)}): the rest stays credit",
                )
            )
            continue
        uses[source.number] = mine
    return problems
