from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from site_builder.money import MoneyError, allocate, parse_decimal, percent_of, to_major, to_minor


def test_source_text_is_exact() -> None:
    assert to_minor(parse_decimal("1500.10"), "USD") == 150010
    assert to_minor(parse_decimal("0.1"), "USD") + to_minor(parse_decimal("0.2"), "USD") == 30


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError):
        parse_decimal(1500.10)


@pytest.mark.parametrize("text", ["abc", "1,5", "NaN", "Infinity", ""])
def test_not_a_number(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_decimal(text)


def test_rounding_follows_the_currency_exponent() -> None:
    assert to_minor(Decimal("1234.5"), "JPY") == 1235
    assert to_minor(Decimal("1.005"), "USD") == 101  # half-up
    assert to_minor(Decimal("1.0005"), "KWD") == 1001  # three decimals
    with pytest.raises(MoneyError, match="more than 0 decimal places for JPY"):
        to_minor(Decimal("10.5"), "JPY", exact=True)
    with pytest.raises(MoneyError, match="unknown currency"):
        to_minor(Decimal(1), "XYZ")


def test_percent_of_rounds_half_up() -> None:
    assert percent_of(103000, Decimal(3)) == 3090
    assert percent_of(50, Decimal(1)) == 1  # 0.5 -> 1


@given(
    total=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=12),
)
def test_allocate_never_creates_or_loses_a_minor_unit(total: int, weights: list[int]) -> None:
    shares = allocate(total, [Decimal(w) for w in weights])
    assert sum(shares) == total
    assert all(s >= 0 for s in shares)
    # no share is more than one unit away from its exact proportion
    for share, w in zip(shares, weights, strict=True):
        assert abs(Decimal(share) - Decimal(total) * w / sum(weights)) < 1


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["USD", "JPY", "KWD"]))
def test_minor_major_round_trip(minor: int, currency: str) -> None:
    assert to_minor(to_major(minor, currency), currency, exact=True) == minor
