"""Aging: how long past its due date an open amount is, in the buckets accountants use.

One rule for every reader: ``portal status`` and the agency report age the ledger's open
parts with it, and a client's statement of account ages what is open at its date with it.
"""

from __future__ import annotations

BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
# the first day past the due date on which an amount is in each bucket after "current"
BUCKET_STARTS = (1, 31, 61, 91)


def bucket(days_overdue: int) -> str:
    """The bucket of an amount ``days_overdue`` days past its due date (0 or less: current)."""
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "days_1_30"
    if days_overdue <= 60:
        return "days_31_60"
    if days_overdue <= 90:
        return "days_61_90"
    return "over_90"
