"""A client's credit: overpayments, their refunds, and credit applied to other invoices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from site_builder.billing import CreditUse, resolve_terms, statement
from site_builder.billing.credit import credit_balances
from site_builder.bundle import ClientBundle, accounts
from site_builder.credits import CreditProblem, credit_problems
from site_builder.model import Agency, Client, Invoice, Payment
from site_builder.money import to_minor
from tests.unit.factories import invoice, pay

ISSUED = date(2026, 3, 1)
TERMS = resolve_terms(Agency.model_fields["terms"].default, None, None)  # Net 30, no fees


def test_an_overpayment_is_credit_and_a_refund_of_it_is_not() -> None:
    inv = invoice("1200.00")
    over = statement(inv, TERMS, [pay(date(2026, 3, 10), 132000)], date(2026, 4, 1))
    assert (over.status, over.balance, over.overpaid, over.credit) == ("paid", 0, 12000, 12000)
    # the agency sent the 120.00 back: recorded on the payment that overpaid
    back = statement(inv, TERMS, [pay(date(2026, 3, 10), 132000, 12000)], date(2026, 4, 1))
    assert (back.status, back.overpaid, back.credit, back.refunded) == ("paid", 0, 0, 12000)
    # half of it sent back: the other half is still the client's
    half = statement(inv, TERMS, [pay(date(2026, 3, 10), 132000, 6000)], date(2026, 4, 1))
    assert half.credit == 6000


def test_credit_applied_elsewhere_leaves_the_invoice_on_its_day() -> None:
    inv = invoice("1200.00")
    paid = [pay(date(2026, 3, 10), 132000)]
    use = CreditUse("c-1", date(2026, 4, 5), 10000, "INV-2")
    before = statement(inv, TERMS, paid, date(2026, 4, 4), [use])
    on_the_day = statement(inv, TERMS, paid, date(2026, 4, 5), [use])
    assert (before.credit, before.credit_applied, before.credit_uses) == (12000, 0, ())
    assert (on_the_day.credit, on_the_day.credit_applied) == (2000, 10000)
    assert on_the_day.credit_uses == (use,)
    assert on_the_day.overpaid == 12000 and on_the_day.paid == 132000  # what was paid stays


def test_a_void_invoice_paid_is_all_credit() -> None:
    voided = statement(
        invoice("500.00", status="void"), TERMS, [pay(date(2026, 3, 2), 50000)], date(2026, 3, 3)
    )
    assert (voided.status, voided.credit) == ("void", 50000)


# --- a client's invoices, with credit applied between them ------------------------------

AGENCY = Agency.model_validate(
    {
        "name": "Studio",
        "email": "billing@studio.example",
        "address": ["1 Road"],
        "portal_url": "https://portal.studio.example",
        "api_url": "https://api.studio.example",
        "terms": {
            "net_days": 30,
            "late_fee": {"steps": [{"days_overdue": 1, "percent": "3"}]},
        },
    }
)
CLIENT = Client.model_validate(
    {"id": "acme", "name": "Acme", "contacts": [{"name": "A", "email": "a@acme.example"}]}
)


def _invoice(number: str, price: str, currency: str = "USD", **fields: Any) -> Invoice:
    return invoice(price, number=number, currency=currency, **fields)


def _payment(pid: str, number: str, amount: str, day: date, **fields: Any) -> Payment:
    data = {"id": pid, "invoice": number, "amount": amount, "currency": "USD", "date": day}
    return Payment.model_validate({**data, **fields})


def _credit(pid: str, source: str, target: str, amount: str, day: date, **more: Any) -> Payment:
    return _payment(pid, target, amount, day, method="credit", **{"from": source, **more})


def bundle(invoices: list[Invoice], payments: list[Payment]) -> ClientBundle:
    return ClientBundle(
        agency=AGENCY, client=CLIENT, invoices=invoices, payments=payments, notes=[]
    )


A, B, C = _invoice("INV-A", "1200.00"), _invoice("INV-B", "300.00"), _invoice("INV-C", "50.00")
OVERPAID = _payment("p-a", "INV-A", "1320.00", date(2026, 3, 10))  # 120.00 over


def test_credit_applied_pays_the_other_invoice_and_leaves_the_first() -> None:
    applied = _credit("c-1", "INV-A", "INV-B", "100.00", date(2026, 3, 20))
    found = {
        a.invoice.number: a.statement
        for a in accounts(bundle([A, B], [OVERPAID, applied]), date(2026, 3, 21))
    }
    assert (found["INV-A"].credit, found["INV-A"].credit_applied) == (2000, 10000)
    assert (found["INV-B"].paid, found["INV-B"].balance, found["INV-B"].status) == (
        10000,
        20000,
        "partially_paid",
    )
    (balance,) = credit_balances(found.values())
    assert (balance.currency, balance.amount, balance.invoices) == ("USD", 2000, ("INV-A",))
    # the day before it was applied, all of it was still credit and B owed everything
    earlier = {
        a.invoice.number: a.statement
        for a in accounts(bundle([A, B], [OVERPAID, applied]), date(2026, 3, 19))
    }
    assert earlier["INV-A"].credit == 12000 and earlier["INV-B"].paid == 0


def test_credit_balances_are_per_currency() -> None:
    eur = _invoice("INV-E", "10.00", currency="EUR")
    paid_eur = _payment("p-e", "INV-E", "15.00", date(2026, 3, 2), currency="EUR")
    figures = accounts(bundle([A, eur], [OVERPAID, paid_eur]), date(2026, 4, 1))
    found = [(b.currency, b.amount) for b in credit_balances(a.statement for a in figures)]
    assert found == [("EUR", 500), ("USD", 12000)]


def problems(invoices: list[Invoice], payments: list[Payment]) -> list[tuple[str, str]]:
    found = credit_problems(bundle(invoices, payments), {i.number: i for i in invoices})
    return [(p.field, p.message) for p in found]


def test_credit_cannot_be_applied_beyond_what_is_left_on_its_day() -> None:
    first = _credit("c-1", "INV-A", "INV-B", "100.00", date(2026, 3, 20))
    second = _credit("c-2", "INV-A", "INV-C", "30.00", date(2026, 3, 21))
    assert problems([A, B, C], [OVERPAID, first]) == []
    ((field, message),) = problems([A, B, C], [OVERPAID, first, second])
    assert field == "amount"
    assert message == "more than the credit on invoice INV-A on 2026-03-21: 20.00 USD left to apply"
    # before the overpayment arrived there was no credit to apply
    early = _credit("c-0", "INV-A", "INV-B", "10.00", date(2026, 3, 9))
    assert problems([A, B], [OVERPAID, early])[0][1].startswith(
        "more than the credit on invoice INV-A on 2026-03-09: 0.00 USD left"
    )


def test_a_refund_of_the_overpayment_leaves_no_credit_to_apply() -> None:
    refunded = _payment("p-a", "INV-A", "1320.00", date(2026, 3, 10), refunded="120.00")
    applied = _credit("c-1", "INV-A", "INV-B", "50.00", date(2026, 3, 20))
    assert problems([A, B], [refunded, applied]) == [
        ("amount", "more than the credit on invoice INV-A on 2026-03-20: 0.00 USD left to apply")
    ]


def test_credit_pays_what_the_invoice_owes_and_no_more() -> None:
    applied = _credit("c-1", "INV-A", "INV-C", "60.00", date(2026, 3, 20))
    assert problems([A, C], [OVERPAID, applied]) == [
        ("amount", "more than invoice INV-C owes on 2026-03-20 (50.00 USD): the rest stays credit")
    ]


def test_what_a_credit_application_must_say() -> None:
    day = date(2026, 3, 20)
    eur = _invoice("INV-E", "10.00", currency="EUR")
    draft = _invoice("INV-D", "10.00", status="draft")
    void = _invoice("INV-V", "10.00", status="void")
    cases = [
        (_payment("x", "INV-B", "1.00", day, method="credit"), "from", "required with method"),
        (_payment("x", "INV-B", "1.00", day, **{"from": "INV-A"}), "method", "must be credit"),
        (_credit("x", "INV-B", "INV-B", "1.00", day), "from", "names the invoice it pays"),
        (_credit("x", "INV-Z", "INV-B", "1.00", day), "from", "no invoice 'INV-Z' of client acme"),
        (_credit("x", "INV-D", "INV-B", "1.00", day), "from", "invoice INV-D is a draft"),
        (_credit("x", "INV-E", "INV-B", "1.00", day), "from", "invoice INV-E is in EUR"),
        (_credit("x", "INV-A", "INV-V", "1.00", day), "invoice", "invoice INV-V is void"),
        (_credit("x", "INV-A", "INV-B", "0", day), "amount", "must be more than 0"),
        (_credit("x", "INV-A", "INV-B", "1.00", day, refunded="1.00"), "refunded", "delete"),
        (_credit("x", "INV-A", "INV-B", "1.00", day, processing=True), "processing", "never"),
        (_credit("x", "INV-A", "INV-B", "1.00", day, disputed=True), "disputed", "cannot"),
    ]
    for payment, field, words in cases:
        found = credit_problems(
            bundle([A, B, eur, void], [OVERPAID, payment]),
            {i.number: i for i in (A, B, eur, draft, void)},
        )
        assert [p.field for p in found] == [field], (payment, found)
        assert words in found[0].message, (payment, found)
        assert found[0] == CreditProblem("x", field, found[0].message)


# --- credit neither makes nor loses money ----------------------------------------------

NUMBERS = ["INV-A", "INV-B", "INV-C"]
PRICES = {"INV-A": "1200.00", "INV-B": "300.00", "INV-C": "50.00"}
overpaid = st.tuples(  # one payment beyond its invoice, so there is credit to move
    st.sampled_from(NUMBERS),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=1, max_value=100_000),  # minor units beyond the price
)
money_paid = st.tuples(
    st.sampled_from(NUMBERS),
    st.integers(min_value=0, max_value=90),  # days after issue (a 3% fee falls on day 31)
    st.integers(min_value=1, max_value=200_000),  # minor units
    st.integers(min_value=0, max_value=100),  # percent of it refunded
)
credit_moved = st.tuples(
    st.sampled_from([None, None, *NUMBERS]),  # None: from the invoice that was overpaid
    st.sampled_from(NUMBERS),
    st.integers(min_value=0, max_value=90),
    st.integers(min_value=1, max_value=6_000),  # small: most find credit to take
)


def _major(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


@given(overpaid, st.lists(money_paid, max_size=4), st.lists(credit_moved, max_size=4))
def test_credit_never_makes_or_loses_money(
    over: tuple[str, int, int],
    paid: list[tuple[str, int, int, int]],
    moved: list[tuple[str | None, str, int, int]],
) -> None:
    invoices = [_invoice(n, PRICES[n]) for n in NUMBERS]
    number, day, extra = over
    paid = [(number, day, to_minor(Decimal(PRICES[number]), "USD") + extra, 0), *paid]
    payments = [
        _payment(
            f"p{i}",
            number,
            _major(amount),
            ISSUED + timedelta(days=day),
            refunded=_major(amount * share // 100),
        )
        for i, (number, day, amount, share) in enumerate(paid)
    ]
    credits = [
        _credit(f"c{i}", source or number, target, _major(amount), ISSUED + timedelta(days=day))
        for i, (source, target, day, amount) in enumerate(moved)
    ]
    # keep only what the build would accept: drop what it refuses until it refuses nothing
    while found := {
        p.payment
        for p in credit_problems(
            bundle(invoices, [*payments, *credits]), {i.number: i for i in invoices}
        )
    }:
        credits = [c for c in credits if c.id not in found]

    figures = [
        a.statement for a in accounts(bundle(invoices, [*payments, *credits]), date(2026, 12, 31))
    ]
    received = sum(to_minor(p.amount, "USD") for p in payments)
    refunded = sum(to_minor(p.refunded, "USD") for p in payments)
    taken = sum(s.paid - s.overpaid for s in figures)  # what the invoices took, credit included
    credit = sum(s.credit for s in figures)
    assert received == taken + credit + refunded
    assert all(s.credit == s.overpaid - s.credit_applied for s in figures)  # never cut at 0
    assert sum(s.credit_applied for s in figures) == sum(to_minor(c.amount, "USD") for c in credits)
    assert sum(b.amount for b in credit_balances(figures)) == credit
