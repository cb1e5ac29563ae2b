"""Overpayment is a credit: on the client's pages, in the ledger and in `portal status`.

The sample with two changes: Thames & Rowe paid INV-2026-0108 (£6,480.00) with £6,600.00,
and the agency applied £100.00 of the £120.00 over to INV-2026-0132 on 20 November; and
Wiślane Smaki paid INV-2026-0124 a second time in part (200.00 zł over). Built for the
sample's day, 2026-11-23.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portal.cli import app
from site_builder.build import build
from site_builder.errors import ContentInvalid
from site_builder.formatting import format_money
from site_builder.receivables.report import write_report
from tests.conftest import SAMPLE_TODAY, SECRET
from tests.functional.test_status import CURRENCIES

APPLIED = """\
invoice: INV-2026-0132
amount: "100.00"
date: 2026-11-20
method: credit
from: INV-2026-0108
"""
TWICE = """\
invoice: INV-2026-0124
amount: "200.00"
date: 2026-10-31
method: bank_transfer
reference: "Przelew, tytuł: INV-2026-0124 (ponownie)"
"""


def overpaid(content: Path, refunded: str | None = None) -> None:
    """Thames & Rowe's £120.00 over on INV-2026-0108 (``refunded``: sent back, in part)."""
    path = content / "payments" / "pay-2026-08-01-thames-rowe.yaml"
    text = path.read_text(encoding="utf-8").replace('"6480.00"', '"6600.00"')
    path.write_text(text + (f'refunded: "{refunded}"\n' if refunded else ""), encoding="utf-8")


def write(content: Path, name: str, text: str) -> Path:
    path = content / "payments" / name
    path.write_text(text, encoding="utf-8")
    return path


def portal(out: Path, client: str) -> Path:
    tokens = json.loads((out / "build" / "manifest.json").read_text())["clients"][client]
    return out / "public" / "c" / tokens["token"]


def ledger(out: Path) -> dict:
    return json.loads((out / "build" / "ledger.json").read_text())["invoices"]


def status(content: Path, out: Path, *args: str) -> str:
    argv = ["status", "--out", str(out), "--content", str(content), *args]
    result = CliRunner().invoke(app, [*argv, "--store", str(out / "no-store.sqlite3")])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def built(content: Path, tmp_path: Path) -> Path:
    overpaid(content)
    write(content, "credit-2026-11-20-thames-rowe.yaml", APPLIED)
    write(content, "pay-2026-10-31-wislane-smaki.yaml", TWICE)
    out = tmp_path / "out"
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    return out


def test_the_credit_is_on_the_client_pages(built: Path) -> None:
    site = portal(built, "thames-rowe")
    index = (site / "index.html").read_text()
    assert "Credit: £20.00 — we will refund it or apply it to your next invoice." in index
    assert "Applied credit from INV-2026-0108</td><td>20 November 2026</td>" in index
    source = (site / "invoices" / "INV-2026-0108.html").read_text()
    assert "Paid £6,600.00 of £6,480.00: £20.00 in credit." in source
    assert "£100.00 of the credit applied to invoice INV-2026-0132 on 20 November 2026." in source
    target = (site / "invoices" / "INV-2026-0132.html").read_text()
    assert "Applied credit from INV-2026-0108 · 20 November 2026 · £100.00" in target
    # credit applied is no money received: no receipt, on the page or as a page of its own
    assert not list((site / "receipts").glob("credit-*"))
    assert "credit-2026-11-20" not in index
    # the client's other invoices say nothing of credit
    other = (site / "invoices" / "INV-2026-0116.html").read_text()
    assert "in credit" not in other and "Applied credit" not in other


def test_the_credit_is_in_the_clients_language(built: Path) -> None:
    index = (portal(built, "wislane-smaki") / "index.html").read_text()
    amount = format_money(20000, "PLN", "pl")
    assert (
        f"Nadpłata: {amount} — zwrócimy ją albo zaliczymy na poczet Twojej następnej faktury."
        in index
    )
    # a client without an overpayment sees no credit line
    assert "Credit:" not in (portal(built, "harbor-light") / "index.html").read_text()


