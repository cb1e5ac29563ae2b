"""``build/ledger.json``: the contract between the build and the payment functions."""

from __future__ import annotations

from typing import Any

from site_builder.bundle import Account


def ledger_entry(client_id: str, account: Account) -> dict[str, Any]:
    """What the functions need to know about one invoice, as of the build's day."""
    inv, st = account.invoice, account.statement
    return {
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
