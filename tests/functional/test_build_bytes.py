"""The build's fast paths change no byte of what it publishes.

The switch: "off" is one process (``workers=1``: files read and clients rendered in turn, no
fork) with a new ``Theme`` (each template compiled in the process that renders); "on" is every
fast path the cold build takes at scale: both forked pools (reading and rendering, made to
run on the small sample by lowering ``PARALLEL_FROM``), the cycle collector paused and frozen
around them, each worker's files written by a background thread, and a ``Theme`` whose
templates were compiled by an earlier build. The calendars (``.ics``), written by hand since
icalendar cost a tenth of the build's CPU, are checked against icalendar's own output in
``tests/unit/test_ics_writer.py``.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from site_builder import build as build_module
from site_builder import generators
from site_builder.build import build
from site_builder.render import Theme
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET


def published(out: Path) -> dict[str, bytes]:
    """Every file a build leaves for the site and the functions, its stamp of the hour aside.

    Not the manifest's files: they are the build's own bookkeeping (stats of the content).
    """
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for folder in (out / "public", out / "build" / "clients")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    files["build/ledger.json"] = (out / "build" / "ledger.json").read_bytes()
    ledger = json.loads(files.pop("build/ledger.json"))
    ledger.pop("generated")  # the wall-clock time of the build
    files["build/ledger.json"] = json.dumps(ledger, sort_keys=True).encode()
    return files


def test_the_fast_paths_publish_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = build(
        SAMPLE,
        tmp_path / "off",
        SAMPLE_TODAY,
        secret=SECRET,
        workers=1,
        pdfs=False,
    )

    warm = Theme()
    build(SAMPLE, tmp_path / "warm-up", SAMPLE_TODAY, secret=SECRET, theme=warm, pdfs=False)
    monkeypatch.setattr(build_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(generators, "PARALLEL_FROM", 1)
    on = build(
        SAMPLE, tmp_path / "on", SAMPLE_TODAY, secret=SECRET, theme=warm, workers=2, pdfs=False
    )

    assert on.pages_written == off.pages_written > 50
    before, after = published(tmp_path / "off"), published(tmp_path / "on")
    assert sorted(after) == sorted(before)
    assert any(name.endswith(".ics") for name in after), "the sample has open invoices"
    assert [name for name in before if before[name] != after[name]] == []


def test_the_build_leaves_the_cycle_collector_as_it_found_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the build pauses it while the parsed files arrive and freezes them while it renders
    monkeypatch.setattr(build_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(generators, "PARALLEL_FROM", 1)
    assert gc.isenabled()
    build(SAMPLE, tmp_path / "out", SAMPLE_TODAY, secret=SECRET, workers=2, pdfs=False)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
