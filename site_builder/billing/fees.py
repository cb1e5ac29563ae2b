"""Late fees on one payable entry: steps, a flat fee, monthly interest, a cap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from site_builder.billing.dates import add_months
from site_builder.billing.errors import BillingError
from site_builder.model import LateFeePolicy
from site_builder.money import MoneyError, percent_of, to_minor

FeeKind = Literal["step", "interest", "flat"]

# Past this many minor units a figure is no invoice's (and no longer a 64-bit JSON number).
MAX_MINOR = 10**18
# Same-day charges apply in this order, so a compounding charge sees the
# one-off charges of its own day.
_ORDER: dict[FeeKind, int] = {"step": 0, "flat": 1, "interest": 2}


@dataclass(frozen=True)
class FeeCharge:
    on: date
    amount: int
    kind: FeeKind
    percent: Decimal | None


def fixed_amount(value: Decimal | dict[str, Decimal], currency: str, field: str, what: str) -> int:
    """A per-currency fixed figure in minor units of ``currency``, exactly.

    A bare figure means "this many units of whatever the invoice is in". One that the
    currency cannot hold (25.50 for a JPY invoice) is an error, never rounded: the agency
    gives that currency its own figure (``{USD: "25.50", JPY: 2550}``).
    """
    if isinstance(value, dict):
        if currency not in value:
            raise BillingError(field, f"no {what} amount for {currency}")
        value = value[currency]
    try:
        return to_minor(value, currency, exact=True)
    except MoneyError as exc:
        raise BillingError(
            field,
            f"the {what} {exc}, the currency of this invoice: give {currency} a figure of "
            f'its own ({{{currency}: "..."}} beside the others)',
        ) from None


@dataclass(frozen=True)
class _Rule:
    on: date
    kind: FeeKind
    percent: Decimal | None
    of: Literal["total", "balance"]


def _rules(policy: LateFeePolicy, due: date, today: date) -> list[_Rule]:
    rules = [
        _Rule(due + timedelta(days=step.days_overdue), "step", step.percent, step.of)
        for step in policy.steps
    ]
    if policy.flat is not None:
        rules.append(_Rule(due + timedelta(days=policy.grace_days + 1), "flat", None, "total"))
    if policy.monthly_interest is not None:
        start = due + timedelta(days=policy.grace_days)
        month = 1
        while (on := add_months(start, month)) <= today:
            rules.append(_Rule(on, "interest", policy.monthly_interest, "balance"))
            month += 1
    rules.sort(key=lambda rule: (rule.on, _ORDER[rule.kind]))
    return rules


def fee_days(policy: LateFeePolicy | None, due: date, until: date) -> list[date]:
    """The days up to ``until`` on which a late fee may be charged on an entry due on ``due``."""
    return [] if policy is None else [rule.on for rule in _rules(policy, due, until)]


def late_fee_charges(
    amount: int,
    due: date,
    policy: LateFeePolicy | None,
    currency: str,
    payments: Sequence[tuple[date, int]],
    today: date,
) -> tuple[FeeCharge, ...]:
    """The late fees charged on an entry of ``amount`` due on ``due``, up to ``today``.

    ``payments`` are the (date, net minor units) applied to this entry. A
    charge on day C happens only if the entry is unpaid at the start of C:
    payments dated C itself come after it, so paying on the due date is on
    time and paying on the day a fee falls due pays that fee too.
    """
    if policy is None:
        return ()
    flat = (
        fixed_amount(policy.flat, currency, "terms.late_fee.flat", "flat fee")
        if policy.flat is not None
        else 0
    )
    cap: int | None = None
    if policy.cap is not None:
        if policy.cap.percent is not None:
            cap = percent_of(amount, policy.cap.percent)
        else:
            assert policy.cap.amount is not None
            cap = fixed_amount(policy.cap.amount, currency, "terms.late_fee.cap.amount", "cap")
    charges: list[FeeCharge] = []
    fees = 0
    for rule in _rules(policy, due, today):
        if rule.on > today:
            break
        paid_before = sum(paid for day, paid in payments if day < rule.on)
        balance = amount + fees - paid_before
        if balance <= 0:
            continue
        if rule.kind == "flat":
            fee = flat
        else:
            assert rule.percent is not None
            fee = percent_of(amount if rule.of == "total" else balance, rule.percent)
        if cap is not None:
            fee = min(fee, cap - fees)
        if fee <= 0:
            continue
        charges.append(FeeCharge(rule.on, fee, rule.kind, rule.percent))
        fees += fee
        if amount + fees >= MAX_MINOR:
            raise BillingError(
                "terms.late_fee",
                f"late fees pass 10**18 minor units by {rule.on.isoformat()}: "
                "compounding without end; give the late fee a cap",
            )
    return tuple(charges)
