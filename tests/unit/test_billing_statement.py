"""Statements: allocation of payments, refunds, overpayment, fees per entry, statuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from site_builder.billing import Statement, resolve_terms, statement
from site_builder.model import Terms
from tests.unit.factories import invoice, pay

REFERENCE = resolve_terms(
    Terms.model_validate(
        {
            "net_days": 21,
            "late_fee": {
                "steps": [
                    {"days_overdue": 1, "percent": "3", "of": "total"},
                    {"days_overdue": 21, "percent": "3", "of": "balance"},
                ]
            },
        }
    )
)

NO_FEES = resolve_terms(Terms.model_validate({"net_days": 21}))
PLAN = [
    {"due": "2026-03-31", "amount": "300.00"},
    {"due": "2026-04-30", "amount": "300.00"},
    {"due": "2026-05-31", "amount": "400.00"},
]


def entry_figures(st: Statement) -> list[tuple[int, int, int, str]]:
    return [(e.amount, e.paid, e.amount_due, e.status) for e in st.entries]


# --- the reference rule through the statement ---------------------------------


def test_reference_rule_amounts_due() -> None:
    inv = invoice()
    expected = {
        date(2026, 3, 22): (0, 100000, "open", 0),
        date(2026, 3, 23): (3000, 103000, "overdue", 1),
        date(2026, 4, 11): (3000, 103000, "overdue", 20),
        date(2026, 4, 12): (6090, 106090, "overdue", 21),
    }
    for today, (fees, due, status, late) in expected.items():
        st = statement(inv, REFERENCE, [], today)
        assert (st.late_fees, st.amount_due, st.status, st.days_overdue) == (
            fees,
            due,
            status,
            late,
        )
        assert st.due == date(2026, 3, 22)


def test_reference_rule_with_a_partial_payment() -> None:
    st = statement(invoice(), REFERENCE, [pay(date(2026, 4, 1), 50000)], date(2026, 4, 12))
    assert [(f.on, f.amount) for f in st.fees] == [
        (date(2026, 3, 23), 3000),
        (date(2026, 4, 12), 1590),
    ]
    assert (st.paid, st.late_fees, st.balance, st.amount_due) == (50000, 4590, 54590, 54590)
    assert st.status == "overdue"


def test_paying_fees_and_principal_settles_the_invoice() -> None:
    st = statement(invoice(), REFERENCE, [pay(date(2026, 3, 25), 103000)], date(2026, 6, 1))
    assert (st.late_fees, st.balance, st.status, st.days_overdue) == (3000, 0, "paid", 0)


# --- allocation -------------------------------------------------------------------


def test_payments_fill_entries_oldest_first() -> None:
    st = statement(
        invoice(instalments=PLAN), NO_FEES, [pay(date(2026, 3, 20), 45000)], date(2026, 3, 21)
    )
    assert entry_figures(st) == [
        (30000, 30000, 0, "paid"),
        (30000, 15000, 15000, "partially_paid"),
        (40000, 0, 40000, "open"),
    ]
    assert (st.paid, st.balance, st.status) == (45000, 55000, "partially_paid")


def test_a_payment_for_a_named_instalment_goes_there_first() -> None:
    st = statement(
        invoice(instalments=PLAN),
        NO_FEES,
        [pay(date(2026, 3, 20), 30000, instalment=3)],
        date(2026, 3, 21),
    )
    assert entry_figures(st) == [
        (30000, 0, 30000, "open"),
        (30000, 0, 30000, "open"),
        (40000, 30000, 10000, "partially_paid"),
    ]


def test_what_a_named_instalment_does_not_need_overflows_oldest_first() -> None:
    st = statement(
        invoice(instalments=PLAN),
        NO_FEES,
        [pay(date(2026, 3, 20), 70000, instalment=2)],
        date(2026, 3, 21),
    )
    assert [e.paid for e in st.entries] == [30000, 30000, 10000]


def test_a_named_payment_keeps_its_place_against_a_same_day_general_payment() -> None:
    payments = [pay(date(2026, 3, 20), 30000), pay(date(2026, 3, 20), 30000, instalment=1)]
    st = statement(invoice(instalments=PLAN), NO_FEES, payments, date(2026, 3, 21))
    assert [e.paid for e in st.entries] == [30000, 30000, 0]


def test_an_unknown_instalment_number_is_treated_as_a_general_payment() -> None:
    payments = [pay(date(2026, 3, 20), 30000, instalment=9)]
    st = statement(invoice(instalments=PLAN), NO_FEES, payments, date(2026, 3, 21))
    assert [e.paid for e in st.entries] == [30000, 0, 0]


def test_late_fees_fall_on_the_late_instalment_only() -> None:
    st = statement(invoice(instalments=PLAN), REFERENCE, [], date(2026, 4, 1))
    assert [e.late_fees for e in st.entries] == [900, 0, 0]  # 3% of 300.00
    assert [e.days_overdue for e in st.entries] == [1, 0, 0]
    assert [e.status for e in st.entries] == ["overdue", "open", "open"]
    assert (st.late_fees, st.balance, st.days_overdue, st.status) == (900, 100900, 1, "overdue")


def test_an_early_payment_of_a_later_instalment_does_not_excuse_the_late_one() -> None:
    payments = [pay(date(2026, 3, 20), 30000, instalment=2)]
    st = statement(invoice(instalments=PLAN), REFERENCE, payments, date(2026, 4, 1))
    assert entry_figures(st) == [
        (30000, 0, 30900, "overdue"),
        (30000, 30000, 0, "paid"),
        (40000, 0, 40000, "open"),
    ]


def test_a_general_payment_covers_fees_already_due_on_an_entry() -> None:
    st = statement(
        invoice(instalments=PLAN), REFERENCE, [pay(date(2026, 4, 1), 30900)], date(2026, 4, 2)
    )
    assert [e.amount_due for e in st.entries] == [0, 30000, 40000]
    assert st.status == "partially_paid"


def test_deposit_and_balance() -> None:
    inv = invoice(deposit={"percent": "25"})
    st = statement(inv, REFERENCE, [pay(date(2026, 3, 1), 25000)], date(2026, 3, 10))
    assert [(e.kind, e.due, e.amount_due, e.status) for e in st.entries] == [
        # a deposit that names no date is due after the net days (no deposit_days here),
        # never after the balance: both on 22 March
        ("deposit", date(2026, 3, 22), 0, "paid"),
        ("balance", date(2026, 3, 22), 75000, "open"),
    ]
    assert st.status == "partially_paid"
    st = statement(inv, REFERENCE, [], date(2026, 3, 23))
    assert (st.entries[0].late_fees, st.entries[0].amount_due) == (750, 25750)
    assert st.status == "overdue"


def test_deposit_and_instalments() -> None:
    plan = [{"due": "2026-04-01", "percent": "50"}, {"due": "2026-05-01", "percent": "50"}]
    st = statement(
        invoice(deposit={"amount": "200.00"}, instalments=plan), NO_FEES, [], date(2026, 3, 1)
    )
    assert [(e.n, e.kind, e.amount) for e in st.entries] == [
        (1, "deposit", 20000),
        (2, "instalment", 40000),
        (3, "instalment", 40000),
    ]
    assert st.amount_due == 100000


# --- overpayment, refunds, dates ------------------------------------------------


def test_overpayment_shows_as_a_zero_balance_and_a_credit() -> None:
    st = statement(invoice(), REFERENCE, [pay(date(2026, 3, 10), 120000)], date(2026, 3, 11))
    assert (st.paid, st.balance, st.overpaid, st.amount_due, st.status) == (
        120000,
        0,
        20000,
        0,
        "paid",
    )
    assert st.entries[0].paid == 100000


def test_a_disputed_payment_marks_the_invoice_disputed_until_settled() -> None:
    disputed = replace(pay(date(2026, 3, 10), 60000), disputed=True)
    st = statement(invoice(), REFERENCE, [disputed], date(2026, 4, 20))
    assert st.status == "disputed" and st.amount_due > 0  # the figures stay true
    void = statement(invoice(status="void"), REFERENCE, [disputed], date(2026, 4, 20))
    assert void.status == "void"


def test_a_refund_reopens_the_balance() -> None:
    st = statement(
        invoice(), REFERENCE, [pay(date(2026, 3, 10), 100000, refunded=100000)], date(2026, 3, 20)
    )
    assert (st.paid, st.refunded, st.balance, st.status) == (0, 100000, 100000, "open")
    st = statement(
        invoice(), REFERENCE, [pay(date(2026, 3, 10), 100000, refunded=100000)], date(2026, 3, 23)
    )
    assert (st.late_fees, st.amount_due, st.status) == (3000, 103000, "overdue")


def test_a_partial_refund_leaves_part_paid() -> None:
    st = statement(
        invoice(), NO_FEES, [pay(date(2026, 3, 10), 100000, refunded=30000)], date(2026, 3, 20)
    )
    assert (st.paid, st.refunded, st.balance, st.status) == (70000, 30000, 30000, "partially_paid")


def test_a_refund_larger_than_the_payment_counts_as_nothing_paid() -> None:
    st = statement(
        invoice(), NO_FEES, [pay(date(2026, 3, 10), 10000, refunded=20000)], date(2026, 3, 20)
    )
    assert (st.paid, st.refunded, st.balance) == (0, 10000, 100000)


def test_payments_after_today_are_ignored() -> None:
    payments = [pay(date(2026, 3, 10), 40000), pay(date(2026, 3, 25), 63000)]
    st = statement(invoice(), REFERENCE, payments, date(2026, 3, 20))
    assert (st.paid, st.balance, st.status) == (40000, 60000, "partially_paid")
    st = statement(invoice(), REFERENCE, payments, date(2026, 3, 25))
    assert (st.paid, st.late_fees, st.balance, st.status) == (103000, 3000, 0, "paid")


# --- statuses -------------------------------------------------------------------


def test_open_then_overdue_without_payments() -> None:
    assert statement(invoice(), NO_FEES, [], date(2026, 3, 22)).status == "open"
    st = statement(invoice(), NO_FEES, [], date(2026, 3, 30))
    assert (st.status, st.days_overdue, st.amount_due) == ("overdue", 8, 100000)


def test_a_zero_total_invoice_is_paid() -> None:
    st = statement(invoice("0.00"), REFERENCE, [], date(2026, 5, 1))
    assert (st.status, st.balance, st.amount_due, st.days_overdue, st.late_fees) == (
        "paid",
        0,
        0,
        0,
        0,
    )


def test_a_void_invoice_owes_nothing_and_credits_any_payment() -> None:
    st = statement(
        invoice(status="void"), REFERENCE, [pay(date(2026, 3, 5), 10000)], date(2026, 6, 1)
    )
    assert (st.status, st.balance, st.amount_due, st.late_fees, st.days_overdue) == (
        "void",
        0,
        0,
        0,
        0,
    )
    assert (st.paid, st.overpaid) == (10000, 10000)
    assert [e.status for e in st.entries] == ["void"]


def test_a_draft_never_accrues_fees() -> None:
    st = statement(invoice(status="draft"), REFERENCE, [], date(2026, 6, 1))
    assert (st.status, st.late_fees, st.days_overdue, st.balance) == ("draft", 0, 0, 100000)
    assert st.entries[0].status == "draft"


def test_statement_carries_the_invoice_identity_and_totals() -> None:
    st = statement(invoice(), NO_FEES, [], date(2026, 3, 2))
    assert (st.number, st.currency, st.issued) == ("INV-1", "USD", date(2026, 3, 1))
    assert st.totals.total == 100000
    assert st.discount_deadline is None
