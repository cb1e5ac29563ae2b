"""Receivables at a glance, per currency: what is open, what is overdue, what came in this month.

A pure function of the ledger (``build/ledger.json``'s invoices, brought up to
date by the store) and the payments received: the agency page calls it. The
agency report (``portal status``) may replace it; the page needs only
``Receivables`` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

OPEN = ("open", "partially_paid", "overdue")


@dataclass(frozen=True)
class Received:
    """Money that arrived: net of refunds, in minor units."""

    id: str
    currency: str
    amount: int
    on: date


@dataclass(frozen=True)
class Receivables:
    currency: str
    open: int = 0  # minor units due today on every unpaid invoice, overdue ones included
    open_count: int = 0
    overdue: int = 0
    overdue_count: int = 0
    paid_this_month: int = 0
    paid_count: int = 0


def receivables(
    invoices: Mapping[str, Mapping[str, Any]], received: Iterable[Received], today: date
) -> list[Receivables]:
    """One row per currency that has anything open or paid this month, sorted by currency."""
    rows: dict[str, dict[str, int]] = {}

    def row(currency: str) -> dict[str, int]:
        return rows.setdefault(
            currency,
            dict.fromkeys(
                ("open", "open_count", "overdue", "overdue_count", "paid_this_month", "paid_count"),
                0,
            ),
        )

    for entry in invoices.values():
        if entry.get("status") not in OPEN:
            continue
        figures = row(str(entry["currency"]))
        due = int(entry.get("amount_due", 0))
        figures["open"] += due
        figures["open_count"] += 1
        if entry["status"] == "overdue":
            figures["overdue"] += due
            figures["overdue_count"] += 1
    seen: set[str] = set()
    for money in received:
        if money.id in seen:  # named twice (the store's record, then the content's): once
            continue
        seen.add(money.id)
        if (money.on.year, money.on.month) == (today.year, today.month) and money.on <= today:
            figures = row(money.currency)
            figures["paid_this_month"] += money.amount
            figures["paid_count"] += 1
    return [Receivables(currency, **figures) for currency, figures in sorted(rows.items())]
