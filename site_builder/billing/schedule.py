"""The payment schedule: the parts of an invoice that are each payable on their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from site_builder.billing.errors import BillingError, major
from site_builder.billing.terms import ResolvedTerms, deposit_due_date, due_date
from site_builder.model import Instalment, Invoice, Portion
from site_builder.money import MoneyError, allocate, percent_of, to_minor

EntryKind = Literal["full", "deposit", "instalment", "balance"]


@dataclass(frozen=True)
class ScheduleEntry:
    n: int
    kind: EntryKind
    label: str | None
    due: date
    amount: int


def _fixed(portion: Portion, currency: str, field: str) -> int:
    assert portion.amount is not None
    try:
        # exact: an instalment of 10.005 USD is a typo, not something to round away
        return to_minor(portion.amount, currency, exact=True)
    except MoneyError as exc:
        raise BillingError(field, str(exc)) from None


def _deposit(invoice: Invoice, total: int) -> int:
    deposit = invoice.deposit
    assert deposit is not None
    if deposit.percent is not None:
        amount = percent_of(total, deposit.percent)
    else:
        amount = _fixed(deposit, invoice.currency, "deposit.amount")
    if amount > total:
        raise BillingError(
            "deposit",
            f"the deposit of {major(amount, invoice.currency)} is more than the invoice "
            f"total {major(total, invoice.currency)}",
        )
    return amount


def _instalments(
    instalments: list[Instalment], remaining: int, currency: str, what: str
) -> list[int]:
    if instalments[0].percent is not None:
        # the model has checked the percentages add up to 100; allocate makes
        # the shares add up to the cent, which rounding each share would not
        return allocate(remaining, [i.percent or Decimal(0) for i in instalments])
    amounts = [
        _fixed(i, currency, f"instalments.{index}.amount") for index, i in enumerate(instalments)
    ]
    if sum(amounts) != remaining:
        raise BillingError(
            "instalments",
            f"instalment amounts add up to {major(sum(amounts), currency)}, "
            f"not {what} {major(remaining, currency)}",
        )
    return amounts


def payment_schedule(
    invoice: Invoice, total: int, terms: ResolvedTerms
) -> tuple[ScheduleEntry, ...]:
    """Split ``total`` into its deposit, instalments or balance, numbered in due order.

    The dates come from the terms (``due_date``, ``deposit_due_date``), never from a
    caller, so every reader of a schedule sees the same due dates.
    """
    due = due_date(invoice, terms)
    parts: list[tuple[EntryKind, str | None, date, int]] = []
    remaining = total
    if invoice.deposit is not None:
        deposit = _deposit(invoice, total)
        parts.append(("deposit", invoice.deposit.label, deposit_due_date(invoice, terms), deposit))
        remaining -= deposit
    if invoice.instalments:
        what = "the invoice total" if invoice.deposit is None else "the balance after the deposit"
        amounts = _instalments(invoice.instalments, remaining, invoice.currency, what)
        parts.extend(
            ("instalment", i.label, i.due, amount)
            for i, amount in zip(invoice.instalments, amounts, strict=True)
        )
    elif invoice.deposit is not None:
        # a deposit of the whole total leaves nothing to schedule
        if remaining > 0:
            parts.append(("balance", None, due, remaining))
    else:
        parts.append(("full", None, due, total))
    # sorted() is stable, so a deposit due with the first instalment stays first
    ordered = sorted(parts, key=lambda part: part[2])
    return tuple(
        ScheduleEntry(n=n, kind=kind, label=label, due=day, amount=amount)
        for n, (kind, label, day, amount) in enumerate(ordered, start=1)
    )
