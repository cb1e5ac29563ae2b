"""Currency facts the local server needs: minor-unit exponents, minimum charges, display."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

# Stripe's currency rules, shared with the one place the functions convert to Stripe's units
from site_builder.money import (
    STRIPE_THREE_DECIMAL,
    STRIPE_WHOLE_UNITS,
    stripe_exponent,
)


def to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-stripe_exponent(currency))


def step(currency: str) -> int:
    """What every amount must be a multiple of, in Stripe's units."""
    code = currency.upper()
    return 100 if code in STRIPE_WHOLE_UNITS else 10 if code in STRIPE_THREE_DECIMAL else 1


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
