"""Calendar arithmetic the billing rules share (months have no fixed length)."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the month's last day.

    Callers always count from the original anchor (``add_months(start, k)``)
    rather than stepping month by month, so 31 Jan gives 28 Feb and then
    31 Mar again instead of drifting to the 28th for good.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
