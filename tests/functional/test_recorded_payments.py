"""`portal build` and the store: recorded payments count, and the store gets the ledger."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.recorded import by_client
from functions.store import Change, Payment, SqliteStore
from portal.cli import app
from site_builder.build import build
from site_builder.tokens import client_token
from tests.conftest import SAMPLE_TODAY, SECRET

CARD = Payment(
    "pi_recorded",
    "INV-2026-0130",
    "harbor-light",
    165000,
    "USD",
    "2026-11-20",
    "card",
    "succeeded",
)


def ledger(out: Path) -> dict[str, dict]:
    return json.loads((out / "build" / "ledger.json").read_text())["invoices"]


def portal(out: Path, client: str = "harbor-light") -> Path:
    return out / "public" / "c" / client_token(SECRET, client, 1)


def rebuild(content: Path, out: Path, store: SqliteStore):  # type: ignore[no-untyped-def]
    return build(content, out, SAMPLE_TODAY, secret=SECRET, recorded=by_client(store))


def test_a_recorded_payment_rerenders_only_its_client(content: Path, tmp_path: Path) -> None:
    out, store = tmp_path / "out", SqliteStore(tmp_path / "store.sqlite3")
    rebuild(content, out, store)
    assert ledger(out)["INV-2026-0130"]["status"] == "open"

    store.apply(Change("evt_1", payments=[CARD]))
    report = rebuild(content, out, store)
    assert (report.clients_rendered, report.full) == (1, False)
    assert ledger(out)["INV-2026-0130"]["status"] == "paid"
    assert set(report.ledger_changes) >= {"INV-2026-0130"}
    # the receipt is named by the store's number, never by Stripe's id
    assert store.payment("pi_recorded").receipt == "R-2026-0001"  # type: ignore[union-attr]
    assert (portal(out) / "receipts" / "R-2026-0001.html").exists()
    assert not (portal(out) / "receipts" / "pi_recorded.html").exists()
    # the snapshot stays content-only: the functions add the store's payments themselves
    snapshot = json.loads((out / "build" / "clients" / "harbor-light.json").read_text())
    assert "pi_recorded" not in {p["id"] for p in snapshot["payments"]}

    assert rebuild(content, out, store).clients_rendered == 0  # nothing new recorded


def test_refunds_and_disputes_reach_the_pages(content: Path, tmp_path: Path) -> None:
    out, store = tmp_path / "out", SqliteStore(tmp_path / "store.sqlite3")
    store.apply(Change("evt_1", payments=[CARD]))
    rebuild(content, out, store)
    store.apply(Change("evt_2", payments=[replace(CARD, refunded=65000)]))
    rebuild(content, out, store)
    entry = ledger(out)["INV-2026-0130"]
    assert (entry["paid"], entry["amount_due"]) == (100000, 65000)  # the balance reopens
    receipt = (portal(out) / "receipts" / "R-2026-0001.html").read_text()
    assert "Refunded" in receipt and "$650.00" in receipt

    store.apply(Change("evt_3", payments=[replace(CARD, disputed=True)]))
    rebuild(content, out, store)
    assert ledger(out)["INV-2026-0130"]["status"] == "disputed"
    page = (portal(out) / "invoices" / "INV-2026-0130.html").read_text()
    assert "Disputed" in page and 'name="invoice"' not in page  # no Pay button


def test_portal_build_loads_the_ledger_into_the_store(content: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "store.sqlite3"
    result = CliRunner().invoke(
        app,
        [
            "build",
            "--content",
            str(content),
            "--out",
            str(tmp_path / "out"),
            "--today",
            SAMPLE_TODAY.isoformat(),
            "--store",
            str(store_path),
        ],
        env={"PORTAL_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output
    built = ledger(tmp_path / "out")
    store = SqliteStore(store_path)
    assert {n: store.invoice(n) for n in built} == built


def test_a_bank_debit_still_settling_shows_as_processing(content: Path, tmp_path: Path) -> None:
    out, store = tmp_path / "out", SqliteStore(tmp_path / "store.sqlite3")
    debit = replace(CARD, id="pi_debit", method="bank_debit", status="pending")
    store.apply(Change("evt_1", payments=[debit]))
    rebuild(content, out, store)
    # counted (no second Pay button, no reminder), shown as processing, no receipt yet
    assert ledger(out)["INV-2026-0130"]["status"] == "paid"
    index = (portal(out) / "index.html").read_text()
    page = (portal(out) / "invoices" / "INV-2026-0130.html").read_text()
    for html in (index, page):
        assert "Payment processing" in html and "is on its way" in html
    assert 'value="INV-2026-0130"' not in index
    assert not list((portal(out) / "receipts").glob("R-*.html"))  # no number, no receipt

    store.apply(Change("evt_2", payments=[replace(debit, status="succeeded")]))
    assert rebuild(content, out, store).clients_rendered == 1
    page = (portal(out) / "invoices" / "INV-2026-0130.html").read_text()
    assert "Payment processing" not in page and "Paid in full" in page
    assert (portal(out) / "receipts" / "R-2026-0001.html").exists()  # numbered as it settled


def test_a_partly_covered_invoice_says_what_is_on_its_way(content: Path, tmp_path: Path) -> None:
    out, store = tmp_path / "out", SqliteStore(tmp_path / "store.sqlite3")
    part = replace(CARD, id="pi_part", amount=50000, method="bank_debit", status="pending")
    store.apply(Change("evt_1", payments=[part]))
    rebuild(content, out, store)
    page = (portal(out) / "invoices" / "INV-2026-0130.html").read_text()
    assert "Your payment of $500.00 is on its way" in page
    assert "Partly paid" in page and 'name="invoice"' in page  # the rest is still payable


def test_a_stored_payment_that_is_no_payment_is_named_and_the_build_goes_on(
    content: Path, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    poisoned = replace(CARD, id="pi_x/../../../../tmp/x", invoice="INV-2026-0131", client="xinghe")
    store.apply(Change("evt_1", payments=[CARD]))
    store.apply(Change("evt_2", payments=[poisoned]))
    problems: list[str] = []
    assert [p.id for p in by_client(store, problems)["harbor-light"]] == ["pi_recorded"]
    assert len(problems) == 1 and "pi_x/../../../../tmp/x" in problems[0]

    result = CliRunner().invoke(
        app,
        ["build", "--content", str(content), "--out", str(tmp_path / "out"),
         "--store", str(tmp_path / "store.sqlite3"), "--today", SAMPLE_TODAY.isoformat()],
        env={"PORTAL_SECRET": SECRET, "CI": "1"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "pi_x/../../../../tmp/x" in result.stderr and "not counted" in result.stderr
    assert ledger(tmp_path / "out")["INV-2026-0130"]["status"] == "paid"
    assert not Path("/tmp/x").exists()


def test_a_build_without_store_touches_none(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scratch build never writes into the store `portal serve` uses: only --store does."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PORTAL_STORE", raising=False)
    args = ["build", "--content", str(content), "--out", "out", "--today", "2026-11-23"]
    result = CliRunner().invoke(app, args, env={"PORTAL_SECRET": SECRET, "CI": "1"})
    assert result.exit_code == 0, result.output
    assert not (tmp_path / ".portal").exists()
    assert (tmp_path / "out" / "build" / "ledger.json").exists()
