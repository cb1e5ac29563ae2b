"""The timeline: on every day of every period, the statement gives exactly the period's amount.

This is what lets a static page show a schedule of amounts instead of "amount due today", and
change only on the days the timeline names.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.billing import BillingError, PaymentRecord, resolve_terms, statement
from site_builder.billing.timeline import MAX_PERIODS, amount_on, shown, timeline
from site_builder.model import Invoice, LateFeePolicy
from tests.unit.factories import invoice, pay
from tests.unit.test_billing_properties import (
    ISSUED,
    days,
    invoices,
    payment_lists,
    policies,
    terms_with,
)


@settings(max_examples=80, deadline=None)
@given(invoices(), st.one_of(st.none(), policies), st.booleans(), payment_lists(), days)
def test_every_day_of_a_period_owes_the_periods_amount(
    inv: Invoice,
    policy: LateFeePolicy | None,
    discount: bool,
    pays: list[PaymentRecord],
    offset: int,
) -> None:
    today = ISSUED + timedelta(days=offset)
    terms = resolve_terms(terms_with(policy, discount))
    known = [p for p in pays if p.date <= today]  # a page knows the payments made so far
    try:
        found = timeline(inv, terms, known, today)
    except BillingError:
        return
    assert found.invoice[0].start == today and len(found.invoice) <= MAX_PERIODS
    last = found.invoice[-1].end or found.invoice[-1].start + timedelta(days=40)
    day = today
    while day <= min(last, today + timedelta(days=200)):
        st_ = statement(inv, terms, known, day)
        assert amount_on(found.invoice, day) == st_.amount_due, day
        for e in st_.entries:
            assert amount_on(found.entries[e.n], day) == e.amount_due, (day, e.n)
        day += timedelta(days=1)
    if found.next_change is not None:
        first = shown(statement(inv, terms, known, today))
        for d in range((found.next_change - today).days):  # a page built today stays true
            assert shown(statement(inv, terms, known, today + timedelta(days=d))) == first
        differs = shown(statement(inv, terms, known, found.next_change)) != first
        # or the horizon, past which monthly interest is looked at again
        assert differs or (policy is not None and policy.monthly_interest is not None)
    else:  # nothing the page shows changes again
        for d in range(0, 400, 29):
            assert shown(statement(inv, terms, known, today + timedelta(days=d))) == shown(
                statement(inv, terms, known, today)
            )


def test_the_reference_rule_as_periods() -> None:
    """Net 21, 2% off within 10 days, +3% on day 22, +3% of the balance on day 42."""
    policy = {
        "steps": [
            {"days_overdue": 1, "percent": "3", "of": "total"},
            {"days_overdue": 21, "percent": "3", "of": "balance"},
        ]
    }
    terms = resolve_terms(terms_with(LateFeePolicy.model_validate(policy), discount=True))
    found = timeline(invoice(), terms, [], date(2026, 3, 1))
    shown = [(p.start, p.end, p.amount_due, p.status) for p in found.invoice]
    assert shown == [
        (date(2026, 3, 1), date(2026, 3, 11), 98000, "open"),  # 2% off until the 11th
        (date(2026, 3, 12), date(2026, 3, 22), 100000, "open"),  # due on the 22nd
        (date(2026, 3, 23), date(2026, 4, 11), 103000, "overdue"),  # +3% of the total
        (date(2026, 4, 12), None, 106090, "overdue"),  # +3% of the balance
    ]
    assert found.next_change == date(2026, 3, 12)


def test_a_paid_invoice_has_one_period_and_no_change() -> None:
    terms = resolve_terms(terms_with(None, discount=False))
    found = timeline(invoice(), terms, [pay(date(2026, 3, 5), 100000)], date(2026, 3, 6))
    assert [(p.amount_due, p.status, p.end) for p in found.invoice] == [(0, "paid", None)]
    assert found.next_change is None


def test_a_plans_periods_stay_true_past_seven_changes_of_its_entries() -> None:
    """Found by the property test: entries changing often stop the look-ahead before the
    invoice's own periods are all known; its last one then ends where the looking stopped."""
    inv = invoice(
        "50.00",
        deposit={"percent": "0.01"},
        instalments=[
            {"due": "2026-03-31", "percent": "0.01"},
            {"due": "2026-04-30", "percent": "0.03"},
            {"due": "2026-05-30", "percent": "99.96"},
        ],
    )
    policy = LateFeePolicy.model_validate({"flat": "1", "grace_days": 1})  # a fee a day late
    terms = resolve_terms(terms_with(policy, discount=False))
    found = timeline(inv, terms, [], ISSUED)
    day = ISSUED
    while day <= (found.invoice[-1].end or ISSUED + timedelta(days=150)):
        assert amount_on(found.invoice, day) == statement(inv, terms, [], day).amount_due, day
        day += timedelta(days=1)
