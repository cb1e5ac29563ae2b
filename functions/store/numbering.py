"""Receipt numbers: ``R-<year>-<NNNN>``, gap-free and sequential per agency and year.

One store holds one agency, so its counter per year is the agency's. A payment takes a
number when it first becomes a receipt: recorded as succeeded (a bank debit still
processing takes none, so one that fails never leaves a gap), in the year of the day it
succeeded in the agency's zone (``Payment.received``). The store writes the counter and
the payment's number in one transaction (``Store.apply``); a refund or a dispute later
keeps the number, and nothing ever takes one back. The rules are here, pure; the stores
do the atomic part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from functions.store.base import Payment

PREFIX = "R"


def receipt_number(year: str, n: int) -> str:
    """``R-2026-0007``: four digits at least, growing past 9999 rather than wrapping."""
    if n < 1:
        raise ValueError(f"receipt numbers start at 1, not {n}")
    return f"{PREFIX}-{year}-{n:04d}"


def wants_number(payment: Payment) -> bool:
    """Whether the store must number ``payment`` now: a receipt without a number yet."""
    return payment.status == "succeeded" and payment.receipt is None


def receipt_year(payment: Payment) -> str:
    """The year the receipt counts in: that of the day the payment succeeded."""
    return payment.received[:4]


def take(years: Sequence[str], last: Mapping[str, int]) -> tuple[list[str], dict[str, int]]:
    """One number for each of ``years`` (a receipt's year each), in the order given, after
    ``last`` (year -> the highest number given so far; absent: none yet).

    Returns the numbers and the new highest number of each year that moved: what the store
    writes back, conditioned on ``last`` being unchanged.
    """
    moved: dict[str, int] = {}
    numbers = []
    for year in years:
        moved[year] = moved.get(year, last.get(year, 0)) + 1
        numbers.append(receipt_number(year, moved[year]))
    return numbers, moved


def assign(
    payments: Sequence[Payment], last: Mapping[str, int]
) -> tuple[list[Payment], dict[str, int]]:
    """Number the payments that want one (``take``), leaving the others as they are."""
    wanting = [i for i, p in enumerate(payments) if wants_number(p)]
    numbers, moved = take([receipt_year(payments[i]) for i in wanting], last)
    numbered = list(payments)
    for i, number in zip(wanting, numbers, strict=True):
        numbered[i] = replace(numbered[i], receipt=number)
    return numbered, moved
