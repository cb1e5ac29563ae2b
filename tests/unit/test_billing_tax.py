"""Tax as invoices need it: a rate per line, tax-inclusive prices, rounding per line or invoice.

Every figure here is worked by hand in the comment beside it; the property tests check that
the per-rate summary always adds up to the invoice, whatever the rates, prices and modes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from site_builder.billing import BillingError, invoice_totals
from site_builder.billing.totals import RateTotal, TaxRate, Totals, net_of
from site_builder.model import Agency, Invoice
from site_builder.money import exponent
from tests.unit import factories

VAT23, VAT8 = TaxRate("VAT", Decimal(23)), TaxRate("VAT", Decimal(8))


def invoice(items: list[dict], **fields: object) -> Invoice:
    return factories.invoice(items=items, **fields)


def summary(totals: Totals) -> list[tuple[str | None, int, int, int]]:
    """(label and percent, net, tax, gross) per row of the tax summary."""
    return [
        (None if r.rate is None else f"{r.rate.label} {r.rate.percent}", r.net, r.tax, r.gross)
        for r in totals.rates
    ]


# --- the shape of the content ---------------------------------------------------------


def test_existing_content_means_what_it_meant() -> None:
    inv = invoice([{"description": "Work", "unit_price": "100.00"}], tax={"percent": "20"})
    assert inv.prices_include_tax is False and inv.tax_rounding == "invoice"
    assert inv.items[0].tax is None  # taxed at the invoice's rate
    agency = Agency.model_validate(
        {
            "name": "A",
            "email": "a@a.example",
            "address": ["1 Road"],
            "portal_url": "https://p.example",
            "api_url": "https://api.example",
        }
    )
    assert agency.prices_include_tax is False and agency.tax_rounding == "invoice"


def test_a_line_cannot_have_a_rate_and_be_untaxed() -> None:
    with pytest.raises(ValidationError, match="either a tax rate or taxable: false"):
        invoice([{"description": "x", "unit_price": "1", "taxable": False, "tax": {"percent": 8}}])


def test_an_unknown_rounding_is_refused() -> None:
    with pytest.raises(ValidationError, match="tax_rounding"):
        invoice([{"description": "x", "unit_price": "1"}], tax_rounding="banker")


# --- mixed rates ------------------------------------------------------------------------


def test_polish_23_and_8_percent_on_one_invoice() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "Catering design", "unit_price": "1000.00"},
                {"description": "Printed menus", "unit_price": "250.00", "tax": {"percent": "8"}},
                {"description": "Photos", "kind": "expense", "unit_price": "49.90"},
                {"description": "Stock (re-invoiced)", "unit_price": "30.00", "taxable": False},
            ],
            currency="PLN",
            tax={"label": "VAT", "percent": "23"},
        )
    )
    # the line's own rate takes the invoice's label: VAT 8%, not "Tax 8%"
    assert [line.rate for line in totals.lines] == [VAT23, VAT8, VAT23, None]
    assert summary(totals) == [
        ("VAT 23", 104990, 24148, 129138),  # 1049.90 x 23% = 241.477 -> 241.48
        ("VAT 8", 25000, 2000, 27000),
        (None, 3000, 0, 3000),  # not taxed: listed, so the rows add up to the total
    ]
    assert (totals.subtotal, totals.tax, totals.total) == (132990, 26148, 159138)
    # the sums by kind stay the lines as written
    assert (totals.scope, totals.expenses) == (128000, 4990)


def test_uk_20_and_zero_rated_lines() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "Design", "unit_price": "1200.00"},
                {"description": "Printed book", "unit_price": "80.00", "tax": {"percent": "0"}},
            ],
            currency="GBP",
            tax={"label": "VAT", "percent": "20"},
        )
    )
    # zero-rated is a rate (it is printed), unlike a line outside the scope of VAT
    assert summary(totals) == [("VAT 20", 120000, 24000, 144000), ("VAT 0", 8000, 0, 8000)]
    assert totals.total == 152000


def test_a_line_may_name_its_own_label_or_be_taxed_without_an_invoice_rate() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "Work", "unit_price": "100.00"},
                {
                    "description": "Room",
                    "unit_price": "100.00",
                    "tax": {"label": "SST", "percent": 6},
                },
            ],
            currency="MYR",
        )
    )
    assert summary(totals) == [("SST 6", 10000, 600, 10600), (None, 10000, 0, 10000)]


def test_equal_rates_share_a_row_whatever_their_spelling() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "a", "unit_price": "10.00"},
                {"description": "b", "unit_price": "10.00", "tax": {"percent": "23.0"}},
            ],
            tax={"label": "VAT", "percent": "23"},
        )
    )
    assert summary(totals) == [("VAT 23", 2000, 460, 2460)]


# --- prices that include tax ----------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "price", "percent", "net", "tax"),
    [
        ("USD", "100.00", "23", 8130, 1870),  # 100 / 1.23 = 81.3008 -> 81.30
        ("USD", "10.00", "20", 833, 167),  # 10 / 1.2 = 8.3333 -> 8.33
        ("JPY", "1100", "10", 1000, 100),
        ("JPY", "1000", "8", 926, 74),  # 925.93 -> 926 yen
        ("KWD", "10.000", "5", 9524, 476),  # 9.5238095 -> 9.524 dinar
        ("KWD", "1.050", "5", 1000, 50),
    ],
)
def test_inclusive_prices_take_the_net_out_of_the_gross(
    currency: str, price: str, percent: str, net: int, tax: int
) -> None:
    totals = invoice_totals(
        invoice(
            [{"description": "Work", "unit_price": price}],
            currency=currency,
            tax={"label": "VAT", "percent": percent},
            prices_include_tax=True,
        )
    )
    gross = totals.lines[0].amount
    assert (totals.subtotal, totals.tax, totals.total) == (net, tax, gross)
    assert totals.rates == (RateTotal(totals.lines[0].rate, net, tax, gross),)


def test_inclusive_mixed_rates_and_an_untaxed_line() -> None:
    totals = invoice_totals(
        invoice(
            [
                {"description": "Menu", "quantity": 2, "unit_price": "61.50"},
                {"description": "Cake", "unit_price": "54.00", "tax": {"percent": "8"}},
                {"description": "Deposit", "unit_price": "20.00", "taxable": False},
            ],
            currency="PLN",
            tax={"label": "VAT", "percent": "23"},
            prices_include_tax=True,
        )
    )
    # 123.00 / 1.23 = 100.00; 54.00 / 1.08 = 50.00; the lines as written are the total
    assert summary(totals) == [
        ("VAT 23", 10000, 2300, 12300),
        ("VAT 8", 5000, 400, 5400),
        (None, 2000, 0, 2000),
    ]
    assert totals.total == 19700 == sum(line.amount for line in totals.lines)


def test_net_of_rounds_half_away_from_zero_exactly() -> None:
    assert net_of(105, Decimal(5)) == 100
    assert net_of(-105, Decimal(5)) == -100  # a credit line mirrors a charge
    assert net_of(3, Decimal(200)) == 1  # 3 / 3
    assert net_of(5, Decimal(100)) == 3  # 2.5 -> 3
    assert net_of(-5, Decimal(100)) == -3
    assert net_of(123, Decimal(0)) == 123


# --- rounding per line or per invoice -------------------------------------------------


def test_rounding_per_line_and_per_invoice_differ_by_one_cent() -> None:
    items = [{"description": f"Line {i}", "unit_price": "0.10"} for i in range(3)]
    per_invoice = invoice_totals(invoice(items, tax={"percent": "5"}))
    per_line = invoice_totals(invoice(items, tax={"percent": "5"}, tax_rounding="line"))
    # per invoice: 5% of 0.30 = 0.015 -> 0.02; per line: 0.005 -> 0.01, three times
    assert (per_invoice.tax, per_invoice.total) == (2, 32)
    assert (per_line.tax, per_line.total) == (3, 33)


def test_inclusive_rounding_per_line_and_per_invoice_differ_by_one_cent() -> None:
    items = [{"description": f"Line {i}", "unit_price": "0.01"} for i in range(3)]
    fields = {"tax": {"percent": "23"}, "prices_include_tax": True}
    per_invoice = invoice_totals(invoice(items, **fields))
    per_line = invoice_totals(invoice(items, **fields, tax_rounding="line"))
    # per invoice: 0.03 / 1.23 = 0.0244 -> net 0.02, tax 0.01; per line: 0.01 / 1.23 -> net 0.01
    # and tax 0 each. The gross is what the client was quoted either way.
    assert (per_invoice.subtotal, per_invoice.tax, per_invoice.total) == (2, 1, 3)
    assert (per_line.subtotal, per_line.tax, per_line.total) == (3, 0, 3)


def test_rounding_per_invoice_is_once_per_rate() -> None:
    items = [
        {"description": "a", "unit_price": "0.10"},
        {"description": "b", "unit_price": "0.10"},
        {"description": "c", "unit_price": "0.10", "tax": {"percent": "15"}},
    ]
    totals = invoice_totals(invoice(items, tax={"percent": "5"}))
    # 5% of 0.20 = 0.01 and 15% of 0.10 = 0.015 -> 0.02; not 20%-ish of the 0.30 as one sum
    assert [(r.net, r.tax) for r in totals.rates] == [(10, 2), (20, 1)]


# --- properties -------------------------------------------------------------------------

RATES = [None, {"percent": "0"}, {"percent": "5"}, {"percent": "8"}, {"percent": "23"},
         {"label": "SST", "percent": "6"}, {"percent": "12.5"}, "untaxed"]  # fmt: skip
lines = st.lists(
    st.tuples(
        st.decimals(min_value=0, max_value=50, places=2),  # quantity
        st.decimals(min_value=-500, max_value=5000, places=3),  # unit price
        st.sampled_from(RATES),
    ),
    min_size=1,
    max_size=12,
)


def _item(n: int, quantity: Decimal, price: Decimal, rate: object) -> dict:
    item: dict = {"description": f"Line {n}", "quantity": str(quantity), "unit_price": str(price)}
    if rate == "untaxed":
        item["taxable"] = False
    elif rate is not None:
        item["tax"] = rate
    return item


@settings(max_examples=300, deadline=None)
@given(
    lines,
    st.sampled_from(["USD", "JPY", "KWD", "PLN"]),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=30, places=2)),
    st.booleans(),
    st.sampled_from(["invoice", "line"]),
)
def test_every_rate_adds_up_and_the_rates_add_up_to_the_invoice(
    rows: list[tuple[Decimal, Decimal, object]],
    currency: str,
    default: Decimal | None,
    inclusive: bool,
    rounding: str,
) -> None:
    # whole quantities of prices in the currency's units: every line is exact (one that is
    # not is refused, never rounded: test_plan_dates.py)
    unit = Decimal(1).scaleb(-exponent(currency))
    inv = invoice(
        [_item(n, q.to_integral_value(), p.quantize(unit), r) for n, (q, p, r) in enumerate(rows)],
        currency=currency,
        tax=None if default is None else {"label": "VAT", "percent": str(default)},
        prices_include_tax=inclusive,
        tax_rounding=rounding,
    )
    try:
        totals = invoice_totals(inv)
    except BillingError as exc:  # credit lines beyond the rest: refused, not computed
        assert exc.field == "items"
        return
    for row in totals.rates:
        assert row.net + row.tax == row.gross
        mine = [line.amount for line in totals.lines if line.rate == row.rate]
        # the lines as written are the net, or (prices including tax) the gross
        assert (row.gross if inclusive else row.net) == sum(mine)
        if row.rate is None:
            assert row.tax == 0
            continue
        # rounded once per rate, the tax is within half a unit of the exact tax; rounded per
        # line, within half a unit per line
        percent = row.rate.percent
        exact = sum(mine) * percent / ((100 + percent) if inclusive else 100)
        slack = Decimal(len(mine) if rounding == "line" else 1) / 2
        assert abs(row.tax - exact) <= slack
    assert len({row.rate for row in totals.rates}) == len(totals.rates)  # one row per rate
    assert sum(row.gross for row in totals.rates) == totals.total
    assert sum(row.net for row in totals.rates) == totals.subtotal
    assert sum(row.tax for row in totals.rates) == totals.tax
    assert totals.subtotal + totals.tax == totals.total
    written = sum(line.amount for line in totals.lines)
    assert (totals.total if inclusive else totals.subtotal) == written
    assert totals.scope + totals.out_of_scope + totals.expenses == written