def test_the_ledger_keeps_the_credit_and_counts_the_money_once(built: Path) -> None:
    entries = ledger(built)
    source, target = entries["INV-2026-0108"], entries["INV-2026-0132"]
    assert (source["status"], source["paid"], source["credit"]) == ("paid", 660000, 2000)
    assert (target["status"], target["paid"], target["credit"]) == ("partially_paid", 10000, 0)
    assert target["amount_due"] == 1052000 - 10000  # the credit paid part of it
    assert target["payments"] == [
        {
            "id": "credit-2026-11-20-thames-rowe",
            "date": "2026-11-20",
            "amount": 10000,
            "credit_from": "INV-2026-0108",
        }
    ]
    assert entries["INV-2026-0124"]["credit"] == 20000
    assert sum(e["credit"] for e in entries.values()) == 2000 + 20000


def test_portal_status_names_the_credit(built: Path, content: Path) -> None:
    table = status(content, built, "--today", SAMPLE_TODAY.isoformat())
    assert "thames-rowe has £20.00 in credit (INV-2026-0108): refund it or apply it" in table
    assert "wislane-smaki has PLN" in table  # the agency's locale (en) writes the amounts
    doc = json.loads(status(content, built, "--format", "json"))
    assert doc["attention"]["credits"] == [
        {"client": "thames-rowe", "currency": "GBP", "amount": 2000, "invoices": ["INV-2026-0108"]},
        {
            "client": "wislane-smaki",
            "currency": "PLN",
            "amount": 20000,
            "invoices": ["INV-2026-0124"],
        },
    ]
    only = json.loads(status(content, built, "--format", "json", "--client", "thames-rowe"))
    assert [c["client"] for c in only["attention"]["credits"]] == ["thames-rowe"]
    # collected: the £120.00 over in August, once; the £100.00 applied is no money collected
    gbp, sample = doc["currencies"]["GBP"], CURRENCIES["GBP"]
    assert gbp["open"] == sample["open"] - 10000
    assert gbp["paid_this_month"] == sample["paid_this_month"]
    months = {m["month"]: m["collected"] for m in gbp["months"]}
    expected = {m["month"]: m["collected"] for m in sample["months"]}
    assert months == {**expected, "2026-08": expected["2026-08"] + 12000}
    # and the agency's report, in the same words
    report = write_report(built, content).read_text()
    assert (
        "<strong>Credit</strong>: thames-rowe has £20.00 in credit (INV-2026-0108): "
        "refund it or apply it" in report
    )


def test_a_refunded_overpayment_is_no_credit(content: Path, tmp_path: Path) -> None:
    overpaid(content, refunded="120.00")
    out = tmp_path / "out"
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    assert ledger(out)["INV-2026-0108"]["credit"] == 0
    page = (portal(out, "thames-rowe") / "invoices" / "INV-2026-0108.html").read_text()
    assert "in credit" not in page and "Paid £6,600.00 of" not in page
    assert "Credit:" not in (portal(out, "thames-rowe") / "index.html").read_text()
    assert "in credit" not in status(content, out)
    # and there is none left to apply: the build names the file, line and field
    path = write(content, "credit-2026-11-20-thames-rowe.yaml", APPLIED)
    with pytest.raises(ContentInvalid) as caught:
        build(content, out, SAMPLE_TODAY, secret=SECRET)
    (error,) = caught.value.errors
    assert (error.path, error.line, error.field) == (
        f"payments/{path.name}",
        2,
        "amount",
    )
    assert error.message == (
        "more than the credit on invoice INV-2026-0108 on 2026-11-20: 0.00 GBP left to apply"
    )


def test_credit_from_another_clients_invoice_is_refused(content: Path, tmp_path: Path) -> None:
    overpaid(content)
    # INV-2026-0124 is Wiślane Smaki's, in PLN: credit stays with its client
    write(content, "credit-x.yaml", APPLIED.replace("INV-2026-0108", "INV-2026-0124"))
    with pytest.raises(ContentInvalid) as caught:
        build(content, tmp_path / "out", SAMPLE_TODAY, check_only=True, secret=SECRET)
    (error,) = caught.value.errors
    assert (error.path, error.line, error.field) == ("payments/credit-x.yaml", 5, "from")
    assert error.message.startswith("no invoice 'INV-2026-0124' of client thames-rowe")
