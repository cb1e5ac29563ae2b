"""A client's snapshot prices its invoices exactly as the build did.

The checkout and the reminders price from ``build/clients/<id>.json``; if the snapshot
lost which term fields a client's file wrote, a client with partial terms (thames-rowe
writes net_days and late_fee) would lose the agency's early-payment discount there.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from functions.snapshots import FolderSnapshots
from site_builder.build import build
from site_builder.bundle import accounts
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET


@pytest.mark.parametrize("day", [date(2026, 11, 10), SAMPLE_TODAY])
def test_snapshots_price_every_invoice_as_the_build_did(tmp_path: Path, day: date) -> None:
    report = build(SAMPLE, tmp_path, day, secret=SECRET)
    snapshots = FolderSnapshots(tmp_path / "build" / "clients")
    priced = {}
    for client in sorted({e["client"] for e in report.ledger_changes.values()}):
        bundle = snapshots.load(client)
        assert bundle is not None
        priced |= {a.invoice.number: a.statement for a in accounts(bundle, day)}
    assert priced.keys() == report.ledger_changes.keys()
    for number, entry in report.ledger_changes.items():
        st = priced[number]
        figures = (st.status, st.amount_due, st.discount_offered or st.discount, st.late_fees)
        assert figures == (
            entry["status"],
            entry["amount_due"],
            entry["discount"],
            entry["late_fees"],
        ), number
    offered = [n for n, e in report.ledger_changes.items() if e["client"] == "thames-rowe"]
    assert day != date(2026, 11, 10) or any(priced[n].discount_offered for n in offered)
