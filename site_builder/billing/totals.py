"""What an invoice adds up to: line amounts, the subtotals by kind, tax, total."""

from __future__ import annotations

from dataclasses import dataclass

from site_builder.billing.errors import BillingError, major
from site_builder.model import Invoice, LineItem
from site_builder.money import percent_of, to_minor


@dataclass(frozen=True)
class LineAmount:
    item: LineItem
    amount: int  # minor units, quantity x unit price rounded half-up


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineAmount, ...]
    scope: int
    out_of_scope: int
    expenses: int
    subtotal: int
    tax: int
    total: int


def invoice_totals(invoice: Invoice) -> Totals:
    """The invoice's figures in minor units of its currency.

    Each line is rounded on its own (the client sees and checks each line);
    tax is taken once on the sum of the taxable lines, so it is never off by
    the accumulated rounding of many small lines.
    """
    currency = invoice.currency
    lines = tuple(
        LineAmount(item, to_minor(item.quantity * item.unit_price, currency))
        for item in invoice.items
    )
    by_kind = {"scope": 0, "out_of_scope": 0, "expense": 0}
    for line in lines:
        by_kind[line.item.kind] += line.amount
    subtotal = sum(by_kind.values())
    taxable = sum(line.amount for line in lines if line.item.taxable)
    tax = percent_of(taxable, invoice.tax.percent) if invoice.tax is not None else 0
    total = subtotal + tax
    if total < 0:
        raise BillingError(
            "items",
            f"the credit lines exceed the rest of the invoice: the total would be "
            f"{major(total, currency)}, and an invoice cannot be negative",
        )
    return Totals(
        lines=lines,
        scope=by_kind["scope"],
        out_of_scope=by_kind["out_of_scope"],
        expenses=by_kind["expense"],
        subtotal=subtotal,
        tax=tax,
        total=total,
    )
