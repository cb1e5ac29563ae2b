"""Retainers: one template invoice becomes one invoice per billing period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from site_builder.billing.dates import add_months
from site_builder.model import Invoice, Retainer

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _period_starts(retainer: Retainer) -> Iterator[date]:
    # Each start counts from the retainer's start, never from the previous
    # period, so a retainer starting on the 31st comes back to the 31st.
    k = 0
    while True:
        if retainer.every == "week":
            yield retainer.start + timedelta(weeks=k)
        else:
            yield add_months(retainer.start, k * _MONTHS[retainer.every])
        k += 1


def period_suffix(every: str, start: date) -> str:
    """The period's name in the invoice number: 2026-03, 2026-Q1, 2026-W09, 2026."""
    if every == "month":
        return f"{start.year}-{start.month:02d}"
    if every == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if every == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}"


def next_period(invoice: Invoice, today: date) -> date | None:
    """The day the retainer's next invoice begins (after ``today``), if it has one to come."""
    retainer = invoice.retainer
    if retainer is None:
        return None
    for k, start in enumerate(_period_starts(retainer)):
        if retainer.until is not None and start > retainer.until:
            return None
        if retainer.count is not None and k >= retainer.count:
            return None
        if start > today:
            return start
    return None  # not reached: the periods go on


def expand_retainer(invoice: Invoice, today: date) -> list[Invoice]:
    """One invoice per period that has begun by ``today`` (and within until/count)."""
    retainer = invoice.retainer
    if retainer is None:
        return [invoice]
    result = []
    for start in _period_starts(retainer):
        if start > today:
            break
        if retainer.until is not None and start > retainer.until:
            break
        if retainer.count is not None and len(result) >= retainer.count:
            break
        shift = start - invoice.issued
        update: dict[str, Any] = {
            "number": f"{invoice.number}-{period_suffix(retainer.every, start)}",
            "issued": start,
            # the template's gap between issue and due date carries over;
            # without one the terms decide, as for any invoice
            "due": invoice.due + shift if invoice.due is not None else None,
            "retainer": None,
        }
        if invoice.deposit is not None and invoice.deposit.due is not None:
            update["deposit"] = invoice.deposit.model_copy(
                update={"due": invoice.deposit.due + shift}
            )
        result.append(invoice.model_copy(update=update))
    return result
