"""The early-payment discount: offered, taken, expired, and never on plans."""

from __future__ import annotations

from datetime import date

from site_builder.billing import (
    discount_amount,
    discount_deadline,
    resolve_terms,
    statement,
)
from site_builder.model import Terms
from tests.unit.factories import invoice, pay

TERMS = resolve_terms(
    Terms.model_validate({"net_days": 30, "early_discount": {"percent": "2", "within_days": 10}})
)

DEADLINE = date(2026, 3, 11)


def test_deadline_is_issue_date_plus_within_days() -> None:
    assert discount_deadline(date(2026, 3, 1), TERMS) == DEADLINE
    assert discount_deadline(date(2026, 3, 1), resolve_terms()) is None


def test_discount_amount_rounds_half_up() -> None:
    assert discount_amount(10025, TERMS) == 201  # 2% of 100.25 = 2.005
    assert discount_amount(10025, resolve_terms()) == 0


def test_offered_until_the_deadline() -> None:
    for today in (date(2026, 3, 1), DEADLINE):
        st = statement(invoice(), TERMS, [], today)
        assert st.discount_deadline == DEADLINE
        assert st.discount_offered == 2000
        assert st.discount == 0
        assert st.balance == 100000
        assert st.amount_due == 98000
        assert st.entries[0].amount_due == 98000
        assert st.status == "open"


def test_offered_discount_applies_to_what_is_left_after_a_part_payment() -> None:
    st = statement(invoice(), TERMS, [pay(date(2026, 3, 5), 50000)], date(2026, 3, 6))
    assert (st.discount_offered, st.balance, st.amount_due) == (2000, 50000, 48000)
    assert st.status == "partially_paid"


def test_taken_when_paid_in_full_by_the_deadline() -> None:
    payments = [pay(date(2026, 3, 5), 50000), pay(DEADLINE, 48000)]
    for today in (DEADLINE, date(2026, 6, 1)):
        st = statement(invoice(), TERMS, payments, today)
        assert st.discount == 2000
        assert st.discount_offered == 0
        assert (st.paid, st.balance, st.amount_due, st.overpaid) == (98000, 0, 0, 0)
        assert st.status == "paid"
        assert st.entries[0].discount == 2000
        assert st.entries[0].status == "paid"


def test_paying_the_full_price_early_still_takes_the_discount_and_credits_the_rest() -> None:
    st = statement(invoice(), TERMS, [pay(date(2026, 3, 2), 100000)], date(2026, 3, 3))
    assert (st.discount, st.balance, st.overpaid, st.status) == (2000, 0, 2000, "paid")


def test_expired_after_the_deadline() -> None:
    st = statement(invoice(), TERMS, [], date(2026, 3, 12))
    assert (st.discount, st.discount_offered, st.amount_due) == (0, 0, 100000)
    st = statement(invoice(), TERMS, [pay(date(2026, 3, 12), 98000)], date(2026, 3, 12))
    assert (st.discount, st.balance, st.amount_due, st.status) == (0, 2000, 2000, "partially_paid")


def test_not_offered_on_instalment_plans() -> None:
    plan = [{"due": "2026-03-31", "percent": "50"}, {"due": "2026-04-30", "percent": "50"}]
    st = statement(invoice(instalments=plan), TERMS, [], date(2026, 3, 2))
    assert (st.discount_deadline, st.discount_offered, st.amount_due) == (None, 0, 100000)
    st = statement(
        invoice(instalments=plan), TERMS, [pay(date(2026, 3, 2), 98000)], date(2026, 3, 2)
    )
    assert (st.discount, st.balance) == (0, 2000)


def test_not_offered_with_a_deposit() -> None:
    st = statement(invoice(deposit={"percent": "20"}), TERMS, [], date(2026, 3, 2))
    assert (st.discount_deadline, st.discount_offered) == (None, 0)


def test_not_offered_on_void_or_draft_invoices() -> None:
    for status in ("void", "draft"):
        st = statement(invoice(status=status), TERMS, [], date(2026, 3, 2))
        assert st.discount_offered == 0


def test_jpy_discount_rounds_to_whole_yen() -> None:
    st = statement(invoice("1025", currency="JPY"), TERMS, [], date(2026, 3, 2))
    assert (st.discount_offered, st.amount_due) == (21, 1004)  # 2% of 1,025 = 20.5
