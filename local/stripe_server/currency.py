"""Currency facts the local server needs: minor-unit exponents, minimum charges, display."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

# Stripe's minimum charge amounts, in minor units (https://docs.stripe.com/currencies).
MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
    "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50,
    "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
    "sek": 300, "sgd": 50, "thb": 1000,
}  # fmt: skip

MAXIMUM_AMOUNT = 99_999_999


def exponent(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def minimum_charge(currency: str) -> int:
    return MINIMUM_CHARGE.get(currency.lower(), 1)


def to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-exponent(currency))


def babel_locale(locale: str | None) -> Locale:
    if locale and locale != "auto":
        try:
            return Locale.parse(locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            pass
    return Locale.parse("en")


def format_amount(amount: int, currency: str, locale: str | None = None) -> str:
    """``1234, "eur", "fr"`` → ``"12,34 €"``; amounts are in Stripe's minor units."""
    return format_currency(
        to_major(amount, currency),
        currency.upper(),
        locale=babel_locale(locale),
    )
