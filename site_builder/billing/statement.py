"""An invoice's figures as of a day: what was paid, what fees fell due, what is owed.

This is the single place the rules meet. The build, the ledger, the checkout
and the reminders all read a Statement, so they can never disagree about
what a client owes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from site_builder.billing.discount import (
    discount_amount,
    discount_applies,
    discount_deadline,
    discount_offered,
    discount_taken,
)
from site_builder.billing.fees import FeeCharge, late_fee_charges
from site_builder.billing.schedule import ScheduleEntry, payment_schedule
from site_builder.billing.terms import ResolvedTerms, due_date
from site_builder.billing.totals import Totals, invoice_totals
from site_builder.model import Invoice, LateFeePolicy

Applied = list[tuple[date, int]]


@dataclass(frozen=True)
class PaymentRecord:
    id: str
    date: date
    amount: int  # minor units received
    refunded: int = 0
    instalment: int | None = None  # the entry (n) the payer meant to pay, if any
    disputed: bool = False
    # a credit application: paid out of this other invoice's overpayment, not money received
    credit_from: str | None = None

    @property
    def net(self) -> int:
        # a refund can only give back what was paid; more is a data error,
        # and clamping keeps it from turning into a negative payment
        return max(0, self.amount - self.refunded)


@dataclass(frozen=True)
class CreditUse:
    """Part of an invoice's overpayment applied to another invoice of the same client.

    The other invoice counts it as a payment (a ``PaymentRecord`` with ``credit_from``);
    the invoice that was overpaid counts it here, so its credit falls by as much.
    """

    id: str  # the credit application's payment id
    date: date
    amount: int  # minor units
    to: str  # the invoice it paid


@dataclass(frozen=True)
class EntryStatement:
    n: int
    kind: str
    label: str | None
    due: date
    amount: int
    paid: int
    late_fees: int
    discount: int  # the early-payment discount taken on this entry
    amount_due: int  # outstanding today, less a discount still on offer
    days_overdue: int
    status: str
    fees: tuple[FeeCharge, ...]


@dataclass(frozen=True)
class Statement:
    number: str
    currency: str
    issued: date
    due: date
    status: str
    totals: Totals
    paid: int  # net of refunds
    refunded: int
    late_fees: int
    discount: int  # taken
    balance: int  # total + late_fees - discount - paid, never below 0
    overpaid: int  # what was paid beyond the balance (net of refunds)
    credit_applied: int  # of the overpayment, applied to the client's other invoices
    credit: int  # what is still the client's: overpaid less credit_applied, never below 0
    credit_uses: tuple[CreditUse, ...]  # those counted in credit_applied, by date
    amount_due: int  # balance less the discount still on offer
    days_overdue: int
    discount_deadline: date | None
    discount_offered: int
    entries: tuple[EntryStatement, ...]
    fees: tuple[FeeCharge, ...]


def _outstanding(
    amount: int,
    entry: ScheduleEntry,
    policy: LateFeePolicy | None,
    currency: str,
    applied: Applied,
    day: date,
) -> int:
    fees = late_fee_charges(amount, entry.due, policy, currency, applied, day)
    return amount + sum(f.amount for f in fees) - sum(paid for _, paid in applied)


def _allocate(
    schedule: Sequence[ScheduleEntry],
    amounts: Sequence[int],
    policy: LateFeePolicy | None,
    currency: str,
    payments: Sequence[PaymentRecord],
) -> tuple[list[Applied], int]:
    """Spread payments over the entries in the order they were received.

    Each payment fills what its entry owed on the payment's day (fees included),
    so the fees of later days see exactly the payments made before them. On one
    day, payments meant for a named entry go first, so an untargeted payment
    cannot take the place a targeted one was sent for.
    """
    applied: list[Applied] = [[] for _ in schedule]
    index = {entry.n: i for i, entry in enumerate(schedule)}
    overpaid = 0
    for payment in sorted(payments, key=lambda p: (p.date, p.instalment not in index)):
        left = payment.net
        first = [index[payment.instalment]] if payment.instalment in index else []
        for i in [*first, *range(len(schedule))]:
            if left == 0:
                break
            owed = _outstanding(amounts[i], schedule[i], policy, currency, applied[i], payment.date)
            take = min(left, owed)
            if take > 0:
                applied[i].append((payment.date, take))
                left -= take
        overpaid += left
    return applied, overpaid


def _status(
    invoice_status: str, outstanding: int, paid: int, amount_due: int, days_overdue: int
) -> str:
    if invoice_status in ("void", "draft"):
        return invoice_status
    if outstanding == 0:
        return "paid"
    if amount_due > 0 and days_overdue > 0:
        return "overdue"
    if paid > 0:
        return "partially_paid"
    return "open"


@dataclass(frozen=True)
class _Basis:
    """What an invoice's statement rests on that the day does not change, for one set of
    payments: its totals and schedule, the discount taken, and the payments' allocation."""

    totals: Totals
    due: date
    schedule: tuple[ScheduleEntry, ...]
    paid: int
    refunded: int
    live: bool
    policy: LateFeePolicy | None
    deadline: date | None
    discount: int
    was_taken: bool
    taken: int
    amounts: tuple[int, ...]
    applied: tuple[Applied, ...]
    overpaid: int


