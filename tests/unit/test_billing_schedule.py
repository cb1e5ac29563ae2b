"""The payment schedule: full, deposit + balance, deposit + instalments, plans."""

from __future__ import annotations

from datetime import date

import pytest

from site_builder.billing import (
    BillingError,
    ScheduleEntry,
    invoice_totals,
    payment_schedule,
    resolve_terms,
)
from site_builder.model import Invoice, Terms
from tests.unit.factories import invoice

DUE = date(2026, 3, 31)  # issued 1 March, net 30
DEPOSIT_DUE = date(2026, 3, 8)  # a deposit that names no date: a week after issue
TERMS = resolve_terms(Terms(net_days=30, deposit_days=7))


def schedule(inv: Invoice) -> tuple[ScheduleEntry, ...]:
    return payment_schedule(inv, invoice_totals(inv).total, TERMS)


def brief(entries: tuple[ScheduleEntry, ...]) -> list[tuple[int, str, date, int]]:
    return [(e.n, e.kind, e.due, e.amount) for e in entries]


def test_no_plan_is_one_full_entry_due_on_the_due_date() -> None:
    assert schedule(invoice()) == (ScheduleEntry(1, "full", None, DUE, 100000),)


def test_deposit_by_percent_then_the_balance() -> None:
    entries = schedule(invoice(deposit={"percent": "30", "label": "Deposit"}))
    assert brief(entries) == [
        (1, "deposit", DEPOSIT_DUE, 30000),  # due deposit_days after issue by default
        (2, "balance", DUE, 70000),
    ]
    assert entries[0].label == "Deposit"
    assert entries[1].label is None


def test_deposit_by_amount_with_its_own_due_date() -> None:
    entries = schedule(invoice(deposit={"amount": "250.00", "due": "2026-03-05"}))
    assert brief(entries) == [(1, "deposit", date(2026, 3, 5), 25000), (2, "balance", DUE, 75000)]


def test_deposit_percent_rounds_half_up_and_the_balance_takes_the_rest() -> None:
    entries = schedule(invoice("100.05", deposit={"percent": "50"}))
    assert [e.amount for e in entries] == [5003, 5002]  # 50.025 -> 50.03


def test_a_deposit_of_the_whole_total_leaves_no_balance_entry() -> None:
    assert brief(schedule(invoice(deposit={"percent": "100"}))) == [
        (1, "deposit", DEPOSIT_DUE, 100000)
    ]


def test_a_deposit_larger_than_the_total_is_an_error() -> None:
    with pytest.raises(BillingError) as raised:
        schedule(invoice(deposit={"amount": "1000.01"}))
    assert raised.value.field == "deposit"
    assert "1,000.01 USD" in raised.value.message
    assert "1,000.00 USD" in raised.value.message


def test_a_deposit_finer_than_a_cent_is_an_error_not_rounded() -> None:
    with pytest.raises(BillingError) as raised:
        schedule(invoice(deposit={"amount": "100.005"}))
    assert raised.value.field == "deposit.amount"


def test_instalments_by_percent_of_an_odd_total_sum_exactly() -> None:
    plan = [
        {"due": "2026-03-31", "percent": "33.33"},
        {"due": "2026-04-30", "percent": "33.33"},
        {"due": "2026-05-31", "percent": "33.34"},
    ]
    entries = schedule(invoice("100.01", instalments=plan))
    # 33.333333, 33.333333, 33.343334: the left-over cent goes to the largest remainder
    assert [e.amount for e in entries] == [3333, 3333, 3335]
    assert sum(e.amount for e in entries) == 10001
    assert [e.kind for e in entries] == ["instalment"] * 3


def test_equal_percent_instalments_give_the_odd_cent_to_the_first() -> None:
    plan = [{"due": "2026-03-31", "percent": "50"}, {"due": "2026-04-30", "percent": "50"}]
    assert [e.amount for e in schedule(invoice("100.01", instalments=plan))] == [5001, 5000]


def test_deposit_then_instalments_share_the_remainder() -> None:
    plan = [
        {"due": "2026-04-15", "percent": "50", "label": "Milestone 1"},
        {"due": "2026-05-15", "percent": "50", "label": "Milestone 2"},
    ]
    entries = schedule(invoice("100.01", deposit={"percent": "30"}, instalments=plan))
    assert brief(entries) == [
        (1, "deposit", DEPOSIT_DUE, 3000),  # 30.003 -> 30.00
        (2, "instalment", date(2026, 4, 15), 3501),  # 70.01 split in halves
        (3, "instalment", date(2026, 5, 15), 3500),
    ]
    assert [e.label for e in entries] == [None, "Milestone 1", "Milestone 2"]


def test_instalments_by_fixed_amounts() -> None:
    plan = [
        {"due": "2026-03-31", "amount": "300.00"},
        {"due": "2026-04-30", "amount": "700.00"},
    ]
    assert brief(schedule(invoice(instalments=plan))) == [
        (1, "instalment", date(2026, 3, 31), 30000),
        (2, "instalment", date(2026, 4, 30), 70000),
    ]


def test_fixed_instalments_that_miss_the_total_are_an_error() -> None:
    plan = [
        {"due": "2026-03-31", "amount": "400.00"},
        {"due": "2026-04-30", "amount": "500.00"},
    ]
    with pytest.raises(BillingError) as raised:
        schedule(invoice(instalments=plan))
    assert raised.value.field == "instalments"
    assert raised.value.message == (
        "instalment amounts add up to 900.00 USD, not the invoice total 1,000.00 USD"
    )


def test_fixed_instalments_after_a_deposit_must_add_up_to_the_rest() -> None:
    plan = [
        {"due": "2026-03-31", "amount": "400.00"},
        {"due": "2026-04-30", "amount": "400.00"},
    ]
    assert [
        e.amount for e in schedule(invoice(deposit={"amount": "200.00"}, instalments=plan))
    ] == [
        20000,
        40000,
        40000,
    ]
    with pytest.raises(BillingError) as raised:
        schedule(invoice(deposit={"amount": "100.00"}, instalments=plan))
    assert raised.value.message == (
        "instalment amounts add up to 800.00 USD, not the balance after the deposit 900.00 USD"
    )


def test_a_fixed_instalment_finer_than_the_currency_is_an_error() -> None:
    plan = [{"due": "2026-03-31", "amount": "500.5"}, {"due": "2026-04-30", "amount": "499.5"}]
    with pytest.raises(BillingError) as raised:
        schedule(invoice("1000", currency="JPY", instalments=plan))
    assert raised.value.field == "instalments.0.amount"


def test_entries_are_numbered_in_due_order() -> None:
    plan = [{"due": "2026-03-10", "percent": "50"}, {"due": "2026-04-10", "percent": "50"}]
    entries = schedule(invoice(deposit={"percent": "20", "due": "2026-03-20"}, instalments=plan))
    assert brief(entries) == [
        (1, "instalment", date(2026, 3, 10), 40000),
        (2, "deposit", date(2026, 3, 20), 20000),
        (3, "instalment", date(2026, 4, 10), 40000),
    ]


def test_jpy_instalments_split_whole_yen() -> None:
    plan = [{"due": "2026-03-31", "percent": "50"}, {"due": "2026-04-30", "percent": "50"}]
    entries = schedule(invoice("1001", currency="JPY", instalments=plan))
    assert [e.amount for e in entries] == [501, 500]
