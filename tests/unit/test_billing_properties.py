"""Properties the billing rules keep for any input, checked with hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.billing import (
    BillingError,
    PaymentRecord,
    Statement,
    invoice_totals,
    late_fee_charges,
    payment_schedule,
    resolve_terms,
    statement,
)
from site_builder.model import Invoice, LateFeePolicy, Terms
from site_builder.money import allocate, exponent

ISSUED = date(2026, 3, 1)
CURRENCIES = st.sampled_from(["USD", "JPY", "PLN", "KWD"])  # 2, 0, 2 and 3 decimals
days = st.integers(min_value=0, max_value=400)

steps = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=120),
        st.decimals(min_value=0, max_value=10, places=2),
        st.sampled_from(["total", "balance"]),
    ),
    max_size=3,
    unique_by=lambda s: s[0],
).map(
    lambda found: [{"days_overdue": d, "percent": str(p), "of": of} for d, p, of in sorted(found)]
)
caps = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=20, places=1).map(lambda p: {"percent": str(p)}),
    st.integers(min_value=0, max_value=500).map(lambda a: {"amount": str(a)}),
)
policies = st.builds(
    lambda s, interest, flat, grace, cap: LateFeePolicy.model_validate(
        # a field left out is no such rule (writing it empty is a content error)
        {
            name: value
            for name, value in (
                ("steps", s),
                ("monthly_interest", interest),
                ("flat", flat),
                ("grace_days", grace),
                ("cap", cap),
            )
            if value is not None
        }
    ),
    steps,
    st.one_of(st.none(), st.decimals(min_value=0, max_value=5, places=2).map(str)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=100).map(str)),
    st.integers(min_value=0, max_value=30),
    caps,
)


@st.composite
def percents(draw: st.DrawFn) -> list[Decimal]:
    """2 to 6 percentages with two decimals that add up to exactly 100."""
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=1, max_size=5)))
    bounds = [0, *cuts, 10000]
    return [Decimal(b - a) / 100 for a, b in pairwise(bounds)]


@st.composite
def invoices(draw: st.DrawFn, plans: bool = True) -> Invoice:
    currency = draw(CURRENCIES)
    unit = Decimal(1).scaleb(-exponent(currency))
    items = [
        {
            "description": f"Line {i}",
            # quarters of a unit times prices in fours of the minor unit: every line is exact
            # in its currency (a line that is not is refused: test_plan_dates.py)
            "quantity": str(Decimal(draw(st.integers(0, 200))) / 4),
            "unit_price": str(draw(st.integers(-500, 50000)) * 4 * unit),
            "taxable": draw(st.booleans()),
        }
        for i in range(draw(st.integers(1, 4)))
    ]
    data: dict = {
        "number": "INV-1",
        "client": "acme",
        "issued": ISSUED.isoformat(),
        "currency": currency,
        "items": items,
        "status": draw(st.sampled_from(["issued", "issued", "issued", "void", "draft"])),
    }
    if draw(st.booleans()):
        data["tax"] = {"percent": str(draw(st.decimals(min_value=0, max_value=27, places=1)))}
    if plans and draw(st.booleans()):
        data["deposit"] = {"percent": str(draw(st.decimals(min_value=0, max_value=100, places=2)))}
    if plans and draw(st.booleans()):
        shares = draw(percents())
        if len(shares) >= 2:
            data["instalments"] = [
                {"due": (ISSUED + timedelta(days=30 * (i + 1))).isoformat(), "percent": str(p)}
                for i, p in enumerate(shares)
            ]
    return Invoice.model_validate(data)


@st.composite
def payment_lists(draw: st.DrawFn) -> list[PaymentRecord]:
    result = []
    for i in range(draw(st.integers(0, 5))):
        amount = draw(st.integers(0, 2_000_000))
        result.append(
            PaymentRecord(
                id=f"p{i}",
                date=ISSUED + timedelta(days=draw(days)),
                amount=amount,
                refunded=draw(st.one_of(st.just(0), st.integers(0, amount))),
                instalment=draw(st.one_of(st.none(), st.integers(1, 8))),
            )
        )
    return result


def terms_with(policy: LateFeePolicy | None, discount: bool) -> Terms:
    data: dict = {"net_days": 21, "late_fee": "none" if policy is None else policy}
    if discount:
        data["early_discount"] = {"percent": "2", "within_days": 10}
    return Terms.model_validate(data)


def figures_or_none(
    inv: Invoice, terms: Terms, pays: list[PaymentRecord], today: date
) -> Statement | None:
    try:
        return statement(inv, resolve_terms(terms), pays, today)
    except BillingError:
        return None  # credit lines beyond the total: refused, not billed


@settings(max_examples=200)
@given(st.integers(0, 10**12), percents())
def test_allocate_never_creates_or_loses_a_minor_unit(total: int, weights: list[Decimal]) -> None:
    if sum(weights) == 0:
        return
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(share >= 0 for share in shares)
    exact = [Decimal(total) * w / sum(weights) for w in weights]
    assert all(abs(share - x) < 1 for share, x in zip(shares, exact, strict=True))


@settings(max_examples=200)
@given(invoices())
def test_the_schedule_always_sums_to_the_total(inv: Invoice) -> None:
    try:
        total = invoice_totals(inv).total
    except BillingError:
        return
    entries = payment_schedule(inv, total, resolve_terms(Terms(net_days=21)))
    assert sum(e.amount for e in entries) == total
    assert all(e.amount >= 0 for e in entries)
    assert [e.n for e in entries] == list(range(1, len(entries) + 1))
    assert [e.due for e in entries] == sorted(e.due for e in entries)


@settings(max_examples=200)
@given(
    st.integers(0, 10**9),
    policies,
    CURRENCIES,
    st.lists(st.tuples(days, st.integers(0, 10**9)), max_size=4),
    days,
    days,
)
def test_late_fees_never_decrease_as_days_pass(
    amount: int,
    policy: LateFeePolicy,
    currency: str,
    paid: list[tuple[int, int]],
    first: int,
    later: int,
) -> None:
    due = ISSUED + timedelta(days=21)
    payments = [(ISSUED + timedelta(days=d), a) for d, a in paid]
    early = late_fee_charges(
        amount, due, policy, currency, payments, ISSUED + timedelta(days=first)
    )
    late = late_fee_charges(
        amount, due, policy, currency, payments, ISSUED + timedelta(days=first + later)
    )
    # what was charged by a day stays charged, whatever happens after it
    assert late[: len(early)] == early
    assert all(charge.amount > 0 for charge in late)
    assert [c.on for c in late] == sorted(c.on for c in late)


@settings(max_examples=200)
@given(invoices(), st.one_of(st.none(), policies), st.booleans(), payment_lists(), days)
def test_statements_are_never_negative_and_always_balance(
    inv: Invoice,
    policy: LateFeePolicy | None,
    discount: bool,
    pays: list[PaymentRecord],
    today_offset: int,
) -> None:
    st_ = figures_or_none(
        inv, terms_with(policy, discount), pays, ISSUED + timedelta(days=today_offset)
    )
    if st_ is None:
        return
    for value in (
        st_.paid,
        st_.refunded,
        st_.late_fees,
        st_.discount,
        st_.balance,
        st_.overpaid,
        st_.amount_due,
        st_.days_overdue,
        st_.discount_offered,
    ):
        assert value >= 0
    for e in st_.entries:
        assert min(e.amount, e.paid, e.late_fees, e.discount, e.amount_due, e.days_overdue) >= 0
        assert all(f.amount > 0 for f in e.fees)
    assert sum(e.amount for e in st_.entries) == st_.totals.total
    assert st_.late_fees == sum(e.late_fees for e in st_.entries)
    if inv.status != "void":
        # every unit paid is either on an entry or a credit: nothing appears or vanishes
        assert sum(e.paid for e in st_.entries) + st_.overpaid == st_.paid
        assert st_.balance - st_.overpaid == (
            st_.totals.total + st_.late_fees - st_.discount - st_.paid
        )
        assert st_.amount_due == st_.balance - st_.discount_offered
    if st_.status == "paid":
        assert st_.amount_due == 0


@settings(max_examples=200)
@given(invoices(plans=False), st.one_of(st.none(), policies), payment_lists(), days)
def test_paying_the_amount_due_settles_the_invoice_that_day(
    inv: Invoice, policy: LateFeePolicy | None, pays: list[PaymentRecord], today_offset: int
) -> None:
    if inv.status != "issued":
        return
    today = ISSUED + timedelta(days=today_offset)
    terms = terms_with(policy, discount=False)
    before = figures_or_none(inv, terms, pays, today)
    if before is None or before.amount_due == 0:
        return
    settle = PaymentRecord(id="settle", date=today, amount=before.amount_due)
    after = figures_or_none(inv, terms, [*pays, settle], today)
    assert after is not None
    assert (after.status, after.balance, after.amount_due, after.overpaid) == ("paid", 0, 0, 0)
    assert after.late_fees == before.late_fees
