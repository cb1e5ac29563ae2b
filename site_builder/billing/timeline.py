"""What an invoice will cost on each coming day: its periods of one unchanging amount.

A static page is read on days after it was built, so it cannot say "amount due today". It
shows the amounts by period instead ("$980.00 if paid by 15 January · $1,000.00 until 26
January · $1,030.00 from 27 January"), and changes only when a period ends (the discount's
deadline passes, an entry falls due, a late fee or a month of interest is added), a payment
arrives or the content changes.

The periods are read off ``statement``, the one money rule, on each day where one of its rules
can change a figure; between two such days nothing it computes can change, so every day of a
period has exactly the period's figures. ``next_change`` is the first day a page built today
may differ: the day the scheduled job re-publishes the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from site_builder.billing.discount import discount_applies, discount_deadline
from site_builder.billing.fees import fee_days
from site_builder.billing.statement import (
    PaymentRecord,
    Statement,
    statement,
    totals_and_schedule,
)
from site_builder.billing.terms import ResolvedTerms
from site_builder.model import Invoice

# How far past the last step a schedule looks for changes: monthly interest would go on for ever
HORIZON = timedelta(days=400)
MAX_PERIODS = 6  # rows a page shows; the late-payment terms say what comes after
SETTLED = frozenset({"paid", "void", "draft", "disputed"})


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None  # its last day; None: no change foreseen (the last period)
    amount_due: int  # minor units due on every day of the period
    status: str


@dataclass(frozen=True)
class Timeline:
    invoice: tuple[Period, ...]  # the whole invoice
    entries: dict[int, tuple[Period, ...]]  # each entry of a plan, by its n
    next_change: date | None  # the first day any figure differs from today's


def change_days(invoice: Invoice, terms: ResolvedTerms, after: date, until: date) -> list[date]:
    """The days in (``after``, ``until``] on which the rules may change a figure unprompted."""
    _, _, schedule = totals_and_schedule(invoice, terms)  # the statements' own, kept
    days: set[date] = set()
    deadline = discount_deadline(invoice.issued, terms)
    if deadline is not None and discount_applies(schedule):
        days.add(deadline + timedelta(days=1))
    for entry in schedule:
        days.add(entry.due + timedelta(days=1))  # overdue from the day after
        days.update(fee_days(terms.late_fee, entry.due, until))
    return sorted(d for d in days if after < d <= until)


def shown(st: Statement) -> tuple[object, ...]:
    """Everything a page shows that a day can change (days overdue are never shown)."""
    return (
        st.status,
        st.amount_due,
        st.late_fees,
        st.discount_offered,
        tuple((e.status, e.amount_due, e.late_fees) for e in st.entries),
    )


def _periods(
    days: Sequence[date], values: Sequence[tuple[int, str]], known_until: date | None = None
) -> tuple[Period, ...]:
    """Consecutive days of equal figures merged, at most ``MAX_PERIODS`` of them; the last
    ends on ``known_until`` when the days stop there with more to come."""
    periods: list[Period] = []
    for day, (amount, status) in zip(days, values, strict=True):
        if periods and (periods[-1].amount_due, periods[-1].status) == (amount, status):
            continue
        if periods:
            last = periods[-1]
            periods[-1] = Period(last.start, day - timedelta(days=1), last.amount_due, last.status)
        if len(periods) == MAX_PERIODS:
            break  # the last one shown ends where the next would begin
        periods.append(Period(day, None, amount, status))
    last = periods[-1]
    if known_until is not None and last.end is None:
        periods[-1] = Period(last.start, known_until, last.amount_due, last.status)
    return tuple(periods)


def timeline(
    invoice: Invoice, terms: ResolvedTerms, payments: Iterable[PaymentRecord], today: date
) -> Timeline:
    """The invoice's periods from ``today`` on, for the payments recorded so far.

    What a page shows of them depends on the day only through the period it falls in: the
    periods are cut by number, never by a date counted from today.
    """
    counted = tuple(p for p in payments if p.date <= today)
    first = statement(invoice, terms, counted, today)
    if first.status in SETTLED:
        return Timeline(
            invoice=(Period(today, None, first.amount_due, first.status),),
            entries={e.n: (Period(today, None, e.amount_due, e.status),) for e in first.entries},
            next_change=None,
        )
    policy = terms.late_fee
    latest = max((s.days_overdue for s in policy.steps), default=0) if policy else 0
    if policy is not None:
        latest = max(latest, policy.grace_days + 1)
    until = max(today, *(e.due for e in first.entries)) + timedelta(days=latest) + HORIZON
    days, statements, changes = [today], [first], 0
    stopped: date | None = None  # the last day looked at, when the changes go on past it
    for day in change_days(invoice, terms, today, until):
        st = statement(invoice, terms, counted, day)
        if shown(st) != shown(statements[-1]):
            days.append(day)
            statements.append(st)
            changes += 1
            if changes > MAX_PERIODS:  # enough to show, and to know where the last one ends
                stopped = day
                break
    entries = {
        e.n: _periods(
            days, [(s.entries[i].amount_due, s.entries[i].status) for s in statements], stopped
        )
        for i, e in enumerate(first.entries)
    }
    # monthly interest goes on past the horizon: look again once it is reached
    interest = policy is not None and policy.monthly_interest is not None
    return Timeline(
        invoice=_periods(days, [(s.amount_due, s.status) for s in statements], stopped),
        entries=entries,
        next_change=days[1] if len(days) > 1 else (until if interest else None),
    )


def amount_on(periods: Sequence[Period], day: date) -> int | None:
    """The amount due on ``day`` by the periods (None before the first)."""
    found = None
    for period in periods:
        if period.start <= day:
            found = period.amount_due
    return found
