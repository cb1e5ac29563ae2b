"""Receivables from the build's ledger: who owes what, how late, and who pays late.

Pure: the ledger's invoice entries, the late-payer thresholds and a day in,
figures out. No content file is read (an agency of 100,000 invoices has
167,000 of them; ``build/ledger.json`` holds what is needed and loads in a
fraction of a second).

Amounts are integer minor units as of the build's day (late fees and
discounts are what the build computed). ``today`` only moves the calendar:
aging counts days from each part's due date to ``today``, and the month and
90-day windows end on ``today``.

Rules, in one place:
- void invoices are left out of everything (nothing is owed on them);
- an invoice's open amount is its ``amount_due``; it is aged part by part
  (deposit, instalments, balance) by each part's own due date;
- a paid invoice was paid late when the payment that settled it came after
  its last part's due date; days late count 0 when it was on time;
- collected money is payments net of refunds, by the day they arrived; credit applied
  from an overpaid invoice (``credit_from``) is not collected again: the money was
  collected once, on the invoice it overpaid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from site_builder.billing import add_months
from site_builder.billing.aging import BUCKETS, bucket
from site_builder.model import LatePayers

BUCKET_LABELS = {
    "current": "Current",
    "days_1_30": "1–30 days",
    "days_31_60": "31–60 days",
    "days_61_90": "61–90 days",
    "over_90": "Over 90 days",
}
DSO_DAYS = 90
MONTHS = 12
_TENTH, _HUNDREDTH = Decimal("0.1"), Decimal("0.01")


@dataclass
class Month:
    month: str  # "YYYY-MM"
    invoiced: int = 0  # totals of the invoices issued that month
    collected: int = 0  # payments received that month


@dataclass
class CurrencyFigures:
    currency: str
    open: int = 0
    open_invoices: int = 0
    overdue: int = 0
    overdue_invoices: int = 0
    paid_this_month: int = 0
    aging: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    invoiced_90_days: int = 0  # issued in the 90 days up to today
    months: list[Month] = field(default_factory=list)

    @property
    def dso(self) -> Decimal | None:
        """Days sales outstanding over the last 90 days: open / invoiced x 90."""
        if self.invoiced_90_days <= 0:
            return None
        exact = Decimal(self.open) * DSO_DAYS / Decimal(self.invoiced_90_days)
        return exact.quantize(_TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class OldestOverdue:
    invoice: str
    currency: str
    due: str  # the due date of its oldest unpaid part
    days_overdue: int
    amount_due: int  # the whole invoice's amount due


@dataclass
class ClientFigures:
    client: str
    balance: dict[str, int] = field(default_factory=dict)  # currency -> amount due
    overdue: dict[str, int] = field(default_factory=dict)
    oldest_overdue: OldestOverdue | None = None
    paid_invoices: int = 0
    paid_late: int = 0
    days_late: int = 0  # summed over the paid invoices
    habitual_late_payer: bool = False

    @property
    def share_late(self) -> Decimal | None:
        if not self.paid_invoices:
            return None
        return (Decimal(self.paid_late) / self.paid_invoices).quantize(
            _HUNDREDTH, rounding=ROUND_HALF_UP
        )

    @property
    def average_days_late(self) -> Decimal | None:
        if not self.paid_invoices:
            return None
        return (Decimal(self.days_late) / self.paid_invoices).quantize(
            _TENTH, rounding=ROUND_HALF_UP
        )


@dataclass
class Receivables:
    today: date
    build_day: str  # the day the ledger's amounts are computed for
    thresholds: LatePayers
    currencies: dict[str, CurrencyFigures]
    clients: dict[str, ClientFigures]


def month_keys(today: date, count: int = MONTHS) -> list[str]:
    """The ``count`` calendar months up to and including today's, oldest first."""
    first = today.replace(day=1)
    return [add_months(first, k - count + 1).strftime("%Y-%m") for k in range(count)]


