"""Late fees on one entry: the reference rule, steps, flat, interest, caps, currencies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from site_builder.billing import BillingError, FeeCharge, late_fee_charges
from site_builder.model import LateFeePolicy

DUE = date(2026, 3, 22)  # 1,000.00 USD issued 2026-03-01 on Net 21
REFERENCE = LateFeePolicy.model_validate(
    {
        "steps": [
            {"days_overdue": 1, "percent": "3", "of": "total"},
            {"days_overdue": 21, "percent": "3", "of": "balance"},
        ]
    }
)


def policy(**data: object) -> LateFeePolicy:
    return LateFeePolicy.model_validate(data)


def fees(
    pol: LateFeePolicy | None,
    today: date,
    payments: list[tuple[date, int]] | None = None,
    amount: int = 100000,
    currency: str = "USD",
    due: date = DUE,
) -> list[tuple[date, int]]:
    charges = late_fee_charges(amount, due, pol, currency, payments or [], today)
    return [(c.on, c.amount) for c in charges]


# --- the reference rule -------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 22), []),
        (date(2026, 3, 23), [(date(2026, 3, 23), 3000)]),
        (date(2026, 4, 11), [(date(2026, 3, 23), 3000)]),
        (date(2026, 4, 12), [(date(2026, 3, 23), 3000), (date(2026, 4, 12), 3090)]),
        (date(2027, 1, 1), [(date(2026, 3, 23), 3000), (date(2026, 4, 12), 3090)]),
    ],
)
def test_reference_rule_to_the_cent(today: date, expected: list[tuple[date, int]]) -> None:
    assert fees(REFERENCE, today) == expected


def test_reference_rule_charges_carry_their_kind_and_percent() -> None:
    charges = late_fee_charges(100000, DUE, REFERENCE, "USD", [], date(2026, 4, 12))
    assert charges == (
        FeeCharge(date(2026, 3, 23), 3000, "step", Decimal(3)),
        FeeCharge(date(2026, 4, 12), 3090, "step", Decimal(3)),
    )


def test_reference_rule_after_a_partial_payment_compounds_on_the_balance() -> None:
    paid = [(date(2026, 4, 1), 50000)]
    # second fee: 3% of (1,000.00 + 30.00 - 500.00) = 3% of 530.00
    assert fees(REFERENCE, date(2026, 4, 12), paid) == [
        (date(2026, 3, 23), 3000),
        (date(2026, 4, 12), 1590),
    ]


def test_paying_on_the_due_date_is_on_time() -> None:
    assert fees(REFERENCE, date(2026, 6, 1), [(DUE, 100000)]) == []


def test_paying_on_the_day_a_fee_falls_due_still_incurs_it() -> None:
    # the fee falls at the start of the day; that day's payment comes after it
    assert fees(REFERENCE, date(2026, 6, 1), [(date(2026, 3, 23), 103000)]) == [
        (date(2026, 3, 23), 3000)
    ]


def test_unpaid_fees_keep_the_entry_unpaid_for_later_balance_steps() -> None:
    # the principal was paid a day late, the 30.00 fee never was: 3% of 30.00
    assert fees(REFERENCE, date(2026, 4, 12), [(date(2026, 3, 23), 100000)]) == [
        (date(2026, 3, 23), 3000),
        (date(2026, 4, 12), 90),
    ]


def test_payments_after_the_charge_day_do_not_undo_it() -> None:
    assert fees(REFERENCE, date(2026, 4, 12), [(date(2026, 4, 12), 103000)]) == [
        (date(2026, 3, 23), 3000),
        (date(2026, 4, 12), 3090),
    ]


def test_no_policy_means_no_fees() -> None:
    assert fees(None, date(2030, 1, 1)) == []
    assert fees(policy(), date(2030, 1, 1)) == []


def test_a_zero_amount_entry_is_never_late() -> None:
    assert fees(REFERENCE, date(2030, 1, 1), amount=0) == []


# --- steps, flat fee, grace ---------------------------------------------------


def test_one_off_percent_after_a_grace_period() -> None:
    pol = policy(steps=[{"days_overdue": 15, "percent": "5"}])
    assert fees(pol, date(2026, 4, 5)) == []  # due + 14
    assert fees(pol, date(2026, 4, 6)) == [(date(2026, 4, 6), 5000)]
    assert fees(pol, date(2026, 4, 6), [(date(2026, 4, 5), 100000)]) == []


def test_grace_days_do_not_move_explicit_steps() -> None:
    pol = policy(steps=[{"days_overdue": 1, "percent": "3"}], grace_days=10)
    assert fees(pol, date(2026, 3, 23)) == [(date(2026, 3, 23), 3000)]


def test_flat_fee_after_the_grace_days() -> None:
    pol = policy(flat="25.00", grace_days=5)
    assert fees(pol, date(2026, 3, 27)) == []
    assert fees(pol, date(2026, 3, 28)) == [(date(2026, 3, 28), 2500)]
    assert fees(pol, date(2027, 3, 28)) == [(date(2026, 3, 28), 2500)]  # once only
    assert fees(pol, date(2026, 4, 30), [(date(2026, 3, 27), 100000)]) == []


def test_flat_fee_charges_carry_no_percent() -> None:
    (charge,) = late_fee_charges(100000, DUE, policy(flat="25.00"), "USD", [], date(2026, 4, 1))
    assert charge == FeeCharge(date(2026, 3, 23), 2500, "flat", None)


def test_flat_fee_per_currency_map() -> None:
    pol = policy(flat={"USD": "25.00", "EUR": "20.00", "JPY": "3000"})
    assert fees(pol, date(2026, 4, 1), currency="EUR") == [(date(2026, 3, 23), 2000)]
    assert fees(pol, date(2026, 4, 1), currency="JPY", amount=150000) == [(date(2026, 3, 23), 3000)]


def test_flat_fee_map_without_the_invoice_currency_is_an_error() -> None:
    pol = policy(flat={"USD": "25.00", "EUR": "20.00"})
    with pytest.raises(BillingError) as raised:
        fees(pol, date(2026, 3, 1), currency="JPY")  # raised even before anything is late
    assert raised.value.field == "terms.late_fee.flat"
    assert raised.value.message == "no flat fee amount for JPY"


def test_a_single_flat_figure_is_read_in_the_invoice_currency() -> None:
    assert fees(policy(flat="25"), date(2026, 4, 1), currency="JPY", amount=10000) == [
        (date(2026, 3, 23), 25)
    ]
    # half a yen cannot be charged, and is never rounded away: an error naming the field
    with pytest.raises(BillingError) as raised:
        fees(policy(flat="25.50"), date(2026, 4, 1), currency="JPY", amount=10000)
    assert raised.value.field == "terms.late_fee.flat"
    assert "25.50 has more than 0 decimal places for JPY" in raised.value.message


def test_same_day_charges_apply_steps_then_flat_then_interest() -> None:
    pol = policy(
        steps=[{"days_overdue": 31, "percent": "3", "of": "balance"}],
        flat="10.00",
        grace_days=30,
        monthly_interest="1.5",
    )
    # interest starts on (due + 30) + 1 month = 2026-05-21; step and flat on 2026-04-22
    charges = late_fee_charges(100000, DUE, pol, "USD", [], date(2026, 5, 21))
    assert [(c.on, c.kind, c.amount) for c in charges] == [
        (date(2026, 4, 22), "step", 3000),
        (date(2026, 4, 22), "flat", 1000),
        (date(2026, 5, 21), "interest", 1560),  # 1.5% of 1,040.00
    ]
    pol = policy(
        steps=[{"days_overdue": 31, "percent": "3", "of": "balance"}], monthly_interest="1.5"
    )
    charges = late_fee_charges(100000, DUE, pol, "USD", [], date(2026, 4, 22))
    assert [(c.on, c.kind, c.amount) for c in charges] == [
        (date(2026, 4, 22), "step", 3000),
        (date(2026, 4, 22), "interest", 1545),  # 1.5% of 1,030.00 compounds on the step
    ]


# --- monthly interest ---------------------------------------------------------


def test_monthly_interest_over_three_months_compounds() -> None:
    pol = policy(monthly_interest="1.5")
    assert fees(pol, date(2026, 4, 21)) == []
    assert fees(pol, date(2026, 6, 22)) == [
        (date(2026, 4, 22), 1500),  # 1.5% of 1,000.00
        (date(2026, 5, 22), 1523),  # 1.5% of 1,015.00 = 15.225
        (date(2026, 6, 22), 1545),  # 1.5% of 1,030.23 = 15.45345
    ]


def test_monthly_interest_starts_after_the_grace_days() -> None:
    pol = policy(monthly_interest="2", grace_days=10)
    assert fees(pol, date(2026, 4, 30)) == []
    assert fees(pol, date(2026, 5, 1)) == [(date(2026, 5, 1), 2000)]


def test_monthly_interest_clamps_to_the_end_of_short_months() -> None:
    pol = policy(monthly_interest="1")
    charges = fees(pol, date(2026, 4, 30), due=date(2026, 1, 31))
    assert [on for on, _ in charges] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_monthly_interest_stops_once_paid_and_shrinks_with_part_payments() -> None:
    pol = policy(monthly_interest="1.5")
    paid = [(date(2026, 5, 1), 51500)]  # leaves 500.00 after the first 15.00
    assert fees(pol, date(2026, 6, 22), paid) == [
        (date(2026, 4, 22), 1500),
        (date(2026, 5, 22), 750),  # 1.5% of 500.00
        (date(2026, 6, 22), 761),  # 1.5% of 507.50 = 7.6125
    ]
    paid = [(date(2026, 5, 1), 101500)]
    assert fees(pol, date(2027, 1, 1), paid) == [(date(2026, 4, 22), 1500)]


# --- caps ---------------------------------------------------------------------


def test_cap_by_percent_cuts_the_crossing_charge_and_drops_later_ones() -> None:
    pol = policy(
        steps=[
            {"days_overdue": 1, "percent": "3", "of": "total"},
            {"days_overdue": 21, "percent": "3", "of": "balance"},
        ],
        monthly_interest="1.5",
        cap={"percent": "5"},
    )
    assert fees(pol, date(2027, 1, 1)) == [
        (date(2026, 3, 23), 3000),
        (date(2026, 4, 12), 2000),  # 30.90 cut to fit under 50.00
    ]


def test_cap_by_amount() -> None:
    pol = policy(monthly_interest="1.5", cap={"amount": "40.00"})
    assert fees(pol, date(2027, 1, 1)) == [
        (date(2026, 4, 22), 1500),
        (date(2026, 5, 22), 1523),
        (date(2026, 6, 22), 977),  # 15.45 cut: 40.00 - 30.23
    ]


def test_cap_by_amount_per_currency() -> None:
    pol = policy(
        flat={"USD": "25.00", "PLN": "100.00"}, cap={"amount": {"USD": "10.00", "PLN": "80.00"}}
    )
    assert fees(pol, date(2026, 4, 1)) == [(date(2026, 3, 23), 1000)]
    assert fees(pol, date(2026, 4, 1), currency="PLN") == [(date(2026, 3, 23), 8000)]


def test_cap_map_without_the_invoice_currency_is_an_error() -> None:
    pol = policy(flat="25.00", cap={"amount": {"USD": "10.00"}})
    with pytest.raises(BillingError) as raised:
        fees(pol, date(2026, 4, 1), currency="EUR")
    assert raised.value.field == "terms.late_fee.cap.amount"
    assert raised.value.message == "no cap amount for EUR"


def test_a_zero_cap_means_no_fees() -> None:
    assert fees(policy(flat="25.00", cap={"percent": "0"}), date(2027, 1, 1)) == []


# --- zero-decimal currencies --------------------------------------------------


def test_jpy_fees_round_half_up_to_whole_yen() -> None:
    # 3% of 1,101 yen = 33.03; 3% of 1,134 yen = 34.02
    assert fees(REFERENCE, date(2026, 4, 12), amount=1101, currency="JPY") == [
        (date(2026, 3, 23), 33),
        (date(2026, 4, 12), 34),
    ]
    # 3% of 1,150 yen = 34.5 -> 35
    assert fees(REFERENCE, date(2026, 3, 23), amount=1150, currency="JPY") == [
        (date(2026, 3, 23), 35)
    ]
