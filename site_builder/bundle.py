"""One client's whole account: the unit that is validated, rendered and snapshotted.

A bundle holds everything a client's pages are made from, so re-rendering a
client (in an incremental build, or by a function after a payment) needs that
bundle and nothing else. Its JSON form is ``build/clients/<client-id>.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from pydantic import BaseModel

from site_builder.billing import (
    BillingError,
    CreditUse,
    PaymentRecord,
    ResolvedTerms,
    Statement,
    resolve_terms,
    statement,
)
from site_builder.billing.timeline import Timeline, timeline
from site_builder.model import Agency, Client, Invoice, Note, Payment, SavedMethod
from site_builder.money import to_minor


class ClientBundle(BaseModel):
    agency: Agency
    client: Client
    invoices: list[Invoice]  # retainers already expanded into one invoice per period
    payments: list[Payment]
    notes: list[Note]
    # the client's saved method while it is on automatic payments, from the store (the
    # functions fill it in); None otherwise, and always in a build without a store
    autopay: SavedMethod | None = None

    @property
    def locale(self) -> str:
        return self.client.locale or self.agency.locale


@dataclass(frozen=True)
class Account:
    """An invoice with its effective terms and its figures as of a day."""

    invoice: Invoice
    terms: ResolvedTerms
    statement: Statement
    payments: tuple[PaymentRecord, ...] = ()  # those the statement counted (dated by its day)
    day: date | None = None  # the statement's day

    @cached_property
    def timeline(self) -> Timeline:
        """Its figures on the days after ``day``: only pages need them, so made on demand."""
        assert self.day is not None
        return timeline(self.invoice, self.terms, self.payments, self.day)


def payment_record(payment: Payment) -> PaymentRecord:
    return PaymentRecord(
        id=payment.id,
        date=payment.date,
        amount=to_minor(payment.amount, payment.currency, exact=True),
        refunded=to_minor(payment.refunded, payment.currency, exact=True),
        instalment=payment.instalment,
        disputed=payment.disputed,
        credit_from=payment.from_invoice,
    )


class AccountErrors(Exception):
    """Invoices whose figures the billing rules refuse, each with its reason."""

    def __init__(self, problems: list[tuple[str, BillingError]]) -> None:
        super().__init__("; ".join(f"{number}: {error}" for number, error in problems))
        self.problems = problems


def with_payments(bundle: ClientBundle, recorded: Iterable[Payment]) -> ClientBundle:
    """The bundle plus payments recorded since its content was written.

    A recorded payment replaces a content payment with the same id: refunds and
    disputes reach the store after the payment was first written down.
    """
    latest = {p.id: p for p in recorded}
    if not latest:
        return bundle
    kept = [p for p in bundle.payments if p.id not in latest]
    return bundle.model_copy(update={"payments": [*kept, *latest.values()]})


def with_receipts(bundle: ClientBundle, numbers: Mapping[str, str]) -> ClientBundle:
    """The bundle with the receipt numbers a store gave its offline payments (payment id ->
    ``R-2026-0007``). The content's payment stays as written (its amount, its reference):
    only its number is the store's. A payment numbered already (a Stripe one) keeps its own.
    """
    if not any(p.id in numbers and p.receipt is None for p in bundle.payments):
        return bundle
    payments = [
        p.model_copy(update={"receipt": numbers[p.id]})
        if p.id in numbers and p.receipt is None
        else p
        for p in bundle.payments
    ]
    return bundle.model_copy(update={"payments": payments})


def issue_day(bundle: ClientBundle, today: date) -> date | None:
    """The first day after ``today`` on which one of the bundle's invoices is issued: a day
    its client's pages change (the invoice is published then, and its email sent)."""
    return min((i.issued for i in bundle.invoices if i.issued > today), default=None)


def accounts(bundle: ClientBundle, today: date) -> list[Account]:
    """Every invoice of the bundle issued by ``today``, with its statement; AccountErrors lists
    bad figures."""
    by_invoice: dict[str, list[PaymentRecord]] = {}
    credit_uses: dict[str, list[CreditUse]] = {}  # by the invoice whose credit was used
    for payment in bundle.payments:
        record = payment_record(payment)
        by_invoice.setdefault(payment.invoice, []).append(record)
        if payment.from_invoice is not None:
            use = CreditUse(payment.id, payment.date, record.amount, payment.invoice)
            credit_uses.setdefault(payment.from_invoice, []).append(use)
    result, problems = [], []
    for invoice in bundle.invoices:
        if invoice.issued > today:
            continue  # not issued yet: no page, no ledger entry until its day (``issue_day``)
        terms = resolve_terms(bundle.agency.terms, bundle.client.terms, invoice.terms)
        try:
            figures = statement(
                invoice,
                terms,
                by_invoice.get(invoice.number, []),
                today,
                credit_uses.get(invoice.number, ()),
            )
        except BillingError as exc:
            problems.append((invoice.number, exc))
            continue
        counted = tuple(p for p in by_invoice.get(invoice.number, ()) if p.date <= today)
        result.append(Account(invoice, terms, figures, counted, today))
    if problems:
        raise AccountErrors(problems)
    return result
