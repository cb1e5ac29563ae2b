"""Automatic payments' rules: the merged policy, and each part's charge day and amount.

The amount of a charge must be what /checkout asks for on that day; these tests check it
against the page's own reading of the rules (the timeline's periods) and the statement.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from site_builder.billing import statement
from site_builder.billing.autopay import (
    AutopayPolicy,
    Charge,
    amount_due_on,
    attempt_days,
    autopay_policy,
    planned_charges,
    promised_until,
)
from site_builder.billing.timeline import amount_on
from site_builder.bundle import Account, ClientBundle, accounts
from site_builder.model import Agency, Client, Invoice, Payment

ISSUED = date(2026, 3, 1)
DUE = date(2026, 3, 31)  # net 30
ON = AutopayPolicy(mode="allowed", when="due", notice_days=3, retry_days=(3, 7))
ON_ISSUE = AutopayPolicy(mode="allowed", when="issue", notice_days=3, retry_days=(3, 7))
OFF = AutopayPolicy(mode="off", when="due", notice_days=3, retry_days=(3, 7))


def agency(**fields: Any) -> Agency:
    return Agency.model_validate(
        {
            "name": "Studio",
            "email": "billing@studio.example",
            "address": ["1 Road"],
            "portal_url": "https://portal.example",
            "api_url": "https://api.example",
            "terms": {
                "net_days": 30,
                "early_discount": {"percent": "2", "within_days": 10},
                "late_fee": {"steps": [{"days_overdue": 1, "percent": "3"}]},
            },
            **fields,
        }
    )


def client(**fields: Any) -> Client:
    return Client.model_validate(
        {
            "id": "acme",
            "name": "Acme",
            "contacts": [{"name": "Ann", "email": "ann@acme.example"}],
            **fields,
        }
    )


def invoice(number: str = "INV-1", **fields: Any) -> Invoice:
    data = {
        "number": number,
        "client": "acme",
        "issued": ISSUED.isoformat(),
        "currency": "USD",
        "items": [{"description": "Work", "unit_price": "1000.00"}],
        **fields,
    }
    return Invoice.model_validate(data)


def payment(day: date, amount: str, number: str = "INV-1", **fields: Any) -> Payment:
    return Payment.model_validate(
        {
            "id": f"p-{number}-{day}-{amount}",
            "invoice": number,
            "amount": amount,
            "currency": "USD",
            "date": day.isoformat(),
            "method": "card",
            **fields,
        }
    )


def account_of(
    today: date, *invoices: Invoice, payments: tuple[Payment, ...] = (), number: str = "INV-1"
) -> Account:
    bundle = ClientBundle(
        agency=agency(),
        client=client(),
        invoices=list(invoices) or [invoice()],
        payments=list(payments),
        notes=[],
    )
    return next(a for a in accounts(bundle, today) if a.invoice.number == number)


def checkout_figure(account: Account, charge: Charge) -> int:
    """What /checkout (functions/checkout.py) asks on the charge day: st.amount_due, or the
    entry's amount_due for an instalment."""
    st = statement(
        account.invoice, account.terms, account.payments, charge.day, account.statement.credit_uses
    )
    if charge.instalment is None:
        return st.amount_due
    return next(e.amount_due for e in st.entries if e.n == charge.instalment)


def page_figure(account: Account, charge: Charge) -> int | None:
    """What the page's amounts-by-period (the timeline) say for the charge day."""
    timeline = account.timeline
    periods = timeline.invoice if charge.instalment is None else timeline.entries[charge.instalment]
    return amount_on(periods, charge.day)


# --- the policy ----------------------------------------------------------------------------


def test_a_client_overrides_only_the_fields_it_writes() -> None:
    studio = agency(autopay={"mode": "allowed", "notice_days": 5, "retry_days": [2, 4, 6]})
    policy = autopay_policy(studio, client(autopay={"mode": "required"}))
    assert policy == AutopayPolicy("required", "due", 5, (2, 4, 6))
    assert autopay_policy(studio, client()) == AutopayPolicy("allowed", "due", 5, (2, 4, 6))
    turned_off = autopay_policy(studio, client(autopay={"mode": "off"}))
    assert turned_off.mode == "off" and not turned_off.offered


