"""The parallel build (forked workers) writes exactly what the single-process build writes."""

from __future__ import annotations

import json
from pathlib import Path

from bench.generate import generate
from site_builder.build import build
from site_builder.generators import PARALLEL_FROM
from tests.conftest import SAMPLE_TODAY, SECRET
from tests.functional.test_build import digests


def test_workers_change_nothing_but_the_time(tmp_path: Path) -> None:
    content = tmp_path / "content"
    generate(content, 60, 8, 7, SAMPLE_TODAY)
    assert sum(1 for p in content.rglob("*") if p.is_file()) > PARALLEL_FROM

    one = build(content, tmp_path / "one", SAMPLE_TODAY, secret=SECRET, workers=1)
    two = build(content, tmp_path / "two", SAMPLE_TODAY, secret=SECRET, workers=2)

    assert one.pages_written == two.pages_written > 60 * 8
    assert digests(tmp_path / "one" / "public") == digests(tmp_path / "two" / "public")
    ledgers = [
        json.loads((tmp_path / out / "build" / "ledger.json").read_text())["invoices"]
        for out in ("one", "two")
    ]
    assert ledgers[0] == ledgers[1] and len(ledgers[0]) == 60 * 8
