"""bench/floors.py counts what the build read and wrote, and leaves nothing of its copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import floors
from bench.generate import generate
from site_builder.build import build
from tests.conftest import SAMPLE_TODAY, SECRET


def test_floors_times_every_file_and_removes_its_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(tmp_path / "content", 4, 3, 11, SAMPLE_TODAY)
    report = build(tmp_path / "content", tmp_path / "site", SAMPLE_TODAY, secret=SECRET)
    before = sorted(p.name for p in tmp_path.iterdir())

    assert floors.main(["--workdir", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    public = sum(1 for p in (tmp_path / "site" / "public").rglob("*") if p.is_file())
    assert public == report.pages_written + 2  # the stylesheet and robots.txt
    content = sum(1 for p in (tmp_path / "content").rglob("*") if p.is_file())
    assert f"content: 4 clients, {content} files" in out
    assert f"public/: {public} files" in out
    figures = re.findall(r"(-?\d+\.\d+) (?:s|ms)\b", out)
    assert len(figures) == 5 and all(float(f) >= 0 for f in figures[:4])
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_floors_asks_for_a_build_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert floors.main(["--workdir", str(tmp_path)]) == 2
    assert "run bench/build.py first" in capsys.readouterr().err
