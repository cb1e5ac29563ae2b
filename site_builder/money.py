"""Exact money: integer minor units per ISO 4217 currency, Decimal arithmetic.

Nothing here ever touches a binary float. Amounts enter as source text (or
integers), are parsed with Decimal, and leave as integers of the currency's
smallest unit (cents, grosze, yen).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

HUNDRED = Decimal(100)


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in its currency."""


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@cache
def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (USD 2, JPY 0)."""
    if currency not in known_currencies():
        raise MoneyError(f"unknown currency {currency!r} (expected an ISO 4217 code)")
    return get_currency_precision(currency)


def parse_decimal(value: object) -> Decimal:
    """Decimal from source text or an integer; floats are refused outright.

    A float reaching this point means some reader has already rounded the
    number through binary floating point, so the exact value is lost.
    """
    if isinstance(value, bool | float):
        raise MoneyError(f"expected a number written as text or an integer, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise MoneyError(f"expected a number, got {value!r}") from None
    else:
        raise MoneyError(f"expected a number, got {value!r}")
    if not result.is_finite():
        raise MoneyError(f"expected a finite number, got {value!r}")
    return result


def round_minor(amount: Decimal) -> int:
    """Round a Decimal count of minor units half-up to a whole minor unit."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_minor(amount: Decimal, currency: str, *, exact: bool = False) -> int:
    """Major units (Decimal) to integer minor units, rounded half-up.

    With ``exact`` an amount finer than the currency's minor unit is an
    error instead of being rounded (a payment of 10.005 USD is a typo).
    """
    scaled = amount.scaleb(exponent(currency))
    if exact and scaled != scaled.to_integral_value():
        places = exponent(currency)
        raise MoneyError(
            f"{amount} has more than {places} decimal place{'s' * (places != 1)} for {currency}"
        )
    return round_minor(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    """Integer minor units back to an exact Decimal in major units."""
    return Decimal(minor).scaleb(-exponent(currency))


def percent_of(minor: int, percent: Decimal) -> int:
    """``percent`` % of an amount in minor units, rounded half-up to a minor unit."""
    return round_minor(Decimal(minor) * percent / HUNDRED)


def allocate(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights``, losing nothing.

    Largest-remainder method: every share is floored, then the units left over
    go to the shares with the largest remainders (earliest first on ties), so
    the shares always sum to exactly ``total``.
    """
    if not weights:
        return []
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise MoneyError("cannot allocate over weights that sum to zero")
    exact = [Decimal(total) * w / weight_sum for w in weights]
    shares = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in exact]
    left = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares
