"""A client's credit: what it paid beyond its invoices, until refunded or applied.

Kept as Stripe Invoicing keeps a customer's credit balance, and as an accountant would:
money paid beyond what an invoice owed (its ``Statement.overpaid``, net of refunds) stays
the client's, per currency, until the agency refunds it (``refunded:`` on the payment that
overpaid) or applies it to another of the client's invoices (a payment with
``method: credit`` and ``from: <invoice>``). The invoice paid that way counts the credit as
a payment on its day; the overpaid invoice counts it in ``credit_applied``. Nothing is made
or lost on the way: for each client and currency, the payments (net of refunds) equal what
the invoices took plus the credit left.

Pure: statements in, figures out; the build names the content at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from site_builder.billing.statement import CreditUse, PaymentRecord, Statement, statement
from site_builder.billing.terms import ResolvedTerms
from site_builder.model import Invoice


@dataclass(frozen=True)
class CreditBalance:
    """What a client has in credit in one currency, and the invoices it sits on."""

    currency: str
    amount: int  # minor units, more than 0
    invoices: tuple[str, ...]  # the overpaid invoices, by number


def credit_balances(statements: Iterable[Statement]) -> list[CreditBalance]:
    """A client's credit balance per currency (only those above 0), by currency code."""
    amounts: dict[str, int] = {}
    sources: dict[str, list[str]] = {}
    for st in statements:
        if st.credit > 0:
            amounts[st.currency] = amounts.get(st.currency, 0) + st.credit
            sources.setdefault(st.currency, []).append(st.number)
    return [
        CreditBalance(currency, amounts[currency], tuple(sorted(sources[currency])))
        for currency in sorted(amounts)
    ]


def credit_on(
    invoice: Invoice,
    terms: ResolvedTerms,
    payments: Sequence[PaymentRecord],
    uses: Sequence[CreditUse],
    day: date,
) -> int:
    """The credit left on ``invoice`` on ``day``: what was overpaid by then, less the uses
    dated up to then. Below 0 when more was applied than there was to apply."""
    overpaid = statement(invoice, terms, payments, day).overpaid
    return overpaid - sum(u.amount for u in uses if u.date <= day)


def owed_without(
    invoice: Invoice, terms: ResolvedTerms, payments: Sequence[PaymentRecord], application: str
) -> tuple[int, bool]:
    """What ``invoice`` owes on the day of the credit ``application`` (a payment id among
    ``payments``) without it, and whether the application would pay more than that.

    Credit pays what is owed and no more: the rest stays credit where it was, rather than
    becoming an overpayment of the invoice it was applied to.
    """
    applied = next(p for p in payments if p.id == application)
    others = [p for p in payments if p.id != application]
    before = statement(invoice, terms, others, applied.date)
    after = statement(invoice, terms, payments, applied.date)
    return before.balance, after.overpaid > before.overpaid