# A build asks for the statement of one invoice several times: as of the build's day, on
# each day its timeline looks at (the same payments, later days), for each receipt's
# "balance after" and for the next change. What no day changes is worked out once for the
# invoice (its totals and schedule) and once for a set of payments (their allocation), and
# kept for the last invoices seen. By identity: the models are frozen, and an entry holds
# its invoice and terms, so no other object can take their ids while it is kept.
_KEPT = 512
_schedules: dict[
    tuple[int, int], tuple[Invoice, ResolvedTerms, Totals, date, tuple[ScheduleEntry, ...]]
] = {}
_bases: dict[tuple[int, int, tuple[PaymentRecord, ...]], tuple[Invoice, ResolvedTerms, _Basis]] = {}


def _keep(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _KEPT:
        memo.clear()  # a build moves from client to client: the old ones are not asked again
    memo[key] = value


def totals_and_schedule(
    invoice: Invoice, terms: ResolvedTerms
) -> tuple[Totals, date, tuple[ScheduleEntry, ...]]:
    """The invoice's totals, due date and payment schedule (kept: see ``_KEPT``)."""
    key = (id(invoice), id(terms))
    hit = _schedules.get(key)
    if hit is not None and hit[0] is invoice and hit[1] is terms:
        return hit[2], hit[3], hit[4]
    totals = invoice_totals(invoice)
    due = due_date(invoice, terms)
    schedule = payment_schedule(invoice, totals.total, terms)
    _keep(_schedules, key, (invoice, terms, totals, due, schedule))
    return totals, due, schedule


def _basis(invoice: Invoice, terms: ResolvedTerms, counted: tuple[PaymentRecord, ...]) -> _Basis:
    key = (id(invoice), id(terms), counted)
    hit = _bases.get(key)
    if hit is not None and hit[0] is invoice and hit[1] is terms:
        return hit[2]
    totals, due, schedule = totals_and_schedule(invoice, terms)
    total, currency = totals.total, invoice.currency
    paid = sum(p.net for p in counted)
    refunded = sum(p.amount - p.net for p in counted)

    # Drafts and void invoices are not owed, so nothing can be late or early on them.
    live = invoice.status == "issued"
    policy = terms.late_fee if live else None
    deadline = (
        discount_deadline(invoice.issued, terms) if live and discount_applies(schedule) else None
    )
    discount = discount_amount(total, terms) if deadline is not None else 0
    was_taken = discount_taken(total, discount, deadline, [(p.date, p.net) for p in counted])
    taken = discount if was_taken else 0
    # a taken discount lowers what the (single) entry owes, late fees included
    amounts = [entry.amount - taken for entry in schedule]

    if invoice.status == "void":
        applied: list[Applied] = [[] for _ in schedule]
        overpaid = paid  # all of it is the client's to get back
    else:
        applied, overpaid = _allocate(schedule, amounts, policy, currency, counted)
    basis = _Basis(
        totals=totals,
        due=due,
        schedule=schedule,
        paid=paid,
        refunded=refunded,
        live=live,
        policy=policy,
        deadline=deadline,
        discount=discount,
        was_taken=was_taken,
        taken=taken,
        amounts=tuple(amounts),
        applied=tuple(applied),
        overpaid=overpaid,
    )
    _keep(_bases, key, (invoice, terms, basis))
    return basis


def statement(
    invoice: Invoice,
    terms: ResolvedTerms,
    payments: Sequence[PaymentRecord],
    today: date,
    credit_uses: Sequence[CreditUse] = (),
) -> Statement:
    """The invoice as of ``today``; payments dated later have not happened yet.

    ``credit_uses``: this invoice's overpayment applied to other invoices (the client's
    credit balance is the sum of each invoice's ``credit``); those dated later than
    ``today`` have not happened yet either.
    """
    counted = tuple(p for p in payments if p.date <= today)
    b = _basis(invoice, terms, counted)
    totals, currency, due, schedule = b.totals, invoice.currency, b.due, b.schedule
    paid, refunded, live, policy = b.paid, b.refunded, b.live, b.policy
    deadline, discount, was_taken, taken = b.deadline, b.discount, b.was_taken, b.taken
    amounts, applied, overpaid = b.amounts, b.applied, b.overpaid
    fees = [
        late_fee_charges(amount, entry.due, policy, currency, paid_in, today)
        for entry, amount, paid_in in zip(schedule, amounts, applied, strict=True)
    ]
    outstanding = [
        amount + sum(f.amount for f in charges) - sum(a for _, a in paid_in)
        for amount, charges, paid_in in zip(amounts, fees, applied, strict=True)
    ]
    if invoice.status == "void":
        outstanding = [0 for _ in schedule]
    balance = sum(outstanding)
    offered = discount_offered(discount, deadline, was_taken, balance, today)

    entries = []
    for entry, charges, paid_in, owed in zip(schedule, fees, applied, outstanding, strict=True):
        entry_paid = sum(a for _, a in paid_in)
        amount_due = owed - offered  # offered is 0 unless this is the only entry
        late = max(0, (today - entry.due).days) if live and amount_due > 0 else 0
        entries.append(
            EntryStatement(
                n=entry.n,
                kind=entry.kind,
                label=entry.label,
                due=entry.due,
                amount=entry.amount,
                paid=entry_paid,
                late_fees=sum(f.amount for f in charges),
                discount=taken,
                amount_due=amount_due,
                days_overdue=late,
                status=_status(invoice.status, owed, entry_paid, amount_due, late),
                fees=charges,
            )
        )
    days_overdue = max((e.days_overdue for e in entries), default=0)
    all_fees = tuple(sorted((f for charges in fees for f in charges), key=lambda f: f.on))
    amount_due = balance - offered
    status = _status(invoice.status, balance, paid, amount_due, days_overdue)
    if live and any(p.disputed for p in counted):
        status = "disputed"  # nothing to pay or remind until a person settles it
    uses = tuple(sorted((u for u in credit_uses if u.date <= today), key=lambda u: (u.date, u.id)))
    applied_out = sum(u.amount for u in uses)
    return Statement(
        number=invoice.number,
        currency=currency,
        issued=invoice.issued,
        due=due,
        status=status,
        totals=totals,
        paid=paid,
        refunded=refunded,
        late_fees=sum(f.amount for f in all_fees),
        discount=taken,
        balance=balance,
        overpaid=overpaid,
        credit_applied=applied_out,
        # below 0 only if a refund came after the credit was used (the build refuses
        # content that does it): the client then owes that back, which is not a credit
        credit=max(0, overpaid - applied_out),
        credit_uses=uses,
        amount_due=amount_due,
        days_overdue=days_overdue,
        discount_deadline=deadline,
        discount_offered=offered,
        entries=tuple(entries),
        fees=all_fees,
    )
