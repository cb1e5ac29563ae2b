"""The receipt numbering rules, pure: the format, which payments want a number, the order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from functions.store.base import Payment, merge
from functions.store.numbering import assign, receipt_number, receipt_year, take, wants_number


def payment(pi: str, status: str = "succeeded", received: str = "2026-03-01") -> Payment:
    return Payment(pi, "INV-1", "acme", 100, "USD", received, "card", status)  # type: ignore[arg-type]


def test_the_format_has_four_digits_at_least_and_never_wraps() -> None:
    assert receipt_number("2026", 7) == "R-2026-0007"
    assert receipt_number("2026", 9999) == "R-2026-9999"
    assert receipt_number("2026", 10000) == "R-2026-10000"
    with pytest.raises(ValueError):
        receipt_number("2026", 0)


def test_only_a_receipt_without_a_number_wants_one() -> None:
    assert wants_number(payment("pi_1"))
    assert not wants_number(payment("pi_1", "pending"))  # a bank debit still settling
    assert not wants_number(payment("pi_1", "failed"))
    assert not wants_number(replace(payment("pi_1"), receipt="R-2026-0001"))
    assert receipt_year(payment("pi_1", received="2027-01-01")) == "2027"


def test_numbers_follow_the_order_given_per_year() -> None:
    numbers, moved = take(["2026", "2027", "2026"], {"2026": 41})
    assert numbers == ["R-2026-0042", "R-2027-0001", "R-2026-0043"]
    assert moved == {"2026": 43, "2027": 1}  # only the years that moved
    assert take([], {"2026": 41}) == ([], {})


def test_assign_numbers_the_receipts_and_leaves_the_rest() -> None:
    given = [
        payment("pi_a"),
        payment("pi_b", "pending"),
        replace(payment("pi_c"), receipt="R-2026-0003"),
        payment("pi_d", received="2025-12-31"),
    ]
    numbered, moved = assign(given, {"2026": 9})
    assert [p.receipt for p in numbered] == ["R-2026-0010", None, "R-2026-0003", "R-2025-0001"]
    assert moved == {"2026": 10, "2025": 1}


def test_a_number_survives_every_later_event() -> None:
    numbered = replace(payment("pi_1"), receipt="R-2026-0001")
    for later in (
        payment("pi_1", "pending"),
        replace(payment("pi_1"), refunded=100),
        replace(payment("pi_1"), disputed=True),
        payment("pi_1", "failed"),
    ):
        assert merge(numbered, later).receipt == "R-2026-0001"
