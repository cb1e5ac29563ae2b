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


def test_each_line_is_rounded_half_up() -> None:
    totals = invoice_totals(
        invoice([{"description": "Hours", "quantity": "3", "unit_price": "33.335"}])
    )
    assert totals.lines[0].amount == 10001  # 100.005 -> 100.01, not banker's 100.00


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
            [{"description": "Work", "quantity": "3", "unit_price": "333.5"}],
            currency="JPY",
            tax={"percent": "10"},
        )
    )
    assert totals.lines[0].amount == 1001  # 1000.5 yen rounds half-up
    assert totals.tax == 100  # 100.1
    assert totals.total == 1101


def test_fractional_quantities_are_exact() -> None:
    totals = invoice_totals(
        invoice([{"description": "Hours", "quantity": "2.5", "unit_price": "95.00"}])
    )
    assert totals.total == 23750
