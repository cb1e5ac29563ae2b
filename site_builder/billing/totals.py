"""What an invoice adds up to: line amounts, the subtotals by kind, tax per rate, total.

This is the one place tax is computed. The page, the ledger, the checkout and the
reminders all read these figures (through the statement), so a mixed-rate or
tax-inclusive invoice comes to the same minor unit wherever it is shown or charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

from site_builder.billing.errors import BillingError, major
from site_builder.model import Invoice, LineItem, Tax, TaxRounding
from site_builder.money import MoneyError, exponent, percent_of, to_minor


@dataclass(frozen=True)
class TaxRate:
    """A rate as the invoice prints it; lines with equal label and percent share a row."""

    label: str
    percent: Decimal


@dataclass(frozen=True)
class LineAmount:
    item: LineItem
    # minor units, quantity x unit price rounded half-up: as written, so tax included
    # when the invoice's prices include it
    amount: int
    rate: TaxRate | None = None  # None: the line carries no tax


@dataclass(frozen=True)
class RateTotal:
    """One row of the tax summary: what the lines at one rate come to."""

    rate: TaxRate | None  # None: the lines that carry no tax
    net: int
    tax: int
    gross: int  # always net + tax


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineAmount, ...]
    scope: int  # the sums by kind are of the lines as written
    out_of_scope: int
    expenses: int
    subtotal: int  # net: the sum of the rates' nets
    tax: int
    total: int  # gross: subtotal + tax
    rates: tuple[RateTotal, ...] = ()  # taxed rates, highest first, then the untaxed lines
    prices_include_tax: bool = False


def line_rate(item: LineItem, default: Tax | None) -> TaxRate | None:
    """The rate a line is taxed at: its own, else the invoice's, unless it is not taxable.

    A line's rate that names no label takes the invoice's, so ``{percent: "8"}`` on
    an invoice under "VAT" 23% is VAT 8%, not "Tax 8%".
    """
    if not item.taxable:
        return None
    own = item.tax
    if own is None:
        return None if default is None else TaxRate(default.label, default.percent)
    named = "label" in own.model_fields_set or default is None
    return TaxRate(own.label if named else default.label, own.percent)


def net_of(gross: int, percent: Decimal) -> int:
    """The net inside a tax-inclusive amount: gross / (1 + percent / 100), half-up.

    In exact rationals: a Decimal division would round before the rounding that counts.
    """
    numerator, denominator = percent.as_integer_ratio()
    exact = Fraction(gross * 100 * denominator, 100 * denominator + numerator)
    rounded = floor(abs(exact) + Fraction(1, 2))  # halves away from zero, as percent_of
    return rounded if exact >= 0 else -rounded


def _net_and_tax(amount: int, rate: TaxRate, inclusive: bool) -> tuple[int, int]:
    """Net and tax of one amount at one rate, rounded once."""
    if inclusive:
        net = net_of(amount, rate.percent)
        return net, amount - net
    return amount, percent_of(amount, rate.percent)


def rate_total(
    rate: TaxRate | None, amounts: list[int], inclusive: bool, rounding: TaxRounding
) -> RateTotal:
    """The summary row of the lines at ``rate``.

    Per invoice, the rate's tax is rounded once on the sum of its lines, so it is never
    off by the accumulated rounding of many small lines; per line, each line's tax is
    rounded on its own and those are summed. Either way net + tax == gross exactly.
    """
    written = sum(amounts)
    if rate is None:
        return RateTotal(None, written, 0, written)
    parts = [written] if rounding == "invoice" else amounts
    net = tax = 0
    for amount in parts:
        part_net, part_tax = _net_and_tax(amount, rate, inclusive)
        net, tax = net + part_net, tax + part_tax
    return RateTotal(rate, net, tax, net + tax)


def _summary_order(row: RateTotal) -> tuple[int, Decimal, str]:
    # as tax summaries are printed: 23%, 8%, 0%, then what is not taxed at all
    if row.rate is None:
        return (1, Decimal(0), "")
    return (0, -row.rate.percent, row.rate.label)


def line_amount(item: LineItem, currency: str, index: int) -> int:
    """quantity x unit price in minor units, which must come out exact.

    A unit price may have more places than the currency (0.125 an API call, 8 of them are
    1.00): usage is priced that way, and Stripe takes such prices too. What is billed is the
    line's amount, and that is money: 3 x 0.125 = 0.375 USD is not a whole number of cents,
    and which way to round it is the agency's call (the quantity, the price), never ours.
    """
    amount = item.quantity * item.unit_price
    try:
        return to_minor(amount, currency, exact=True)
    except MoneyError:
        places = exponent(currency)
        raise BillingError(
            f"items.{index}.unit_price",
            f"{item.quantity.normalize():f} x {item.unit_price.normalize():f} comes to "
            f"{amount.normalize():f} {currency}, which has more than {places} decimal "
            f"place{'s' * (places != 1)}: change the quantity or the unit price so the "
            "line is a whole amount",
        ) from None


def invoice_totals(invoice: Invoice) -> Totals:
    """The invoice's figures in minor units of its currency.

    Each line is rounded on its own (the client sees and checks each line); tax is
    then taken per rate as the invoice's ``tax_rounding`` says. With
    ``prices_include_tax`` the lines are gross and the net is taken out of them.
    """
    currency = invoice.currency
    lines = tuple(
        LineAmount(item, line_amount(item, currency, index), line_rate(item, invoice.tax))
        for index, item in enumerate(invoice.items)
    )
    by_kind = {"scope": 0, "out_of_scope": 0, "expense": 0}
    by_rate: dict[TaxRate | None, list[int]] = {}
    for line in lines:
        by_kind[line.item.kind] += line.amount
        by_rate.setdefault(line.rate, []).append(line.amount)
    inclusive = invoice.prices_include_tax
    rates = tuple(
        sorted(
            (
                rate_total(rate, amounts, inclusive, invoice.tax_rounding)
                for rate, amounts in by_rate.items()
            ),
            key=_summary_order,
        )
    )
    subtotal = sum(row.net for row in rates)
    tax = sum(row.tax for row in rates)
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
        rates=rates,
        prices_include_tax=inclusive,
    )
