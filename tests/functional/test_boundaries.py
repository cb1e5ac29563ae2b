"""A page changes only at a boundary: built on two days with none between, it is byte-identical.

And the incremental build on a later day re-renders exactly the clients whose pages crossed a
boundary, giving the same site as a full build on that day.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from site_builder.build import build
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

LATER = SAMPLE_TODAY + timedelta(days=6)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def clients(out: Path) -> dict[str, dict]:
    return json.loads((out / "build" / "manifest.json").read_text())["clients"]


def test_pages_differ_only_for_clients_that_crossed_a_boundary(tmp_path: Path) -> None:
    first, later = tmp_path / "first", tmp_path / "later"
    build(SAMPLE, first, SAMPLE_TODAY, secret=SECRET)
    build(SAMPLE, later, LATER, secret=SECRET)
    crossed = {
        cid
        for cid, c in clients(first).items()
        if c["changes_on"] is not None and date.fromisoformat(c["changes_on"]) <= LATER
    }
    assert crossed and crossed != set(clients(first))  # the sample has both kinds
    for cid, c in clients(first).items():
        portal = Path("public") / "c" / c["token"]
        same = tree(first / portal) == tree(later / portal)
        assert same == (cid not in crossed), cid


def test_a_later_incremental_build_equals_a_full_build_that_day(tmp_path: Path) -> None:
    step, full = tmp_path / "step", tmp_path / "full"
    build(SAMPLE, step, SAMPLE_TODAY, secret=SECRET)
    day, rendered = SAMPLE_TODAY, []
    while day < LATER:
        day += timedelta(days=1)
        report = build(SAMPLE, step, day, secret=SECRET)
        assert not report.full
        rendered.append(report.clients_rendered)
    build(SAMPLE, full, LATER, secret=SECRET)
    assert tree(step / "public") == tree(full / "public")
    ledger = lambda out: json.loads((out / "build" / "ledger.json").read_text())["invoices"]  # noqa: E731
    assert ledger(step) == ledger(full)
    assert sum(rendered) < 8 * len(rendered)  # not every client every day
    assert build(SAMPLE, step, LATER, secret=SECRET).clients_rendered == 0


def test_overdue_appears_the_day_after_the_due_date(tmp_path: Path) -> None:
    number, due = "INV-2026-0131", date(2026, 11, 28)  # xinghe, open
    pages = {}
    for day in (due, due + timedelta(days=1)):
        out = tmp_path / day.isoformat()
        build(SAMPLE, out, day, secret=SECRET)
        token = clients(out)["xinghe"]["token"]
        pages[day] = (out / "public" / "c" / token / "invoices" / f"{number}.html").read_text()
    assert "badge-overdue" not in pages[due] and "badge-overdue" in pages[due + timedelta(days=1)]


def test_a_receipt_never_changes_after_its_payment(tmp_path: Path) -> None:
    """It states the balance left on its own day, not today's (which late fees move)."""
    trees = []
    for day in (SAMPLE_TODAY, SAMPLE_TODAY + timedelta(days=40)):
        build(SAMPLE, tmp_path / day.isoformat(), day, secret=SECRET)
        public = tmp_path / day.isoformat() / "public"
        trees.append({k: v for k, v in tree(public).items() if "/receipts/" in k})
    assert trees[0] and trees[0] == trees[1]
    assert any(b"Remaining balance" in page for page in trees[0].values())
