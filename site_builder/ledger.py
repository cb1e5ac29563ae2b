"""``build/ledger.json``: the contract between the build and the payment functions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from site_builder.billing import PaymentRecord
from site_builder.billing.account import next_statement_change
from site_builder.billing.reminders import Cadence
from site_builder.bundle import Account
from site_builder.model import Invoice, Tax


def ledger_entry(
    client_id: str,
    account: Account,
    reminders: Cadence | None = None,
    pages_change: date | None = None,
) -> dict[str, Any]:
    """What the functions need to know about one invoice, as of the build's day.

    ``reminders``: the client's resolved reminder schedule, from which the store works out
    each entry's next reminder day (``Cadence.to_json``). ``pages_change``: the first day the
    client's pages differ from the build's (``pages_change``), when the daily job re-publishes
    them.
    """
    inv, st = account.invoice, account.statement
    payments = sorted(account.payments, key=lambda p: (p.date, p.id))
    settled = settled_on(account)
    entry = {
        "client": client_id,
        "currency": inv.currency,
        "issued": inv.issued.isoformat(),
        "due": st.due.isoformat(),
        "status": st.status,
        "total": st.totals.total,
        "paid": st.paid,
        "late_fees": st.late_fees,
        "discount": st.discount_offered or st.discount,
        "amount_due": st.amount_due,
        "instalments": [
            {
                "n": e.n,
                "kind": e.kind,
                "due": e.due.isoformat(),
                "amount": e.amount,
                "paid": e.paid,
                "late_fees": e.late_fees,
                "amount_due": e.amount_due,
            }
            for e in st.entries
        ],
        # For receivables (portal status, the agency report), which read the
        # ledger instead of 150,000 content files: the day the invoice was paid
        # in full, and each payment counted (net of refunds) with its day.
        "settled": settled.isoformat() if settled is not None else None,
        "payments": [_payment(p) for p in payments],
        # What the client paid beyond what this invoice owed (net of refunds), less what of it
        # was applied to its other invoices: the client's credit, for a person to refund or
        # apply (portal status says so). A client's credit balance is the sum over its invoices.
        "credit": st.credit,
        # the lines as the client reads them, as a digest: an "updated invoice" email is sent
        # when they change (functions/deliveries.py), not when the memo does
        "lines": lines_digest(inv),
    }
    if reminders is not None:
        entry["reminders"] = reminders.to_json()
    entry["pages_change"] = pages_change.isoformat() if pages_change else None
    return entry


def lines_digest(invoice: Invoice) -> str:
    """A short digest of the invoice's lines: what, how many, at what price, of what kind."""
    lines = [
        [i.kind, i.description, _num(i.quantity), _num(i.unit_price), i.taxable, _rate(i.tax)]
        for i in invoice.items
    ]
    data = json.dumps([lines, _rate(invoice.tax)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"  # 4500, 4500.0 and 4500.00 are one price


def _rate(tax: Tax | None) -> list[str] | None:
    return None if tax is None else [tax.label, _num(tax.percent)]


def _payment(payment: PaymentRecord) -> dict[str, Any]:
    """A payment counted, net of refunds; credit applied names the invoice it came from, as
    it is no money received (receivables count the money once, on the invoice it paid)."""
    entry: dict[str, Any] = {
        "id": payment.id,
        "date": payment.date.isoformat(),
        "amount": payment.net,
    }
    if payment.credit_from is not None:
        entry["credit_from"] = payment.credit_from
    return entry


def pages_change(accounts: Iterable[Account], *more: date | None) -> date | None:
    """The first day any of a client's pages differs from today's: the earliest change of its
    open invoices' figures, of its statement of account (an open invoice entering an older
    aging bucket), or of ``more`` (a retainer's next period)."""
    accounts = list(accounts)
    days = [a.timeline.next_change for a in accounts]  # None for a settled invoice
    if (today := next((a.day for a in accounts if a.day is not None), None)) is not None:
        days.append(next_statement_change(accounts, today))
    return min((d for d in [*days, *more] if d is not None), default=None)


def settled_on(account: Account) -> date | None:
    """The day a paid invoice's last needed payment arrived; None unless it is paid.

    Settling took the invoice's total, plus the late fees that had fallen due,
    less a discount taken: what was paid less any overpayment. The payment that
    brought the running sum to that is the one that settled it.
    """
    st = account.statement
    if st.status != "paid":
        return None
    needed = st.paid - st.overpaid
    if needed <= 0:  # nothing was owed (a zero total)
        return account.invoice.issued
    running = 0
    for payment in sorted(account.payments, key=lambda p: (p.date, p.id)):
        running += payment.net
        if running >= needed:
            return payment.date
    return None  # not reached: a paid statement's payments cover what it needed
