"""The early-payment discount: offered until a deadline, taken by paying in time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Protocol

from site_builder.billing.terms import ResolvedTerms
from site_builder.money import percent_of


def discount_deadline(issued: date, terms: ResolvedTerms) -> date | None:
    """The last day on which paying earns the discount, or None without one."""
    if terms.early_discount is None:
        return None
    return issued + timedelta(days=terms.early_discount.within_days)


class Part(Protocol):
    """A payable part of an invoice: a schedule entry, or an entry of a statement."""

    @property
    def kind(self) -> str: ...


def discount_applies(schedule: Sequence[Part]) -> bool:
    """Only a single payment can be early: a plan already spreads the payments.

    An early-payment discount is the price of credit the agency did not have to give: it
    rewards paying the whole invoice well before it is due. A deposit or an instalment plan
    is credit agreed part by part, each part on its own date; a discount on each part paid
    "early" would pay the client for keeping to the plan, and no discount on the whole could
    be earned without paying parts before they are due. So a plan has none, and the page
    says so (``discount_withheld``) rather than leaving the agency's offer unexplained.
    """
    return len(schedule) == 1 and schedule[0].kind == "full"


def discount_withheld(schedule: Sequence[Part], terms: ResolvedTerms) -> bool:
    """The terms offer an early-payment discount that this invoice's plan does not get."""
    return terms.early_discount is not None and not discount_applies(schedule)


def discount_amount(total: int, terms: ResolvedTerms) -> int:
    """The discount on ``total`` minor units, rounded half-up."""
    if terms.early_discount is None:
        return 0
    return percent_of(total, terms.early_discount.percent)


def discount_taken(
    total: int, discount: int, deadline: date | None, payments: Sequence[tuple[date, int]]
) -> bool:
    """Whether payments dated on or before the deadline cover the discounted total.

    Late fees do not enter here: the discount is on the invoice's total, and
    a deadline that falls after the due date is a contract quirk, not a
    reason to withhold a discount the client paid for in time.
    """
    if deadline is None or discount <= 0:
        return False
    paid = sum(amount for day, amount in payments if day <= deadline)
    return paid >= total - discount


def discount_offered(
    discount: int, deadline: date | None, taken: bool, outstanding: int, today: date
) -> int:
    """The discount a client still earns by paying in full today, else 0."""
    if deadline is None or taken or outstanding <= 0 or today > deadline:
        return 0
    return discount
