"""Plans and deposits: due dates, the terms text, the .ics, fee texts, no early discount."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from icalendar import Calendar
from pydantic import ValidationError

from site_builder.billing import BillingError, due_date, resolve_terms, statement
from site_builder.billing.terms import deposit_due_date
from site_builder.billing.timeline import amount_on, timeline
from site_builder.bundle import ClientBundle, accounts
from site_builder.formatting import format_money
from site_builder.i18n import UI_LOCALES
from site_builder.model import Agency, Client, Invoice, LateFeePolicy, Payment, Terms
from site_builder.render import Theme
from site_builder.views import client_pages
from site_builder.wording import late_fee_terms, payment_terms
from tests.unit.factories import invoice, pay

THEME = Theme()
ISSUED = date(2026, 3, 1)
PLAN = [
    {"due": "2026-03-31", "percent": "40"},
    {"due": "2026-04-30", "percent": "30"},
    {"due": "2026-05-31", "percent": "30"},
]
STUDIO = Terms.model_validate(
    {
        "net_days": 21,
        "deposit_days": 7,
        "late_fee": {
            "steps": [
                {"days_overdue": 1, "percent": "3", "of": "total"},
                {"days_overdue": 21, "percent": "3", "of": "balance"},
            ],
            "cap": {"percent": "10"},
        },
        "early_discount": {"percent": "2", "within_days": 10},
    }
)
TERMS = resolve_terms(STUDIO)


# --- due dates -------------------------------------------------------------------------


def test_a_plans_invoice_is_due_with_its_last_instalment_unless_written() -> None:
    assert due_date(invoice(instalments=PLAN), TERMS) == date(2026, 5, 31)
    assert due_date(invoice(instalments=PLAN, due="2026-06-15"), TERMS) == date(2026, 6, 15)
    assert due_date(invoice(), TERMS) == ISSUED + timedelta(days=21)  # no plan: the terms


def test_a_written_due_date_before_the_last_instalment_is_an_error() -> None:
    with pytest.raises(ValidationError) as raised:
        invoice(instalments=PLAN, due="2026-03-22")
    (error,) = raised.value.errors()
    assert error["loc"] == ("instalments",)
    assert "2026-05-31" in error["msg"] and "leave due out" in error["msg"]


def test_a_plan_is_not_overdue_while_its_instalments_are_kept() -> None:
    inv = invoice(instalments=PLAN)
    paid_first = [pay(date(2026, 3, 30), 40000)]
    st = statement(inv, TERMS, paid_first, date(2026, 4, 15))  # past issue + net 21
    assert st.status == "partially_paid" and st.days_overdue == 0 and st.late_fees == 0
    assert st.due == date(2026, 5, 31)


def test_a_deposit_is_due_after_the_deposit_days_not_on_the_issue_date() -> None:
    inv = invoice(deposit={"percent": "25"})
    assert deposit_due_date(inv, TERMS) == ISSUED + timedelta(days=7)
    st = statement(inv, TERMS, [], ISSUED + timedelta(days=1))  # the day after issue
    assert st.entries[0].kind == "deposit"
    assert (st.entries[0].status, st.entries[0].late_fees, st.status) == ("open", 0, "open")
    late = statement(inv, TERMS, [], ISSUED + timedelta(days=8))
    assert late.entries[0].status == "overdue" and late.entries[0].late_fees == 750  # 3%


def test_a_deposit_without_deposit_days_is_due_after_the_net_days_and_never_after_the_invoice() -> (
    None
):
    no_grace = resolve_terms(Terms.model_validate({"net_days": 21}))
    assert deposit_due_date(invoice(deposit={"percent": "25"}), no_grace) == date(2026, 3, 22)
    long_grace = resolve_terms(Terms.model_validate({"net_days": 21, "deposit_days": 60}))
    assert deposit_due_date(invoice(deposit={"percent": "25"}), long_grace) == date(2026, 3, 22)
    own = invoice(deposit={"percent": "25", "due": "2026-03-03"})
    assert deposit_due_date(own, TERMS) == date(2026, 3, 3)


# --- what the page says ----------------------------------------------------------------


def test_the_terms_text_of_a_plan_names_its_parts_and_its_last_date() -> None:
    inv = invoice(instalments=PLAN)
    st = statement(inv, TERMS, [], ISSUED)
    t = THEME.translations("en")
    text = payment_terms(t, "en", TERMS, ISSUED, st.due, "USD", st.discount_offered, st.entries)
    assert text[0] == (
        "Payment is due in 3 parts, as the payment plan sets out; the last is due May 31, 2026."
    )
    # the studio offers 2% for early payment; the plan does not get it, and says why
    assert "The early-payment discount of 2% is not offered" in text[1]
    assert st.discount_offered == 0 and st.discount_deadline is None


def test_a_plan_never_offers_the_early_discount_on_any_day_nor_in_any_part() -> None:
    for plan in ({"instalments": PLAN}, {"deposit": {"percent": "30"}}):
        inv = invoice(**plan)
        found = timeline(inv, TERMS, [], ISSUED)
        # the first days' figures are the undiscounted parts: nothing is 2% off
        for entry, periods in found.entries.items():
            full = statement(inv, TERMS, [], ISSUED).entries[entry - 1].amount
            assert periods[0].amount_due == full
        # paying a part early changes nothing about what it costs
        st = statement(inv, TERMS, [pay(ISSUED, 30000)], ISSUED)
        assert st.discount == 0 and st.discount_offered == 0


def test_a_single_payment_invoice_still_offers_its_discount() -> None:
    inv = invoice()
    st = statement(inv, TERMS, [], ISSUED)
    t = THEME.translations("en")
    text = payment_terms(t, "en", TERMS, ISSUED, st.due, "USD", st.discount_offered, st.entries)
    assert text[0].startswith("Payment is due within 21 days")
    assert text[1] == "Pay by March 11, 2026 and take 2% off: you save $20.00."


def test_fee_texts_say_what_the_percentage_is_of() -> None:
    t = THEME.translations("en")
    policy = TERMS.late_fee
    single = late_fee_terms(t, "en", policy, "USD")
    assert single[0].endswith("3% of the invoice total is added.")
    assert single[1].endswith("3% of the balance then outstanding is added.")
    assert single[2] == "Late fees never exceed 10% of the invoice total."
    plan = late_fee_terms(t, "en", policy, "USD", plan=True)
    assert plan[0] == (
        "If an instalment is unpaid 1 day after its due date, 3% of that instalment is added."
    )
    assert plan[1].endswith("3% of what is then outstanding on that instalment is added.")
    assert plan[2] == "Late fees on an instalment never exceed 10% of that instalment."
    flat = LateFeePolicy.model_validate({"flat": "25", "cap": {"amount": "40"}})
    assert late_fee_terms(t, "en", flat, "USD", plan=True) == [
        "A late fee of $25.00 is added to each instalment still unpaid 1 day after its due date.",
        "Late fees on an instalment never exceed $40.00.",
    ]


def test_the_plan_fee_text_is_what_the_rule_charges() -> None:
    # "3% of that instalment": the 40% instalment of 1,000.00 is charged 12.00, not 30.00
    inv = invoice(instalments=PLAN)
    st = statement(inv, TERMS, [], date(2026, 4, 1))
    first = st.entries[0]
    assert (first.amount, first.late_fees) == (40000, 1200)
    assert [e.late_fees for e in st.entries[1:]] == [0, 0]


@pytest.mark.parametrize("locale", [loc for loc in UI_LOCALES if loc != "en"])
def test_every_locale_has_the_plan_texts(locale: str) -> None:
    t, english = THEME.translations(locale), THEME.translations("en")
    policy = LateFeePolicy.model_validate(
        {
            "steps": [{"days_overdue": 5, "percent": "3", "of": "total"}],
            "flat": "25",
            "cap": {"percent": "10"},
        }
    )
    plan = late_fee_terms(t, locale, policy, "USD", plan=True)
    assert plan != late_fee_terms(t, locale, policy, "USD")
    assert not set(plan) & set(late_fee_terms(english, "en", policy, "USD", plan=True))
    inv = invoice(instalments=PLAN)
    st = statement(inv, TERMS, [], ISSUED)
    text = payment_terms(t, locale, TERMS, ISSUED, st.due, "USD", 0, st.entries)
    assert len(text) == 2 and all("%(" not in s and "part" not in s for s in text)


# --- the calendar ----------------------------------------------------------------------


def agency() -> Agency:
    return Agency.model_validate(
        {
            "name": "Northwind",
            "email": "billing@northwind.example",
            "address": ["1 Road"],
            "portal_url": "https://portal.example",
            "api_url": "https://api.example",
            "terms": STUDIO.model_dump(exclude_unset=True),
        }
    )


def calendar_of(inv: Invoice, today: date, payments: list | None = None) -> Calendar:
    client = Client.model_validate(
        {"id": "acme", "name": "Acme", "contacts": [{"name": "A", "email": "a@acme.example"}]}
    )
    bundle = ClientBundle(
        agency=agency(), client=client, invoices=[inv], payments=payments or [], notes=[]
    )
    figures = accounts(bundle, today)
    pages = client_pages(bundle, figures, "tok", "assets/x.css", THEME.translations("en"))
    (ics,) = [p for p in pages if p.path.endswith(".ics")]
    return Calendar.from_ical(ics.body)


def test_a_plans_calendar_has_an_event_per_part_with_its_own_amount() -> None:
    inv = invoice(instalments=PLAN)
    events = calendar_of(inv, ISSUED).walk("VEVENT")
    assert [e["dtstart"].dt for e in events] == [
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]
    assert [str(e["uid"]) for e in events] == [f"INV-1-{n}-due@portal.example" for n in (1, 2, 3)]
    periods = timeline(inv, TERMS, [], ISSUED).entries
    for n, event in enumerate(events, start=1):
        amount = amount_on(periods[n], event["dtstart"].dt)
        assert amount is not None
        assert str(event["summary"]) == (
            f"Invoice INV-1: Instalment {n} of 3 due — {format_money(amount, 'USD', 'en')}"
        )


def test_a_deposits_calendar_names_the_deposit_and_drops_a_part_once_paid() -> None:
    inv = invoice(deposit={"percent": "30"})
    events = calendar_of(inv, ISSUED).walk("VEVENT")
    assert [(e["dtstart"].dt, str(e["summary"])) for e in events] == [
        (date(2026, 3, 8), "Invoice INV-1: Deposit due — $300.00"),
        (date(2026, 3, 22), "Invoice INV-1: Balance due — $700.00"),  # named as on the page
    ]
    paid = Payment.model_validate(
        {
            "id": "p1",
            "invoice": "INV-1",
            "amount": "300.00",
            "currency": "USD",
            "date": "2026-03-02",
        }
    )
    events = calendar_of(inv, date(2026, 3, 2), [paid]).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == ["INV-1-2-due@portal.example"]


def test_a_single_invoices_calendar_is_as_before() -> None:
    (event,) = calendar_of(invoice(), ISSUED).walk("VEVENT")
    assert str(event["uid"]) == "INV-1-due@portal.example"
    assert event["dtstart"].dt == date(2026, 3, 22)


# --- amounts the currency cannot hold --------------------------------------------------


def test_a_bare_flat_fee_the_invoice_currency_cannot_hold_is_an_error() -> None:
    terms = resolve_terms(Terms.model_validate({"late_fee": {"flat": "25.50"}}))
    with pytest.raises(BillingError) as raised:
        statement(invoice("1000", currency="JPY"), terms, [], ISSUED)
    assert raised.value.field == "terms.late_fee.flat"
    assert statement(invoice(), terms, [], ISSUED).late_fees == 0  # fine in USD


@pytest.mark.parametrize(
    ("late_fee", "field"),
    [({"flat": {"JPY": "25.5"}}, "flat"), ({"cap": {"amount": {"USD": "10.005"}}}, "cap")],
)
def test_a_per_currency_figure_finer_than_its_currency_is_refused(
    late_fee: dict, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Terms.model_validate({"late_fee": late_fee})
    assert field in str(raised.value) and "decimal place" in str(raised.value)
    # each figure is checked against its own currency: 25.5 is fine in dollars
    fine = Terms.model_validate({"late_fee": {"flat": {"USD": "25.5", "JPY": "25"}}})
    assert fine.late_fee is not None and fine.late_fee.flat == {
        "USD": Decimal("25.5"),
        "JPY": Decimal(25),
    }
