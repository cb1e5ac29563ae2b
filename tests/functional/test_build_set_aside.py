"""A recorded payment the content cannot place is set aside by the build, never fatal.

The store keeps what the webhook recorded; the content may change under it since (an
invoice deleted, or given to another client). The build then leaves that payment out,
says which and why (``BuildReport.set_aside``), and builds everything else.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from functions.recorded import content_payment
from functions.store import Payment
from site_builder.build import build
from site_builder.errors import ContentInvalid
from site_builder.model import Payment as ContentPayment
from site_builder.tokens import client_token
from tests.conftest import SAMPLE_TODAY, SECRET

GOOD = Payment(
    "pi_good", "INV-2026-0130", "harbor-light", 165000, "USD", "2026-11-20", "card", "succeeded"
)


def counted(*payments: Payment) -> dict[str, list[ContentPayment]]:
    grouped: dict[str, list[ContentPayment]] = {}
    for payment in payments:
        found = content_payment(payment)
        assert found is not None
        grouped.setdefault(payment.client, []).append(found)
    return grouped


def ledger(out: Path) -> dict[str, dict]:
    return json.loads((out / "build" / "ledger.json").read_text())["invoices"]


def test_payments_the_content_cannot_place_are_set_aside(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    gone = replace(GOOD, id="pi_gone", invoice="INV-2099-0001")  # no such invoice any more
    moved = replace(GOOD, id="pi_moved", invoice="INV-2026-0131")  # xinghe's, not harbor-light's
    # a payment handed to the build as it is (the store's own are whole minor units)
    finer = ContentPayment(
        id="pi_finer",
        invoice="INV-2026-0130",
        amount=Decimal("10.005"),
        currency="USD",
        date=SAMPLE_TODAY,
    )
    recorded = counted(GOOD, gone, moved)
    recorded["harbor-light"].append(finer)
    report = build(content, out, SAMPLE_TODAY, secret=SECRET, recorded=recorded)
    assert [(s.payment, s.invoice) for s in report.set_aside] == [
        ("pi_gone", "INV-2099-0001"),
        ("pi_moved", "INV-2026-0131"),
        ("pi_finer", "INV-2026-0130"),
    ]
    why = {s.payment: s.why for s in report.set_aside}
    assert why["pi_gone"] == "invoice INV-2099-0001 is not issued in the content"
    assert why["pi_moved"] == "invoice INV-2026-0131 belongs to client xinghe"
    assert why["pi_finer"] == (
        "its amount cannot be counted: 10.005 has more than 2 decimal places for USD"
    )
    assert str(report.set_aside[0]).startswith("payment pi_gone of client harbor-light")
    # everything else is built, the good payment counted, the others not
    assert ledger(out)["INV-2026-0130"]["status"] == "paid"
    assert ledger(out)["INV-2026-0131"]["paid"] == 0
    assert len(report.portals) == 8
    token = client_token(SECRET, "harbor-light", 1)
    assert (out / "public" / "c" / token / "receipts" / "pi_good.html").exists()

    # an unchanged build renders nothing and still says what it leaves out
    again = build(content, out, SAMPLE_TODAY, secret=SECRET, recorded=counted(GOOD, gone, moved))
    assert again.clients_rendered == 1  # pi_finer is gone: harbor-light's inputs moved
    unchanged = build(
        content, out, SAMPLE_TODAY, secret=SECRET, recorded=counted(GOOD, gone, moved)
    )
    assert unchanged.clients_rendered == 0
    assert [s.payment for s in unchanged.set_aside] == ["pi_gone", "pi_moved"]


def test_a_draft_invoice_s_payment_is_set_aside(content: Path, tmp_path: Path) -> None:
    invoice = content / "invoices" / "INV-2026-0130.yaml"
    text = invoice.read_text()
    invoice.write_text(text.replace("client:", "status: draft\nclient:", 1))
    report = build(content, tmp_path / "out", SAMPLE_TODAY, secret=SECRET, recorded=counted(GOOD))
    assert [(s.payment, s.why) for s in report.set_aside] == [
        ("pi_good", "invoice INV-2026-0130 is not issued in the content")
    ]


def test_content_errors_still_stop_the_build(content: Path, tmp_path: Path) -> None:
    (content / "invoices" / "INV-2026-0130.yaml").write_text("client: [\n")
    with pytest.raises(ContentInvalid):
        build(content, tmp_path / "out", SAMPLE_TODAY, secret=SECRET, recorded=counted(GOOD))
    assert not (tmp_path / "out" / "public").exists()
