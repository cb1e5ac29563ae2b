"""A client's statement of account: every charge and payment of a period, with balances.

Kept as an accountant's activity statement is (Xero's, FreshBooks'): per currency, the
opening balance, then in date order each invoice issued, late fee charged (on the day it fell
due), early-payment discount taken (on the day the payment that earned it arrived), payment
received, refund and credit applied, with the running balance after each, the closing balance,
and the aging of what is open at the end by each part's due date (``aging.bucket``).

Every figure is read off ``statement``, the one money rule, as of the statement's last day:
nothing is recomputed here, only dated and added up. A balance is what the client owes less
the credit it holds (``Statement.credit``), so the closing balance is exactly the open
invoices' balances less the credit, and the opening balance is the lines before the period.

Credit applied moves money already received from one invoice to another: the client's balance
does not change, so its line carries the amount moved and adds 0. A refund is dated on the
payment it gives back, as the billing rules count it (a refund has no day of its own in the
content). A void invoice is not on the account; money paid against it is, as credit. An invoice
issued after the statement's day is not on it yet, nor what was paid towards it.

The statement is as of a day on which its figures last changed (``statement_day``), never the
build's day: a page made from it is the same on every day until the next change
(``next_statement_change``), which the scheduled job re-publishes.

Pure: the invoices' figures in, the statement out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, Protocol

from site_builder.billing.aging import BUCKET_STARTS, BUCKETS, bucket
from site_builder.billing.dates import add_months
from site_builder.billing.statement import PaymentRecord, Statement, statement
from site_builder.billing.terms import ResolvedTerms
from site_builder.billing.timeline import change_days
from site_builder.model import Invoice

LineKind = Literal["invoice", "late_fee", "payment", "discount", "refund", "credit"]
# Lines of one day in this order: the invoice before what is charged or paid on it, a fee of a
# day before that day's payments (the fee rule charges it at the start of the day), and what a
# payment brought with it (the discount it earned, a refund of it) after the payment.
_ORDER: dict[LineKind, int] = {
    "invoice": 0,
    "late_fee": 1,
    "payment": 2,
    "discount": 3,
    "refund": 4,
    "credit": 5,
}
PERIOD_MONTHS = 12  # calendar months a statement covers, the last one its own
LOOK_AHEAD = timedelta(days=400)  # how far ahead a fee can be foreseen (timeline.HORIZON)


class InvoiceFigures(Protocol):
    """An invoice with its statement as of ``day`` and the payments it counted (an
    ``Account`` of the build): what a statement of account is made from."""

    @property
    def invoice(self) -> Invoice: ...
    @property
    def terms(self) -> ResolvedTerms: ...
    @property
    def statement(self) -> Statement: ...
    @property
    def payments(self) -> tuple[PaymentRecord, ...]: ...
    @property
    def day(self) -> date | None: ...


@dataclass(frozen=True)
class Line:
    on: date
    kind: LineKind
    invoice: str
    amount: int  # what it adds to the balance, minor units: + charged, − received; credit 0
    balance: int = 0  # the running balance after it
    payment: str | None = None  # payment, refund, credit: the payment's id
    moved: int = 0  # credit applied: the amount moved onto ``invoice``
    source: str | None = None  # credit applied: the invoice whose credit it was


@dataclass(frozen=True)
class OpenItem:
    invoice: str
    n: int  # the part of the invoice (1 for an invoice paid in one payment)
    kind: str  # full, deposit, instalment, balance
    due: date
    amount: int  # what is owed on it at the end, minor units
    bucket: str  # its aging bucket at the end


@dataclass(frozen=True)
class CurrencyStatement:
    currency: str
    opening: int  # the balance at the start of the period: + owed, − in credit
    lines: tuple[Line, ...]  # the period's, by date
    closing: int  # opening + the lines' amounts = owed − credit
    charged: int  # the period's lines that added to the balance
    received: int  # those that took from it, as a positive figure
    owed: int  # the open invoices' balances at the end
    credit: int  # the credit the client holds at the end
    open_items: tuple[OpenItem, ...]  # by due date
    aging: tuple[tuple[str, int], ...]  # (bucket, amount) for every bucket, in BUCKETS order


@dataclass(frozen=True)
class AccountStatement:
    start: date  # the period's first day
    end: date  # its last: the statement is as of this day
    sections: tuple[CurrencyStatement, ...]  # by currency code


def period_start(end: date, months: int = PERIOD_MONTHS) -> date:
    """The first day of a statement ending on ``end``: the first of the month ``months`` - 1
    months before ``end``'s, so the period is whole calendar months and the current one."""
    return add_months(end.replace(day=1), 1 - months)


def _on(figures: InvoiceFigures, day: date) -> Statement:
    """The invoice's statement as of ``day`` (on or before the day its figures were made for).

    When nothing of the invoice is dated after ``day`` (a payment, a fee, credit applied), its
    figures then are those it has: what this module reads of them (lines, balance, credit,
    what each part owes) only a dated event changes. A statement is as of its last change,
    so that is the usual case, and the billing rules are not run twice per invoice.
    """
    st = figures.statement
    if figures.day == day:
        return st
    assert figures.day is None or day <= figures.day, "a statement cannot look past its figures"
    later = [*(p.date for p in figures.payments), *(f.on for f in st.fees)]
    if all(d <= day for d in [*later, *(u.date for u in st.credit_uses)]):
        return st
    return statement(figures.invoice, figures.terms, figures.payments, day, st.credit_uses)


