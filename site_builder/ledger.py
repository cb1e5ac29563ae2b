"""``build/ledger.json``: the contract between the build and the payment functions."""

from __future__ import annotations

from typing import Any

from site_builder.billing.reminders import Cadence
from site_builder.bundle import Account


def ledger_entry(
    client_id: str, account: Account, reminders: Cadence | None = None
) -> dict[str, Any]:
    """What the functions need to know about one invoice, as of the build's day.

    ``reminders``: the client's resolved reminder schedule, from which the store works out
    each entry's next reminder day (``Cadence.to_json``).
    """
    inv, st = account.invoice, account.statement
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
    }
    if reminders is not None:
        entry["reminders"] = reminders.to_json()
    return entry
