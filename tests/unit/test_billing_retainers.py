"""Retainers: one invoice per period up to today, named after the period."""

from __future__ import annotations

from datetime import date

from site_builder.billing import expand_retainer
from site_builder.model import Invoice


def template(retainer: dict, **fields: object) -> Invoice:
    data: dict = {
        "number": "RET",
        "client": "acme",
        "issued": retainer["start"],
        "currency": "USD",
        "items": [{"description": "Retainer", "unit_price": "4500.00"}],
        "retainer": retainer,
    }
    data.update(fields)
    return Invoice.model_validate(data)


def periods(invoices: list[Invoice]) -> list[tuple[str, date]]:
    return [(inv.number, inv.issued) for inv in invoices]


def test_an_invoice_without_a_retainer_is_itself() -> None:
    inv = template({"start": "2026-01-01"}).model_copy(update={"retainer": None})
    assert expand_retainer(inv, date(2030, 1, 1)) == [inv]


def test_monthly_up_to_the_period_containing_today() -> None:
    inv = template({"start": "2026-01-15"}, due="2026-01-29")
    out = expand_retainer(inv, date(2026, 3, 20))
    assert periods(out) == [
        ("RET-2026-01", date(2026, 1, 15)),
        ("RET-2026-02", date(2026, 2, 15)),
        ("RET-2026-03", date(2026, 3, 15)),
    ]
    assert [inv.due for inv in out] == [date(2026, 1, 29), date(2026, 3, 1), date(2026, 3, 29)]
    assert all(inv.retainer is None for inv in out)
    assert all(inv.items == out[0].items for inv in out)
    # the day before the next period starts still belongs to the current one
    assert len(expand_retainer(inv, date(2026, 4, 14))) == 3
    assert len(expand_retainer(inv, date(2026, 4, 15))) == 4


def test_nothing_before_the_retainer_starts() -> None:
    assert expand_retainer(template({"start": "2026-01-15"}), date(2026, 1, 14)) == []


def test_without_a_template_due_date_the_terms_decide() -> None:
    out = expand_retainer(template({"start": "2026-01-01"}), date(2026, 2, 1))
    assert [inv.due for inv in out] == [None, None]


def test_the_due_offset_is_kept_when_the_template_is_issued_before_the_start() -> None:
    inv = template({"start": "2026-02-01"}, issued="2026-01-20", due="2026-01-30")
    out = expand_retainer(inv, date(2026, 3, 1))
    assert [(inv.issued, inv.due) for inv in out] == [
        (date(2026, 2, 1), date(2026, 2, 11)),
        (date(2026, 3, 1), date(2026, 3, 11)),
    ]


def test_months_clamp_to_short_months_and_come_back() -> None:
    out = expand_retainer(template({"start": "2026-01-31"}), date(2026, 4, 30))
    assert periods(out) == [
        ("RET-2026-01", date(2026, 1, 31)),
        ("RET-2026-02", date(2026, 2, 28)),
        ("RET-2026-03", date(2026, 3, 31)),
        ("RET-2026-04", date(2026, 4, 30)),
    ]


def test_quarters() -> None:
    out = expand_retainer(template({"start": "2026-01-01", "every": "quarter"}), date(2026, 8, 1))
    assert periods(out) == [
        ("RET-2026-Q1", date(2026, 1, 1)),
        ("RET-2026-Q2", date(2026, 4, 1)),
        ("RET-2026-Q3", date(2026, 7, 1)),
    ]


def test_weeks_across_a_year_boundary_use_iso_weeks() -> None:
    out = expand_retainer(template({"start": "2026-12-21", "every": "week"}), date(2027, 1, 11))
    assert periods(out) == [
        ("RET-2026-W52", date(2026, 12, 21)),
        ("RET-2026-W53", date(2026, 12, 28)),
        ("RET-2027-W01", date(2027, 1, 4)),
        ("RET-2027-W02", date(2027, 1, 11)),
    ]


def test_week_numbers_are_zero_padded() -> None:
    out = expand_retainer(template({"start": "2026-02-23", "every": "week"}), date(2026, 2, 23))
    assert periods(out) == [("RET-2026-W09", date(2026, 2, 23))]


def test_years() -> None:
    out = expand_retainer(template({"start": "2024-02-29", "every": "year"}), date(2026, 3, 1))
    assert periods(out) == [
        ("RET-2024", date(2024, 2, 29)),
        ("RET-2025", date(2025, 2, 28)),
        ("RET-2026", date(2026, 2, 28)),
    ]


def test_until_bounds_the_periods() -> None:
    inv = template({"start": "2026-01-15", "until": "2026-03-14"})
    assert [i.number for i in expand_retainer(inv, date(2027, 1, 1))] == [
        "RET-2026-01",
        "RET-2026-02",
    ]
    inv = template({"start": "2026-01-15", "until": "2026-03-15"})
    assert len(expand_retainer(inv, date(2027, 1, 1))) == 3


def test_count_bounds_the_periods() -> None:
    inv = template({"start": "2026-01-15", "count": 2})
    assert [i.number for i in expand_retainer(inv, date(2027, 1, 1))] == [
        "RET-2026-01",
        "RET-2026-02",
    ]
    assert [i.number for i in expand_retainer(inv, date(2026, 1, 20))] == ["RET-2026-01"]


def test_a_deposit_due_date_moves_with_the_period() -> None:
    inv = template({"start": "2026-01-01"}, deposit={"percent": "50", "due": "2026-01-05"})
    out = expand_retainer(inv, date(2026, 2, 1))
    assert [i.deposit.due for i in out if i.deposit] == [date(2026, 1, 5), date(2026, 2, 5)]