def _discount_day(st: Statement, payments: Sequence[PaymentRecord]) -> date | None:
    """The day the discount was earned: the payment, by its deadline, that completed it."""
    if not st.discount or st.discount_deadline is None:
        return None
    needed, paid = st.totals.total - st.discount, 0
    for p in sorted(payments, key=lambda p: (p.date, p.id)):
        if p.date > st.discount_deadline:
            break
        paid += p.net
        if paid >= needed:
            return p.date
    return None  # not reached: a discount taken was earned by payments in time


def _lines(figures: InvoiceFigures, st: Statement, end: date) -> list[Line]:
    """The invoice's lines up to ``end``, from its statement as of ``end``."""
    number, lines = figures.invoice.number, []
    if st.status != "void":
        lines.append(Line(st.issued, "invoice", number, st.totals.total))
        lines += [Line(f.on, "late_fee", number, f.amount) for f in st.fees]
    counted = [p for p in figures.payments if p.date <= end]
    if (earned := _discount_day(st, counted)) is not None:
        lines.append(Line(earned, "discount", number, -st.discount))
    for p in counted:
        if p.credit_from is not None:
            lines.append(Line(p.date, "credit", number, 0, 0, p.id, p.amount, p.credit_from))
            continue
        lines.append(Line(p.date, "payment", number, -p.amount, 0, p.id))
        if p.net < p.amount:
            lines.append(Line(p.date, "refund", number, p.amount - p.net, 0, p.id))
    return lines


def _open_items(st: Statement, end: date) -> list[OpenItem]:
    # a part's outstanding figure: what it owes (``amount_due`` is less a discount still on
    # offer, which only an invoice paid in one payment has, so it is the whole balance)
    return [
        OpenItem(st.number, e.n, e.kind, e.due, owed, bucket((end - e.due).days))
        for e in st.entries
        if (owed := e.amount_due + st.discount_offered) > 0
    ]


def _on_account(figures: InvoiceFigures, end: date) -> bool:
    # an invoice issued later is not on the account yet (nor a draft, which is never sent)
    return figures.invoice.issued <= end and figures.invoice.status != "draft"


def account_statement(
    invoices: Iterable[InvoiceFigures], start: date, end: date
) -> AccountStatement:
    """The client's statement of account from ``start`` to ``end``, figures as of ``end``.

    ``invoices``: each with its figures made for ``end`` or a later day (an ``Account``).
    """
    by_currency: dict[str, tuple[list[Line], list[OpenItem], list[Statement]]] = {}
    for figures in invoices:
        if not _on_account(figures, end):
            continue
        st = _on(figures, end)
        lines, items, statements = by_currency.setdefault(st.currency, ([], [], []))
        lines += _lines(figures, st, end)
        items += _open_items(st, end)
        statements.append(st)
    sections = []
    for currency in sorted(by_currency):
        lines, items, statements = by_currency[currency]
        lines.sort(key=lambda x: (x.on, _ORDER[x.kind], x.invoice, x.payment or ""))
        before = [x for x in lines if x.on < start]
        opening = sum(x.amount for x in before)
        running, shown = opening, []
        for x in lines[len(before) :]:
            running += x.amount
            shown.append(replace(x, balance=running))
        aging = dict.fromkeys(BUCKETS, 0)
        for item in items:
            aging[item.bucket] += item.amount
        sections.append(
            CurrencyStatement(
                currency=currency,
                opening=opening,
                lines=tuple(shown),
                closing=running,
                charged=sum(x.amount for x in shown if x.amount > 0),
                received=-sum(x.amount for x in shown if x.amount < 0),
                owed=sum(st.balance for st in statements),
                credit=sum(st.credit for st in statements),
                open_items=tuple(sorted(items, key=lambda i: (i.due, i.invoice, i.n))),
                aging=tuple(aging.items()),
            )
        )
    return AccountStatement(start, end, tuple(sections))


def statement_day(invoices: Iterable[InvoiceFigures], today: date) -> date | None:
    """The last day up to ``today`` on which the client's statement changed: a line's day, or
    a day an open part moved to an older aging bucket. None: nothing on the account yet.

    Between that day and ``today`` nothing on the statement changed, so the statement as of
    that day is today's, and stays so until ``next_statement_change``.
    """
    days: list[date] = []
    for figures in invoices:
        if not _on_account(figures, today):
            continue
        st = _on(figures, today)
        days += [line.on for line in _lines(figures, st, today)]
        for item in _open_items(st, today):
            days += [item.due + timedelta(days=d) for d in BUCKET_STARTS]
    return max((d for d in days if d <= today), default=None)


def next_statement_change(invoices: Iterable[InvoiceFigures], today: date) -> date | None:
    """The first day after ``today`` on which the statement may change unprompted (a payment
    is never foreseen): an invoice's issue day, a day a figure of an open invoice changes (a
    fee falls due), a day an open part moves to an older aging bucket. None: none foreseen.

    It may name a day on which nothing changes after all; never a day too late.
    """
    days: list[date] = []
    for figures in invoices:
        invoice = figures.invoice
        if invoice.status == "draft":
            continue
        if invoice.issued > today:
            days.append(invoice.issued)
            continue
        st = _on(figures, today)
        items = _open_items(st, today)
        if not items:
            continue
        days += change_days(invoice, figures.terms, today, today + LOOK_AHEAD)[:1]
        for item in items:
            days += [item.due + timedelta(days=d) for d in BUCKET_STARTS]
    return min((d for d in days if d > today), default=None)
