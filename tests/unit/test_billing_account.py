"""A client's statement of account: lines, running balance, currencies, aging, and its day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.billing.account import (
    AccountStatement,
    account_statement,
    next_statement_change,
    period_start,
    statement_day,
)
from site_builder.billing.aging import bucket
from site_builder.bundle import Account, ClientBundle, accounts
from site_builder.credits import credit_problems
from site_builder.model import Agency, Client, Invoice, Payment

AGENCY = Agency.model_validate(
    {
        "name": "Studio",
        "email": "billing@studio.example",
        "address": ["1 Road"],
        "portal_url": "https://portal.studio.example",
        "api_url": "https://api.studio.example",
        # Net 30; 3% of the total on day 31, 3% of the balance on day 51; 2% off within 10 days
        "terms": {
            "net_days": 30,
            "late_fee": {
                "steps": [
                    {"days_overdue": 1, "percent": "3"},
                    {"days_overdue": 21, "percent": "3", "of": "balance"},
                ]
            },
            "early_discount": {"percent": "2", "within_days": 10},
        },
    }
)
CLIENT = Client.model_validate(
    {"id": "acme", "name": "Acme", "contacts": [{"name": "A", "email": "a@acme.example"}]}
)


def _invoice(number: str, issued: date, price: str, currency: str = "USD", **more: Any) -> Invoice:
    data = {
        "number": number,
        "client": "acme",
        "issued": issued,
        "currency": currency,
        "items": [{"description": "Work", "quantity": "1", "unit_price": price}],
        **more,
    }
    return Invoice.model_validate(data)


def _payment(pid: str, number: str, amount: str, day: date, **more: Any) -> Payment:
    data = {"id": pid, "invoice": number, "amount": amount, "currency": "USD", "date": day}
    return Payment.model_validate({**data, **more})


def _accounts(invoices: list[Invoice], payments: list[Payment], day: date) -> list[Account]:
    bundle = ClientBundle(
        agency=AGENCY, client=CLIENT, invoices=invoices, payments=payments, notes=[]
    )
    return accounts(bundle, day)


def _sections(sheet: AccountStatement) -> dict[str, Any]:
    return {s.currency: s for s in sheet.sections}


# --- a crafted account: every kind of line ------------------------------------------------

EARLY = _invoice("INV-1", date(2026, 1, 5), "1000.00")  # paid in 10 days: 2% off
LATE = _invoice("INV-2", date(2026, 2, 2), "2000.00")  # due 4 March, fee 5 March, part paid
OVER = _invoice("INV-3", date(2026, 3, 2), "500.00")  # paid 600.00, 30.00 of it refunded
VOID = _invoice("INV-4", date(2026, 3, 9), "300.00", status="void")  # paid all the same
EUR = _invoice("INV-5", date(2026, 4, 1), "800.00", currency="EUR")
PAYMENTS = [
    _payment("p1", "INV-1", "980.00", date(2026, 1, 12)),
    _payment("p2", "INV-2", "1000.00", date(2026, 3, 20)),
    _payment("p3", "INV-3", "600.00", date(2026, 3, 10), refunded="30.00"),
    _payment("p4", "INV-4", "300.00", date(2026, 3, 11)),
    # 50.00 of INV-3's 70.00 credit applied to INV-2
    _payment("c1", "INV-2", "50.00", date(2026, 4, 2), method="credit", **{"from": "INV-3"}),
]
ALL = [EARLY, LATE, OVER, VOID, EUR]
END = date(2026, 4, 30)


def test_every_charge_and_payment_in_date_order_with_a_running_balance() -> None:
    sheet = account_statement(_accounts(ALL, PAYMENTS, END), date(2026, 1, 1), END)
    usd = _sections(sheet)["USD"]
    found = [(x.on.isoformat(), x.kind, x.invoice, x.amount, x.balance) for x in usd.lines]
    assert found == [
        ("2026-01-05", "invoice", "INV-1", 100000, 100000),
        ("2026-01-12", "payment", "INV-1", -98000, 2000),
        ("2026-01-12", "discount", "INV-1", -2000, 0),  # earned by that payment, on its day
        ("2026-02-02", "invoice", "INV-2", 200000, 200000),
        ("2026-03-02", "invoice", "INV-3", 50000, 250000),
        ("2026-03-05", "late_fee", "INV-2", 6000, 256000),  # on the day it fell due
        ("2026-03-10", "payment", "INV-3", -60000, 196000),
        ("2026-03-10", "discount", "INV-3", -1000, 195000),  # paid in full within 10 days
        ("2026-03-10", "refund", "INV-3", 3000, 198000),
        ("2026-03-11", "payment", "INV-4", -30000, 168000),  # a void invoice: its money is credit
        ("2026-03-20", "payment", "INV-2", -100000, 68000),
        ("2026-03-25", "late_fee", "INV-2", 3180, 71180),  # 3% of the 106,000 still owed
        ("2026-04-02", "credit", "INV-2", 0, 71180),  # credit moved, nothing paid
    ]
    assert usd.lines[-1].moved == 5000 and usd.lines[-1].source == "INV-3"
    assert usd.opening == 0 and usd.closing == 71180
    # the open invoices' balances less the credit the client holds, as the portal shows them:
    # INV-2 owes 2,091.80 less the 50.00 of credit applied; INV-3's 80.00 over, less the
    # 50.00 applied, and INV-4's 300.00 are the client's
    assert (usd.owed, usd.credit) == (209180 - 100000 - 5000, 3000 + 30000)
    assert usd.closing == usd.owed - usd.credit
    assert (usd.charged, usd.received) == (362180, 291000)


def test_each_currency_has_its_own_section() -> None:
    sheet = account_statement(_accounts(ALL, PAYMENTS, END), date(2026, 1, 1), END)
    assert [s.currency for s in sheet.sections] == ["EUR", "USD"]
    eur = _sections(sheet)["EUR"]
    assert [(x.kind, x.amount) for x in eur.lines] == [("invoice", 80000)]
    assert (eur.opening, eur.closing, eur.owed, eur.credit) == (0, 80000, 80000, 0)


def test_what_came_before_the_period_is_its_opening_balance() -> None:
    figures = _accounts(ALL, PAYMENTS, END)
    whole = _sections(account_statement(figures, date(2026, 1, 1), END))["USD"]
    march = _sections(account_statement(figures, date(2026, 3, 1), END))["USD"]
    assert march.opening == 200000  # INV-1 settled, INV-2 issued and unpaid
    assert [x.on for x in march.lines] == [x.on for x in whole.lines if x.on >= date(2026, 3, 1)]
    assert march.closing == whole.closing
    assert march.opening + sum(x.amount for x in march.lines) == march.closing


def test_aging_by_due_date_of_what_is_open_at_the_end() -> None:
    plan = _invoice(
        "INV-6",
        date(2026, 1, 2),
        "900.00",
        instalments=[
            {"due": "2026-01-10", "percent": "50"},
            {"due": "2026-04-20", "percent": "50"},
        ],
        terms={"late_fee": "none"},
    )
    sheet = account_statement(_accounts([plan, LATE], [], END), date(2026, 1, 1), END)
    usd = sheet.sections[0]
    items = [(i.invoice, i.n, i.due.isoformat(), i.amount, i.bucket) for i in usd.open_items]
    assert items == [
        ("INV-6", 1, "2026-01-10", 45000, "over_90"),  # 110 days past its due date
        ("INV-2", 1, "2026-03-04", 212180, "days_31_60"),  # 57 days; fees on 5 and 25 March
        ("INV-6", 2, "2026-04-20", 45000, "days_1_30"),
    ]
    assert dict(usd.aging) == {
        "current": 0,
        "days_1_30": 45000,
        "days_31_60": 212180,
        "days_61_90": 0,
        "over_90": 45000,
    }
    assert sum(dict(usd.aging).values()) == usd.owed == usd.closing
    assert [bucket(d) for d in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current",
        "days_1_30",
        "days_1_30",
        "days_31_60",
        "days_31_60",
        "days_61_90",
        "days_61_90",
        "over_90",
    ]


def test_the_statement_is_as_of_its_last_change_and_says_when_the_next_is() -> None:
    figures = _accounts([LATE], [], date(2026, 2, 20))
    # issued 2 February and nothing since: as of then, until the day after the due date
    assert statement_day(figures, date(2026, 2, 20)) == date(2026, 2, 2)
    assert next_statement_change(figures, date(2026, 2, 20)) == date(2026, 3, 5)
    later = _accounts([LATE], [], date(2026, 3, 30))
    assert statement_day(later, date(2026, 3, 30)) == date(2026, 3, 25)  # the second fee
    assert next_statement_change(later, date(2026, 3, 30)) == date(2026, 4, 4)  # 31 days late
    paid = _accounts([LATE], [_payment("p", "INV-2", "2121.80", date(2026, 3, 30))], END)
    assert statement_day(paid, END) == date(2026, 3, 30)
    assert next_statement_change(paid, END) is None  # settled: nothing foreseen
    assert statement_day([], END) is None


def test_the_period_is_twelve_calendar_months() -> None:
    assert period_start(date(2026, 11, 19)) == date(2025, 12, 1)
    assert period_start(date(2026, 1, 31)) == date(2025, 2, 1)


# --- drawn accounts: the statement agrees with the invoices' own figures ------------------

NUMBERS = ["INV-A", "INV-B", "INV-C", "INV-D"]
FIRST = date(2026, 1, 5)
invoice_drawn = st.tuples(
    st.integers(min_value=0, max_value=120),  # issued, days after FIRST
    st.integers(min_value=1, max_value=300_000),  # minor units
    st.sampled_from(["USD", "USD", "EUR"]),
    st.sampled_from(["one", "one", "plan", "void"]),
)
payment_drawn = st.tuples(
    st.sampled_from(NUMBERS),
    st.integers(min_value=0, max_value=150),  # days after its invoice's issue
    st.integers(min_value=1, max_value=350_000),
    st.integers(min_value=0, max_value=100),  # percent refunded
)
credit_drawn = st.tuples(
    st.sampled_from(NUMBERS),
    st.sampled_from(NUMBERS),
    st.integers(min_value=0, max_value=150),
    st.integers(min_value=1, max_value=50_000),
)


def _major(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _drawn(
    drawn: list[tuple[int, int, str, str]],
    paid: list[tuple[str, int, int, int]],
    moved: list[tuple[str, str, int, int]],
) -> tuple[list[Invoice], list[Payment]]:
    invoices = []
    for number, (offset, minor, currency, kind) in zip(NUMBERS, drawn, strict=False):
        issued = FIRST + timedelta(days=offset)
        more: dict[str, Any] = {}
        if kind == "void":
            more["status"] = "void"
        if kind == "plan":
            more["instalments"] = [
                {"due": (issued + timedelta(days=14)).isoformat(), "percent": "40"},
                {"due": (issued + timedelta(days=45)).isoformat(), "percent": "60"},
            ]
        invoices.append(_invoice(number, issued, _major(minor), currency, **more))
    of = {i.number: i for i in invoices}
    payments = [
        _payment(
            f"p{k}",
            number,
            _major(amount),
            of[number].issued + timedelta(days=day),
            currency=of[number].currency,
            refunded=_major(amount * share // 100),
        )
        for k, (number, day, amount, share) in enumerate(paid)
        if number in of
    ]
    credits = [
        _payment(
            f"c{k}",
            target,
            _major(amount),
            of[source].issued + timedelta(days=day),
            currency=of[target].currency,
            method="credit",
            **{"from": source},
        )
        for k, (source, target, day, amount) in enumerate(moved)
        if source in of and target in of
    ]
    bundle = ClientBundle(agency=AGENCY, client=CLIENT, invoices=invoices, payments=[], notes=[])
    # keep only the credit the build accepts: drop what it refuses until it refuses nothing
    while found := {
        p.payment
        for p in credit_problems(bundle.model_copy(update={"payments": payments + credits}), of)
    }:
        credits = [c for c in credits if c.id not in found]
    return invoices, payments + credits


accounts_drawn = st.tuples(
    st.lists(invoice_drawn, min_size=1, max_size=4),
    st.lists(payment_drawn, max_size=6),
    st.lists(credit_drawn, max_size=3),
    st.integers(min_value=0, max_value=260),  # the statement's end, days after FIRST
    st.integers(min_value=0, max_value=260),  # its start
)


@settings(max_examples=200, deadline=None)
@given(accounts_drawn)
def test_the_closing_balance_is_the_open_balances_less_the_credit(
    drawn: tuple[list[Any], list[Any], list[Any], int, int],
) -> None:
    invoice_rows, paid, moved, end_at, start_at = drawn
    invoices, payments = _drawn(invoice_rows, paid, moved)
    end = FIRST + timedelta(days=end_at)
    start = min(end, FIRST + timedelta(days=start_at))
    figures = _accounts(invoices, payments, end)
    sheet = account_statement(figures, start, end)
    for section in sheet.sections:
        mine = [a.statement for a in figures if a.invoice.currency == section.currency]
        assert section.owed == sum(s.balance for s in mine)
        assert section.credit == sum(s.credit for s in mine)
        assert section.closing == section.owed - section.credit
        # opening + activity = closing, line by line
        running = section.opening
        for line in section.lines:
            running += line.amount
            assert line.balance == running
            assert start <= line.on <= end
        assert running == section.closing
        assert sum(dict(section.aging).values()) == section.owed
        # the opening balance is the account as it stood the day before the period began
        before = [
            a.statement
            for a in _accounts(invoices, payments, start - timedelta(days=1))
            if a.invoice.currency == section.currency
        ]
        assert section.opening == sum(s.balance - s.credit for s in before)
    # figures made for a later day give the same statement for this period
    assert (
        account_statement(_accounts(invoices, payments, end + timedelta(40)), start, end) == sheet
    )
    # a currency with nothing on the account has no section; every other has one
    on_account = {a.invoice.currency for a in figures}
    assert {s.currency for s in sheet.sections} == on_account


def _as_served(invoices: list[Invoice], payments: list[Payment], day: date) -> Any:
    figures = _accounts(invoices, payments, day)
    as_of = statement_day(figures, day)
    if as_of is None:
        return None
    return account_statement(figures, period_start(as_of), as_of)


@settings(max_examples=150, deadline=None)
@given(accounts_drawn, st.integers(min_value=1, max_value=45))
def test_the_statement_is_the_same_on_every_day_until_its_next_change(
    drawn: tuple[list[Any], list[Any], list[Any], int, int], later: int
) -> None:
    invoice_rows, paid, moved, today_at, _ = drawn
    invoices, payments = _drawn(invoice_rows, paid, moved)
    today = FIRST + timedelta(days=today_at)
    figures = _accounts(invoices, payments, today)
    served = _as_served(invoices, payments, today)
    # an invoice issued later is on no account yet: the build re-publishes on its issue day
    # (``bundle.issue_day``), as on the statement's own next change; and a payment is never
    # foreseen: its webhook (or the build that reads its file) re-publishes
    events = [i.issued for i in invoices if i.issued > today]
    events += [p.date for p in payments if p.date > today]
    upcoming = min((d for d in [next_statement_change(figures, today), *events] if d), default=None)
    day = today + timedelta(days=later)
    if upcoming is None or day < upcoming:
        assert _as_served(invoices, payments, day) == served, (today, day, upcoming)
    as_of = statement_day(figures, today)
    if as_of is not None:
        # and on every day back to the one it is dated: the day before that, it differed
        assert _as_served(invoices, payments, as_of) == served
        earlier = _as_served(invoices, payments, as_of - timedelta(days=1))
        assert earlier is None or earlier.sections != served.sections
