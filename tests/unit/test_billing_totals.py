"""Line amounts, subtotals by kind, tax once on the sum, negative totals refused."""

from __future__ import annotations

import pytest

from site_builder.billing import BillingError, invoice_totals
from site_builder.model import Invoice
from tests.unit import factories


def invoice(items: list[dict], **fields: object) -> Invoice:
    return factories.invoice(items=items, **fields)


def test_the_design_sample_invoice_adds_up_to_the_cent() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "Retainer", "quantity": 1, "unit_price": "4500.00"},
                {
                    "description": "Landing",
                    "kind": "out_of_scope",
                    "quantity": 12,
                    "unit_price": "95.00",
                },
                {"description": "Photos", "kind": "expense", "quantity": 3, "unit_price": "29.99"},
            ],
            currency="PLN",
            tax={"label": "VAT", "percent": "23"},
        )
    )
    assert [line.amount for line in totals.lines] == [450000, 114000, 8997]
    assert (totals.scope, totals.out_of_scope, totals.expenses) == (450000, 114000, 8997)
    assert totals.subtotal == 572997
    assert totals.tax == 131789  # 23% of 5729.97 = 1317.8931
    assert totals.total == 704786
    # one rate: its summary row is the invoice's (the default rounds once per rate)
    assert [(r.net, r.tax, r.gross) for r in totals.rates] == [(572997, 131789, 704786)]


def test_a_line_that_is_not_a_whole_amount_is_an_error_not_rounded() -> None:
    items = [
        {"description": "Design", "unit_price": "10.00"},
        {"description": "Hours", "quantity": "3", "unit_price": "33.335"},
    ]
    with pytest.raises(BillingError) as raised:
        invoice_totals(invoice(items))
    assert raised.value.field == "items.1.unit_price"  # the line, for portal check's line
    assert "3 x 33.335 comes to 100.005 USD" in raised.value.message


def test_a_unit_price_finer_than_the_currency_is_fine_when_the_line_is_whole() -> None:
    totals = invoice_totals(
        invoice([{"description": "API calls", "quantity": "8", "unit_price": "0.125"}])
    )
    assert totals.lines[0].amount == 100  # 8 x 0.125 = 1.00 exactly


def test_tax_is_rounded_once_on_the_sum_of_taxable_lines() -> None:
    items = [{"description": f"Line {i}", "unit_price": "0.10"} for i in range(3)]
    totals = invoice_totals(invoice(items, tax={"percent": "5"}))
    # per line 0.005 -> 0.01 each would make 0.03; on the sum 0.015 -> 0.02
    assert totals.tax == 2
    assert totals.total == 32


def test_lines_marked_not_taxable_carry_no_tax() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "Work", "unit_price": "100.00"},
                {"description": "Fee", "kind": "expense", "unit_price": "50.00", "taxable": False},
            ],
            tax={"percent": "20"},
        )
    )
    assert (totals.subtotal, totals.tax, totals.total) == (15000, 2000, 17000)


def test_credit_lines_reduce_the_total() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "Work", "unit_price": "1000.00"},
                {"description": "Credit", "unit_price": "-250.00"},
            ],
            tax={"percent": "10"},
        )
    )
    assert (totals.scope, totals.subtotal, totals.tax, totals.total) == (75000, 75000, 7500, 82500)


def test_credit_lines_exceeding_the_rest_are_an_error_on_items() -> None:
    with pytest.raises(BillingError) as raised:
        invoice_totals(
            invoice(
                [
                    {"description": "Work", "unit_price": "100.00"},
                    {"description": "Credit", "unit_price": "-100.01"},
                ]
            )
        )
    assert raised.value.field == "items"
    assert "-0.01 USD" in raised.value.message


def test_a_zero_total_is_allowed() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "Work", "unit_price": "100.00"},
                {"description": "Credit", "unit_price": "-100.00"},
            ]
        )
    )
    assert totals.total == 0


def test_jpy_lines_and_tax_round_to_whole_yen() -> None:
    totals = invoice_totals(
        invoice(
            [{"description": "Work", "quantity": "2", "unit_price": "500.5"}],
            currency="JPY",
            tax={"percent": "10"},
        )
    )
    assert totals.lines[0].amount == 1001  # 2 x 500.5: a whole yen
    assert totals.tax == 100  # 100.1: tax is a computed figure, rounded once per rate
    assert totals.total == 1101
    odd = [{"description": "Work", "quantity": "3", "unit_price": "333.5"}]
    with pytest.raises(BillingError):  # 3 x 333.5 = 1000.5 yen: no such amount
        invoice_totals(invoice(odd, currency="JPY"))


def test_fractional_quantities_are_exact() -> None:
    totals = invoice_totals(
        invoice([{"description": "Hours", "quantity": "2.5", "unit_price": "95.00"}])
    )
    assert totals.total == 23750
