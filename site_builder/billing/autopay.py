"""Automatic payments: which parts of an invoice are charged to a saved method, when, and how much.

Pure functions of the content's settings and an ``Account`` (an invoice's figures as of a
day). No I/O, no clock, and no money rule of their own: the amount of a charge is what
``statement``, the one money rule, says is due for that part on the charge day, which is
exactly what ``/checkout`` would ask for on that day (``st.amount_due`` for a whole
invoice, ``entry.amount_due`` for one part of a plan). The pages, the pre-charge email and
the charging job all read the same ``planned_charges``, so the figure a client is told is
the figure charged.

When a part is charged (``when``):

- ``due``: each open part on its own due day: the deposit, each instalment, the balance;
  an invoice without a plan on its due date.
- ``issue``: an invoice without a plan on its issue day (retainers: charged as they are
  issued, an early-payment discount on offer that day taken). A plan is credit agreed part
  by part, so its parts are still charged each on its own due day, as an accountant would
  expect and as the early discount treats plans (``discount.discount_applies``).

A failed first attempt is tried again ``retry_days`` after it (``attempt_days``); a retry
day after the due date costs what the rules say then, late fees included: the job prices a
retry with ``amount_due_on`` for the day it runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from site_builder.billing.account import InvoiceFigures
from site_builder.billing.statement import statement
from site_builder.model import Agency, Autopay, Client

# Nothing is charged on these (a pending bank debit counts as paid, so it is here too):
# as the reminders (``reminders.SETTLED``) and /checkout refuse them.
SETTLED = frozenset({"paid", "void", "draft", "disputed"})


@dataclass(frozen=True)
class AutopayPolicy:
    mode: str  # off, allowed, required
    when: str  # due, issue
    notice_days: int  # the pre-charge email goes out this many days before the charge day
    retry_days: tuple[int, ...]  # days after the first attempt on which a failed one is retried

    @property
    def offered(self) -> bool:
        """Whether the portal offers automatic payments (and anything is ever charged)."""
        return self.mode != "off"


def autopay_policy(agency: Agency, client: Client) -> AutopayPolicy:
    """The agency's ``autopay:`` with the client's over it, field by field.

    As with ``reminders``, a layer overrides only the fields its file wrote
    (``model_fields_set``): a client that writes ``mode: required`` keeps the agency's
    notice and retry days.
    """
    merged = Autopay().model_copy(
        update={
            name: getattr(layer, name)
            for layer in (agency.autopay, client.autopay)
            if layer is not None
            for name in layer.model_fields_set
        }
    )
    return AutopayPolicy(
        mode=merged.mode,
        when=merged.when,
        notice_days=merged.notice_days,
        retry_days=tuple(merged.retry_days),
    )


@dataclass(frozen=True)
class Charge:
    invoice: str
    instalment: int | None  # the entry number n as /checkout takes it (None: the whole invoice)
    day: date  # the planned charge day (the first attempt)
    amount: int  # minor units: what the rules say is due for the part on ``day``
    currency: str


def amount_due_on(account: InvoiceFigures, instalment: int | None, day: date) -> int:
    """What ``/checkout`` would ask for the part on ``day``, with the payments recorded up to
    the account's day: the whole invoice's ``amount_due``, or the entry's.

    A day before the account's day is priced on the account's day: payments between the
    two have been counted, and the money rules never give a figure for a day gone by.
    """
    assert account.day is not None, "an account's figures are as of a day"
    st = account.statement
    if day > account.day:
        st = statement(account.invoice, account.terms, account.payments, day, st.credit_uses)
    if instalment is None:
        return st.amount_due
    entry = next((e for e in st.entries if e.n == instalment), None)
    return 0 if entry is None else entry.amount_due


def planned_charges(account: InvoiceFigures, policy: AutopayPolicy) -> list[Charge]:
    """The parts of the account's invoice still owed as of its day, each with its charge day
    and the amount the rules give for that day.

    Nothing when automatic payments are off, or for an invoice that is paid (a bank debit
    still settling included), void, a draft or disputed. A part whose charge day has passed
    and is still owed comes with that day (the job decides about attempts) and the amount due
    on the account's day. By charge day, then part.
    """
    if not policy.offered:
        return []
    st, invoice = account.statement, account.invoice
    if st.status in SETTLED or invoice.status != "issued":
        return []
    plan = len(st.entries) > 1
    charges = []
    for entry in st.entries:
        if entry.amount_due <= 0:
            continue
        n = entry.n if plan else None
        day = invoice.issued if policy.when == "issue" and not plan else entry.due
        amount = amount_due_on(account, n, day)
        if amount > 0:
            charges.append(Charge(invoice.number, n, day, amount, st.currency))
    return sorted(charges, key=lambda c: (c.day, c.instalment or 0))


def promised_until(accounts: Iterable[InvoiceFigures], policy: AutopayPolicy) -> date | None:
    """The day after the first charge day the pages promise ("will be charged … on <day>",
    the charge days on or after the accounts' day): that line is gone from then on, whatever
    became of the charge, so the client's pages change that day. None: nothing promised.

    For the client whose method is saved; a charge on the due day falls on the day the
    invoice turns overdue anyway, a charge on the issue day (``when: issue``) does not.
    """
    days = [
        charge.day
        for account in accounts
        for charge in planned_charges(account, policy)
        if account.day is None or charge.day >= account.day
    ]
    return min(days) + timedelta(days=1) if days else None


def attempt_days(first: date, policy: AutopayPolicy) -> list[date]:
    """The days a charge is attempted: the first, then each retry day after it."""
    return [first, *(first + timedelta(days=d) for d in policy.retry_days)]
