from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from site_builder.money import (
    MoneyError,
    allocate,
    from_stripe,
    parse_decimal,
    percent_of,
    stripe_problem,
    to_major,
    to_minor,
    to_stripe,
)


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


@pytest.mark.parametrize(
    ("minor", "currency", "stripe_units"),
    [
        (98000, "USD", 98000),
        (980, "JPY", 980),  # zero-decimal in both
        (12700, "HUF", 1270000),  # whole forints, which Stripe counts in hundredths
        (10000, "ISK", 1000000),
        (5000, "UGX", 500000),
        (10000, "TWD", 10000),  # two decimals in both, charged only in whole dollars
        (10490, "KWD", 10490),  # thousandths in both, charged in steps of ten
    ],
)
def test_stripe_units_at_the_edge(minor: int, currency: str, stripe_units: int) -> None:
    assert to_stripe(minor, currency) == stripe_units
    assert from_stripe(stripe_units, currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "why"),
    [
        (10499, "KWD", "steps of 0.010"),
        (10050, "TWD", "whole units"),
        (30, "USD", "below Stripe's smallest USD charge, 0.50 USD"),
        (174, "HUF", "below Stripe's smallest HUF charge, 175.00 HUF"),
        (100000000, "USD", "above Stripe's largest USD charge, 999999.99 USD"),
        (100000000, "JPY", "above Stripe's largest JPY charge, 99999999 JPY"),
        (100000000, "HUF", "above Stripe's largest HUF charge"),
        (100000, "IRR", "Stripe does not charge in IRR"),
        (500, "CUP", "Stripe does not charge in CUP"),
    ],
)
def test_amounts_stripe_cannot_charge_exactly_are_refused(
    minor: int, currency: str, why: str
) -> None:
    assert why in (stripe_problem(minor, currency) or "")
    with pytest.raises(MoneyError, match=why.split(",")[0]):
        to_stripe(minor, currency)


def test_an_amount_from_stripe_that_is_a_fraction_of_our_unit_is_refused() -> None:
    with pytest.raises(MoneyError):
        from_stripe(1270050, "HUF")  # 12,700.50 Ft: HUF has no minor unit here
