"""The one error the billing rules raise: figures that cannot be billed."""

from __future__ import annotations

from decimal import Decimal

from site_builder.money import to_major


class BillingError(ValueError):
    """Content that validates field by field but whose figures do not add up.

    ``field`` is a dotted path into the invoice (``instalments.1.amount``,
    ``terms.late_fee.flat``) so the caller can point at the line that is wrong.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def major(minor: int, currency: str) -> str:
    """An amount for an error message, in the units the agency typed it in."""
    value: Decimal = to_major(minor, currency)
    return f"{value:,f} {currency}"