def test_nothing_written_anywhere_is_off_with_the_documented_defaults() -> None:
    assert autopay_policy(agency(), client()) == AutopayPolicy("off", "due", 3, (3, 7))


def test_a_client_can_ask_for_it_where_the_agency_says_nothing() -> None:
    policy = autopay_policy(agency(), client(autopay={"mode": "required", "when": "issue"}))
    assert policy == AutopayPolicy("required", "issue", 3, (3, 7))


def test_the_merge_survives_the_snapshot_round_trip() -> None:
    bundle = ClientBundle(
        agency=agency(autopay={"mode": "allowed", "notice_days": 5}),
        client=client(autopay={"when": "issue"}),
        invoices=[invoice()],
        payments=[],
        notes=[],
    )
    again = ClientBundle.model_validate_json(bundle.model_dump_json(exclude_unset=True))
    assert autopay_policy(again.agency, again.client) == AutopayPolicy(
        "allowed", "issue", 5, (3, 7)
    )


def test_yamls_bare_off_is_the_word_off() -> None:
    # YAML 1.1 reads `mode: off` as false; the agency wrote the word
    assert agency(autopay={"mode": False}).autopay.mode == "off"


# --- charge days and amounts ------------------------------------------------------------------


def test_a_plain_invoice_is_charged_on_its_due_day_at_that_days_figure() -> None:
    account = account_of(ISSUED)
    (charge,) = planned_charges(account, ON)
    # the discount (2% within 10 days) is over by the due day: the full amount
    assert charge == Charge("INV-1", None, DUE, 100000, "USD")
    assert charge.amount == checkout_figure(account, charge) == page_figure(account, charge)


def test_when_issue_charges_on_the_issue_day_with_the_discount_on_offer_that_day() -> None:
    account = account_of(ISSUED)
    (charge,) = planned_charges(account, ON_ISSUE)
    assert charge == Charge("INV-1", None, ISSUED, 98000, "USD")
    assert charge.amount == checkout_figure(account, charge) == page_figure(account, charge)


def test_a_deposit_and_each_instalment_are_charged_on_their_own_days() -> None:
    plan = invoice(
        deposit={"percent": "20", "due": "2026-03-08"},
        instalments=[
            {"percent": "50", "due": "2026-04-01"},
            {"percent": "50", "due": "2026-05-01"},
        ],
    )
    account = account_of(ISSUED, plan)
    charges = planned_charges(account, ON)
    assert charges == [
        Charge("INV-1", 1, date(2026, 3, 8), 20000, "USD"),
        Charge("INV-1", 2, date(2026, 4, 1), 40000, "USD"),
        Charge("INV-1", 3, date(2026, 5, 1), 40000, "USD"),
    ]
    for charge in charges:
        assert charge.amount == checkout_figure(account, charge) == page_figure(account, charge)
    # when: issue leaves a plan's parts on their own days: they are credit agreed part by part
    assert planned_charges(account, ON_ISSUE) == charges


def test_a_paid_part_of_a_plan_is_not_charged_again() -> None:
    plan = invoice(
        deposit={"percent": "20", "due": "2026-03-08"},
        instalments=[
            {"percent": "50", "due": "2026-04-01"},
            {"percent": "50", "due": "2026-05-01"},
        ],
    )
    account = account_of(
        date(2026, 3, 10), plan, payments=(payment(date(2026, 3, 8), "200.00", instalment=1),)
    )
    assert [(c.instalment, c.amount) for c in planned_charges(account, ON)] == [
        (2, 40000),
        (3, 40000),
    ]


def test_a_partial_payment_leaves_the_rest_to_charge() -> None:
    account = account_of(date(2026, 3, 20), payments=(payment(date(2026, 3, 5), "400.00"),))
    (charge,) = planned_charges(account, ON)
    assert (charge.day, charge.amount) == (DUE, 60000)
    assert charge.amount == checkout_figure(account, charge) == page_figure(account, charge)


def test_credit_applied_from_another_invoice_lowers_the_charge() -> None:
    overpaid = invoice("INV-0")
    credited = invoice("INV-1")
    payments = (
        payment(date(2026, 3, 2), "1300.00", number="INV-0"),
        payment(date(2026, 3, 3), "300.00", number="INV-1", method="credit", **{"from": "INV-0"}),
    )
    account = account_of(date(2026, 3, 5), overpaid, credited, payments=payments)
    (charge,) = planned_charges(account, ON)
    assert (charge.day, charge.amount) == (DUE, 70000)
    source = account_of(date(2026, 3, 5), overpaid, credited, payments=payments, number="INV-0")
    assert planned_charges(source, ON) == []  # paid (and in credit): nothing to charge


