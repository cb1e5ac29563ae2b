"""The agency report, build/report.html: written by portal build, private, charts as inline SVG."""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portal.cli import app
from site_builder.receivables.report import render_report
from tests.conftest import SAMPLE_TODAY, SECRET

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    argv = ["build", "--out", str(root / "out"), "--today", SAMPLE_TODAY.isoformat()]
    argv += ["--store", str(root / "store.sqlite3")]
    result = CliRunner().invoke(app, argv, env={"PORTAL_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    assert "report" in result.output
    return root / "out"


@pytest.fixture(scope="module")
def html(out: Path) -> str:
    return (out / "build" / "report.html").read_text(encoding="utf-8")


def charts(html: str, kind: str) -> list[ET.Element]:
    """Every inline SVG of one class, parsed as XML (so each must be well-formed)."""
    pattern = rf'<svg xmlns="http://www.w3.org/2000/svg" class="{kind}".*?</svg>'
    found = re.findall(pattern, html, re.S)
    return [ET.fromstring(svg) for svg in found]


def number(element: ET.Element, name: str) -> Decimal:
    return Decimal(element.attrib[name])


def test_the_report_is_private(out: Path) -> None:
    assert (out / "build" / "report.html").is_file()
    assert not list((out / "public").rglob("report*"))


def test_aging_bars_split_what_is_open_in_proportion(html: str) -> None:
    bars = charts(html, "aging-bar")
    assert len(bars) == 6  # EUR GBP JPY MYR PLN USD
    usd = bars[-1]
    assert "USD" in usd.find(f"{SVG}title").text  # type: ignore[union-attr]
    width = number(usd, "width")
    segments = [r for r in usd.iter(f"{SVG}rect") if "data-amount" in r.attrib]
    amounts = {r.attrib["data-bucket"]: int(r.attrib["data-amount"]) for r in segments}
    # the hand-computed USD aging of test_status: current, 1-30 days (0127), 31-60 (0120)
    assert amounts == {"current": 3559000, "days_1_30": 420137, "days_31_60": 306996}
    total = sum(amounts.values())
    left = Decimal(0)
    for rect in segments:
        assert number(rect, "x") == left  # side by side, no gap, no overlap
        share = Decimal(rect.attrib["data-amount"]) / total * width
        assert abs(number(rect, "width") - share) <= Decimal("0.01")
        assert number(rect, "height") == number(usd, "height")
        left += number(rect, "width")
    assert left == width
    for bar in bars:  # every currency's bar is whole
        parts = [r for r in bar.iter(f"{SVG}rect") if "data-amount" in r.attrib]
        assert parts and sum(number(r, "width") for r in parts) == number(bar, "width")


def test_monthly_charts_have_two_bars_a_month_on_one_scale(html: str) -> None:
    for chart in charts(html, "month-chart"):
        bars = [r for r in chart.iter(f"{SVG}rect") if "data-series" in r.attrib]
        assert len(bars) == 24
        assert {b.attrib["data-series"] for b in bars} == {"invoiced", "collected"}
        months = [b.attrib["data-month"] for b in bars]
        assert months[0] == "2025-12" and months[-1] == "2026-11"
        baseline = max(number(b, "y") + number(b, "height") for b in bars)
        peak = max(int(b.attrib["data-amount"]) for b in bars)
        tallest = max(number(b, "height") for b in bars)
        assert 0 < tallest < number(chart, "height")
        for bar in bars:
            assert number(bar, "width") > 0
            assert number(bar, "y") + number(bar, "height") == baseline  # all stand on zero
            expected = tallest * int(bar.attrib["data-amount"]) / peak
            assert abs(number(bar, "height") - expected) <= Decimal("0.01")
    usd = charts(html, "month-chart")[-1]
    may = {
        b.attrib["data-series"]: int(b.attrib["data-amount"])
        for b in usd.iter(f"{SVG}rect")
        if b.attrib.get("data-month") == "2026-05"
    }
    assert may == {"invoiced": 1978640, "collected": 1978640}


def test_the_late_payer_table(html: str) -> None:
    section = html[html.index('id="late-payers"') : html.index('id="overdue"')]
    flagged = re.findall(r'<tr class="flagged"><th scope="row">([^<]+)</th>', section)
    assert flagged == ["open-trails"]
    assert '<th scope="row">thames-rowe</th><td>2</td><td>1</td><td>50%</td>' in section


def test_nothing_from_another_origin_and_no_script(html: str) -> None:
    assert "<script" not in html.lower()
    urls = re.findall(r'(?:src|href|action)\s*=\s*"([^"]*)"', html)
    assert not [u for u in urls if re.match(r"(?:[a-z]+:)?//", u)]
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert addresses == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1).replace("&#39;", "'")
    assert "default-src 'none'" in policy and "script-src" not in policy
    # the one inline stylesheet is allowed by its hash, and it has a print part
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style is not None and "@media print" in style.group(1)
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert ' style="' not in html  # no inline style attribute the policy would block


def test_render_report_is_what_the_build_wrote(out: Path, html: str) -> None:
    content = Path(__file__).resolve().parents[2] / "content"
    store = None  # the build's store was empty as well
    assert render_report(out, content, store) == html
