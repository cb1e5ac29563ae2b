"""Exact money: integer minor units per ISO 4217 currency, Decimal arithmetic.

Nothing here ever touches a binary float. Amounts enter as source text (or
integers), are parsed with Decimal, and leave as integers of the currency's
smallest unit (cents, grosze, yen).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


# Stripe's units (docs.stripe.com/currencies), which are not always ISO 4217's minor units.
# Amounts leave for Stripe through ``to_stripe`` and come back through ``from_stripe``, nowhere
# else. Stripe counts every currency in hundredths except these:
STRIPE_ZERO_DECIMAL = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
     "PYG", "RWF", "VND", "VUV", "XAF", "XOF", "XPF"]
)  # fmt: skip
# ... and these in thousandths, where the last digit must be 0
STRIPE_THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])
# Counted in hundredths, but charged only in whole units (Stripe's "special cases"): 12,700 Ft
# is 1270000, and 12,700.50 cannot be charged.
STRIPE_WHOLE_UNITS = frozenset(["HUF", "ISK", "TWD", "UGX"])
# The currencies Stripe charges in at all (its "supported presentment currencies"; some only
# for cards). An invoice in another ISO currency (CUP, IRR, SYP, VES, ...) is paid offline.
STRIPE_CURRENCIES = frozenset(
    ["AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
     "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BWP", "BYN", "BZD",
     "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CVE", "CZK", "DJF", "DKK", "DOP",
     "DZD", "EGP", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GIP", "GMD", "GNF", "GTQ",
     "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "ISK", "JMD", "JOD", "JPY",
     "KES", "KGS", "KHR", "KMF", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
     "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MUR", "MVR", "MWK", "MXN",
     "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
     "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
     "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "STD", "SZL", "THB", "TJS", "TND", "TOP",
     "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VND", "VUV", "WST",
     "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW"]
)  # fmt: skip
# The smallest charge, in Stripe's units, where Stripe sets one above a single unit.
STRIPE_MINIMUM = {
    "USD": 50, "AED": 200, "AUD": 50, "BGN": 100, "BRL": 50, "CAD": 50, "CHF": 50,
    "CZK": 1500, "DKK": 250, "EUR": 50, "GBP": 30, "HKD": 400, "HUF": 17500, "INR": 50,
    "JPY": 50, "MXN": 1000, "MYR": 200, "NOK": 300, "NZD": 50, "PLN": 200, "RON": 200,
    "SEK": 300, "SGD": 50, "THB": 1000,
}  # fmt: skip


# The largest charge, in Stripe's units: eight digits (999,999.99 USD), twelve for IDR.
STRIPE_MAXIMUM = 99_999_999
STRIPE_MAXIMUM_BY_CURRENCY = {"IDR": 999_999_999_999}


def stripe_exponent(currency: str) -> int:
    code = currency.upper()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    return 3 if code in STRIPE_THREE_DECIMAL else 2


def stripe_minimum(currency: str) -> int:
    return STRIPE_MINIMUM.get(currency.upper(), 1)


def stripe_maximum(currency: str) -> int:
    return STRIPE_MAXIMUM_BY_CURRENCY.get(currency.upper(), STRIPE_MAXIMUM)


def stripe_problem(minor: int, currency: str) -> str | None:
    """Why Stripe cannot charge exactly this amount (None if it can)."""
    code = currency.upper()
    if code not in STRIPE_CURRENCIES:
        return f"Stripe does not charge in {code}"
    shift = stripe_exponent(code) - exponent(code)
    shown = f"{to_major(minor, code)} {code}"
    if shift < 0 and minor % 10**-shift:
        return f"Stripe charges {code} in whole units; {shown} has a fraction"
    units = minor * 10**shift if shift >= 0 else minor // 10**-shift
    if code in STRIPE_WHOLE_UNITS and units % 100:
        return f"Stripe charges {code} in whole units only; {shown} has a fraction"
    if code in STRIPE_THREE_DECIMAL and units % 10:
        return f"Stripe charges {code} in steps of 0.010; {shown} is not one"
    if units < stripe_minimum(code):
        return f"{shown} is below Stripe's smallest {code} charge, {_shown(stripe_minimum, code)}"
    if units > stripe_maximum(code):
        return f"{shown} is above Stripe's largest {code} charge, {_shown(stripe_maximum, code)}"
    return None


def _shown(limit: Callable[[str], int], currency: str) -> str:
    code = currency.upper()
    return f"{Decimal(limit(code)).scaleb(-stripe_exponent(code))} {code}"


def to_stripe(minor: int, currency: str) -> int:
    """ISO 4217 minor units to Stripe's units, exactly; an amount Stripe cannot charge raises."""
    if problem := stripe_problem(minor, currency):
        raise MoneyError(problem)
    shift = stripe_exponent(currency) - exponent(currency.upper())
    return minor * 10**shift if shift >= 0 else minor // 10**-shift


def from_stripe(amount: int, currency: str) -> int:
    """Stripe's units back to ISO 4217 minor units, exactly (a fraction of a unit raises)."""
    shift = exponent(currency.upper()) - stripe_exponent(currency)
    if shift >= 0:
        return amount * 10**shift
    if amount % 10**-shift:
        raise MoneyError(f"{amount} in Stripe's units is a fraction of a {currency.upper()} unit")
    return amount // 10**-shift


def percent_of(minor: int, percent: Decimal) -> int:
    """``percent`` % of an amount in minor units, rounded half-up to a minor unit."""
    # in integers, exactly: Decimal's 28 digits would run out on years of compound interest
    numerator, denominator = percent.as_integer_ratio()
    return _round_half_up(minor * numerator, denominator * 100)


def _round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator (denominator > 0) to the nearest integer, halves away from 0."""
    whole, rest = divmod(abs(numerator), denominator)
    rounded = whole + (2 * rest >= denominator)
    return rounded if numerator >= 0 else -rounded


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