def test_a_retry_after_the_due_day_costs_that_days_figure_late_fees_included() -> None:
    retry = attempt_days(DUE, ON)[1]
    assert retry == DUE + timedelta(days=3)
    account = account_of(retry)
    (charge,) = planned_charges(account, ON)
    # the first attempt's day is kept (the job counts attempts from it); the amount is the
    # retry day's: the 3% fee from the first day overdue
    assert (charge.day, charge.amount) == (DUE, 103000)
    assert amount_due_on(account, None, retry) == 103000
    assert (
        charge.amount
        == statement(account.invoice, account.terms, account.payments, retry).amount_due
    )


def test_a_retry_of_an_instalment_is_priced_for_that_instalment() -> None:
    plan = invoice(
        instalments=[
            {"percent": "50", "due": "2026-04-01"},
            {"percent": "50", "due": "2026-05-01"},
        ],
    )
    account = account_of(date(2026, 4, 4), plan)
    charges = planned_charges(account, ON)
    assert [(c.instalment, c.day, c.amount) for c in charges] == [
        (1, date(2026, 4, 1), 51500),  # 500.00 + 3% late fee, priced on 4 April
        (2, date(2026, 5, 1), 50000),
    ]


@pytest.mark.parametrize(
    ("fields", "payments"),
    [
        ({"status": "void"}, ()),
        ({"status": "draft"}, ()),
        ({}, (payment(date(2026, 3, 5), "1000.00"),)),  # paid
        ({}, (payment(date(2026, 3, 5), "500.00", disputed=True),)),  # disputed
        ({}, (payment(date(2026, 3, 5), "1000.00", processing=True),)),  # a debit settling
    ],
    ids=["void", "draft", "paid", "disputed", "processing"],
)
def test_nothing_is_planned_for_a_settled_invoice(
    fields: dict[str, Any], payments: tuple[Payment, ...]
) -> None:
    account = account_of(date(2026, 3, 10), invoice(**fields), payments=payments)
    assert planned_charges(account, ON) == []
    assert planned_charges(account, ON_ISSUE) == []


def test_nothing_is_planned_when_automatic_payments_are_off() -> None:
    assert planned_charges(account_of(ISSUED), OFF) == []


def test_a_future_dated_invoice_is_planned_from_its_issue_day() -> None:
    later = invoice(issued="2026-04-01")
    bundle = ClientBundle(agency=agency(), client=client(), invoices=[later], payments=[], notes=[])
    assert accounts(bundle, date(2026, 3, 15)) == []  # not issued: no account, no charge
    (account,) = accounts(bundle, date(2026, 4, 1))
    assert planned_charges(account, ON_ISSUE) == [
        Charge("INV-1", None, date(2026, 4, 1), 98000, "USD")
    ]
    assert planned_charges(account, ON) == [Charge("INV-1", None, date(2026, 5, 1), 100000, "USD")]


def test_the_pages_stop_promising_a_charge_the_day_after_its_day() -> None:
    # on the issue day the page says "charged today"; from the next day it says nothing more
    assert promised_until([account_of(ISSUED)], ON_ISSUE) == ISSUED + timedelta(days=1)
    assert promised_until([account_of(ISSUED + timedelta(days=1))], ON_ISSUE) is None
    # charged on the due day: the earliest due day of the client's invoices, then the day after
    later = invoice("INV-2", due=(DUE + timedelta(days=10)).isoformat())
    both = [account_of(ISSUED, invoice(), later, number=n) for n in ("INV-1", "INV-2")]
    assert promised_until(both, ON) == DUE + timedelta(days=1)
    assert promised_until(both, OFF) is None


def test_attempt_days_are_the_first_then_each_retry_after_it() -> None:
    assert attempt_days(DUE, ON) == [DUE, date(2026, 4, 3), date(2026, 4, 7)]
    assert attempt_days(DUE, AutopayPolicy("allowed", "due", 3, ())) == [DUE]
