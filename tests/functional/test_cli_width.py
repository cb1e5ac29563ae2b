"""The command's output fits the terminal: no cell wraps, no sentence is broken by rich.

Each test builds the sample (a copy in tmp_path) through the command, then reads what the
command prints with COLUMNS set as a terminal of that width would. The reminders' table is
checked against the same run's --format json, which has every field.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

from click.testing import Result
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from functions.reminders.job import ReminderRow
from portal.cli import app
from portal.remind_output import for_terminal
from site_builder.formatting import format_money
from tests.conftest import SAMPLE_TODAY, SECRET
from tests.functional.sample_csv import sample_csv

LATER = date(2027, 1, 20)  # 21 reminders, the longest invoice number among them


def run(columns: int, *argv: str) -> Result:
    env = {"PORTAL_SECRET": SECRET, "CI": "1", "COLUMNS": str(columns)}
    return CliRunner().invoke(app, list(argv), env=env)


def build(content: Path, tmp_path: Path, columns: int = 80) -> tuple[list[str], Result]:
    """Build the sample as `portal build` does; the arguments `portal remind` then needs."""
    where = ["--content", str(content), "--out", str(tmp_path / "out")]
    where += ["--store", str(tmp_path / "store.sqlite3")]
    result = run(columns, "build", *where, "--today", SAMPLE_TODAY.isoformat())
    assert result.exit_code == 0, result.output
    return where, result


def remind(columns: int, where: list[str], day: date, *more: str) -> str:
    result = run(columns, "remind", *where, "--dry-run", "--today", day.isoformat(), *more)
    assert result.exit_code == 0, result.output
    return result.stdout


def reminders(where: list[str], day: date) -> list[dict]:
    return json.loads(remind(80, where, day, "--format", "json"))["reminders"]


def widest(text: str) -> int:
    return max(cell_len(line) for line in text.splitlines())


def test_the_build_summary_is_one_line_however_narrow(content: Path, tmp_path: Path) -> None:
    _, result = build(content, tmp_path, columns=60)
    summary = [line for line in result.stdout.splitlines() if "written in" in line]
    assert len(summary) == 1 and summary[0].endswith(" s."), result.stdout
    assert summary[0].startswith("Built 43 invoices (full): 8 clients rendered")


def test_at_80_columns_each_reminder_is_one_line_of_the_table(
    content: Path, tmp_path: Path
) -> None:
    where, _ = build(content, tmp_path)
    for day in (SAMPLE_TODAY, LATER):
        every = reminders(where, day)
        shown = remind(80, where, day)
        assert widest(shown) <= 80, shown
        rows = [line for line in shown.splitlines() if line.startswith("│ ")]
        assert len(rows) == len(every), shown  # no cell wrapped onto a line of its own
        for row, reminder in zip(rows, every, strict=True):
            number = reminder["invoice"]
            if reminder["instalment"]:
                number += f" #{reminder['instalment']}"
            cells = [cell.strip() for cell in row.strip("│ ").split(" │ ")]
            assert cells[:2] == [number, reminder["amount_due"]], row
            subject = cells[-1].removesuffix("…").rstrip()  # a wide character may leave a space
            assert subject and reminder["subject"].startswith(subject), row
        assert "left out: to, tone, lang, step, cc" in shown  # and it says how to see them
        assert "--format csv or json shows every field." in shown
        assert f"{len(every)} reminders would be queued; " in shown


def test_at_200_columns_every_field_shows(content: Path, tmp_path: Path) -> None:
    where, _ = build(content, tmp_path)
    shown = remind(200, where, SAMPLE_TODAY)
    assert widest(shown) <= 200
    rows = [line for line in shown.splitlines() if line.startswith("│ ")]
    assert len(rows) == 17
    header = next(line for line in shown.splitlines() if line.startswith("┃ "))
    assert [h.strip() for h in header.strip("┃ ").split(" ┃ ")] == [
        "invoice",
        "step",
        "tone",
        "lang",
        "to",
        "cc",
        "amount due",
        "subject",
    ]
    first = rows[0]
    for words in ("INV-2026-0125", "overdue-14", "firm", "ms", "faiz@batikwarisan.example"):
        assert f" {words} " in first
    assert "akaun@batikwarisan.example +1" in first  # and the second address in the CSV
    assert "Invois INV-2026-0125 telah lewat 18 hari" in first


def test_a_narrow_terminal_gets_one_line_per_reminder(content: Path, tmp_path: Path) -> None:
    where, _ = build(content, tmp_path)
    every = reminders(where, LATER)
    shown = remind(60, where, LATER).splitlines()
    assert max(map(cell_len, shown)) <= 60
    assert shown[0] == f"Would send on {LATER.isoformat()}"
    lines = shown[1 : 1 + len(every)]
    for line, reminder in zip(lines, every, strict=True):
        assert line.startswith(reminder["invoice"]) and reminder["amount_due"] in line
    assert shown[1 + len(every) :][:2] == [
        "Compact form at 60 columns.",
        "--format csv or json shows every field.",
    ]


def test_csv_and_json_have_every_address(content: Path, tmp_path: Path) -> None:
    where, _ = build(content, tmp_path)
    every = reminders(where, SAMPLE_TODAY)
    assert len(every) == 17
    first = every[0]
    assert first["to"] == ["akaun@batikwarisan.example", "siti.hajar@batikwarisan.example"]
    assert first["cc"] == ["faiz@batikwarisan.example"]
    table = remind(80, where, SAMPLE_TODAY, "--format", "csv").splitlines()
    assert table[0].startswith("invoice,instalment,step,tone,client,locale,to,cc,")
    assert len(table) == 1 + 17
    assert "akaun@batikwarisan.example siti.hajar@batikwarisan.example" in table[1]


def test_the_import_summary_is_not_broken_mid_sentence(content: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(sample_csv(content, SAMPLE_TODAY), encoding="utf-8")
    where = ["--content", str(content), "--store", str(tmp_path / "store.sqlite3")]
    result = run(80, "import", str(export), *where, "--dry-run")
    summary = [line for line in result.stdout.splitlines() if line.startswith("Would import")]
    assert len(summary) == 1 and summary[0].endswith(" problems)."), result.stdout
    assert "0 new clients; 6 invoices not imported" in summary[0]


def row(n: int, subject: str, to: int = 1) -> ReminderRow:
    return ReminderRow(
        invoice=f"INV-{n:05d}",
        instalment=n % 3,
        step="overdue-30",
        tone="firm",
        client=f"client-{n}",
        locale="zh_Hans",
        to=tuple(f"accounts-{i}@client-{n}.example" for i in range(to)),
        cc=(f"leadership@client-{n}.example",),
        amount_due="US$12,345.67",
        subject=subject,
        key=f"reminder:INV-{n:05d}:{n % 3}:overdue-30",
    )


def test_hundreds_of_reminders_fit_any_width_one_line_each() -> None:
    subject = "发票 INV-2026-0122 第 2 期款项已逾期 51 天 "  # two columns a character
    rows = [row(n, subject * (n % 4), to=n % 3) for n in range(300)]
    for width in (24, 40, 59, 60, 64, 80, 81, 100, 120, 160, 200, 250, 400):
        shown, notes = for_terminal(rows, "Would send on 2027-01-20", width)
        out = Console(width=width, file=io.StringIO(), color_system=None)
        out.print(shown)
        lines = out.file.getvalue().splitlines()
        assert max(map(cell_len, lines)) <= width, width
        body = [line for line in lines if line.startswith(("│", "INV-"))]
        assert len(body) == len(rows), width
        assert notes == [] or notes[-1] == "--format csv or json shows every field."


def status(columns: int, where: list[str], *more: str) -> str:
    where = [w for w in where if not w.endswith("store.sqlite3") and w != "--store"]
    result = run(columns, "status", *where, *more)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_status_never_cuts_a_figure_short(content: Path, tmp_path: Path) -> None:
    where, _ = build(content, tmp_path)
    document = json.loads(status(80, where, "--format", "json"))
    figures = {
        code: [c["open"], c["overdue"], *c["aging"].values()]
        for code, c in document["currencies"].items()
    }
    for columns in (40, 60, 80, 120):
        shown = status(columns, where)
        # prose (the heading, the notes) is soft-wrapped by the terminal; tables and figures fit
        prose = ("Northwind Studio:", "Late payer:", "At ")
        fitted = "\n".join(line for line in shown.splitlines() if not line.startswith(prose))
        assert widest(fitted) <= columns, shown
        assert "…" not in shown, shown
        for code, amounts in figures.items():
            for amount in amounts:
                assert format_money(amount, code, "en") in shown, (columns, code, amount)
    assert "│ EUR " in status(80, where)  # 80 columns still get tables