def compute(
    invoices: Mapping[str, Mapping[str, Any]],
    today: date,
    thresholds: LatePayers,
    build_day: str = "",
    client: str | None = None,
) -> Receivables:
    """Every figure of ``portal status`` from the ledger's ``invoices``; see the module doc.

    One pass over the invoices with plain local accumulators: at 100,000
    invoices this loop is most of ``portal status``'s time. Dates stay ISO
    strings (which sort as dates) except where days are counted.
    """
    today_s = today.isoformat()
    month_start = today.replace(day=1).isoformat()
    window_start = (today - timedelta(days=DSO_DAYS)).isoformat()  # exclusive: 90 days
    month_names = month_keys(today)
    first_month = month_names[0]
    today_ord = today.toordinal()
    ordinals: dict[str, int] = {}  # a few hundred distinct dates among 100,000 invoices
    to_ordinal = _ordinal

    currencies: dict[str, CurrencyFigures] = {}
    by_month: dict[str, dict[str, Month]] = {}
    clients: dict[str, ClientFigures] = {}
    for number, entry in invoices.items():
        if entry["status"] == "void" or (client is not None and entry["client"] != client):
            continue
        currency, client_id = entry["currency"], entry["client"]
        figures = currencies.get(currency)
        if figures is None:
            figures = currencies[currency] = CurrencyFigures(currency)
            by_month[currency] = {m: Month(m) for m in month_names}
        per_month = by_month[currency]
        who = clients.get(client_id)
        if who is None:
            who = clients[client_id] = ClientFigures(client_id)
        if currency not in who.balance:
            who.balance[currency] = who.overdue[currency] = 0

        issued, total = entry["issued"], entry["total"]
        if issued <= today_s:
            if issued >= first_month:
                per_month[issued[:7]].invoiced += total
            if issued > window_start:
                figures.invoiced_90_days += total
        for payment in entry.get("payments") or ():
            day = payment["date"]
            if "credit_from" in payment:
                continue
            if day <= today_s and day >= first_month:
                per_month[day[:7]].collected += payment["amount"]
                if day >= month_start:
                    figures.paid_this_month += payment["amount"]

        parts = entry["instalments"]  # in due-date order
        amount_due = entry["amount_due"]
        if amount_due > 0:
            figures.open += amount_due
            figures.open_invoices += 1
            who.balance[currency] += amount_due
            late_here = oldest = 0
            oldest_due = ""
            aging = figures.aging
            for part in parts:
                owed = part["amount_due"]
                if owed <= 0:
                    continue
                due = part["due"]
                due_ord = ordinals.get(due) or ordinals.setdefault(due, to_ordinal(due))
                days = today_ord - due_ord
                aging[bucket(days)] += owed
                if days > 0:
                    late_here += owed
                    if days > oldest:
                        oldest, oldest_due = days, due
            if late_here:
                figures.overdue += late_here
                figures.overdue_invoices += 1
                who.overdue[currency] += late_here
                known = who.oldest_overdue
                if (
                    known is None
                    or oldest > known.days_overdue
                    or (oldest == known.days_overdue and number < known.invoice)
                ):
                    who.oldest_overdue = OldestOverdue(
                        number, currency, oldest_due, oldest, amount_due
                    )
        if entry["status"] == "paid" and (settled := entry.get("settled")):
            last_due = parts[-1]["due"] if parts else entry["due"]
            late = to_ordinal(settled) - to_ordinal(last_due) if settled > last_due else 0
            who.paid_invoices += 1
            if late > 0:
                who.paid_late += 1
                who.days_late += late

    for currency, figures in currencies.items():
        figures.months = list(by_month[currency].values())
    for who in clients.values():
        who.habitual_late_payer = is_habitual(who, thresholds)
    return Receivables(
        today=today,
        build_day=build_day,
        thresholds=thresholds,
        currencies=dict(sorted(currencies.items())),
        clients=dict(sorted(clients.items())),
    )


def _ordinal(day: str) -> int:
    return date.fromisoformat(day).toordinal()


def is_habitual(who: ClientFigures, thresholds: LatePayers) -> bool:
    """All three thresholds met, compared exactly (not on the rounded figures)."""
    paid = who.paid_invoices
    return (
        paid >= thresholds.min_paid_invoices
        and Decimal(who.paid_late) >= thresholds.share_late * paid
        and Decimal(who.days_late) >= thresholds.average_days_late * paid
    )
