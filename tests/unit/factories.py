"""Small builders for the billing tests: an invoice and a payment with sensible defaults."""

from __future__ import annotations

from datetime import date
from typing import Any

from site_builder.billing import PaymentRecord
from site_builder.model import Invoice


def invoice(price: str = "1000.00", **fields: Any) -> Invoice:
    """A one-line USD invoice issued 2026-03-01; any field can be overridden."""
    data: dict[str, Any] = {
        "number": "INV-1",
        "client": "acme",
        "issued": "2026-03-01",
        "currency": "USD",
        "items": [{"description": "Work", "quantity": "1", "unit_price": price}],
        **fields,
    }
    return Invoice.model_validate(data)


def pay(day: date, amount: int, refunded: int = 0, instalment: int | None = None) -> PaymentRecord:
    return PaymentRecord(f"p-{day}-{amount}", day, amount, refunded, instalment)
