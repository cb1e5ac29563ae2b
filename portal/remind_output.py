"""``portal remind`` output: a table fitted to the terminal, a compact form, JSON and CSV.

The table keeps its columns by priority: the invoice, the amount due and the subject always
(the subject cut short with an ellipsis when it must), then the recipients, tone, language,
step and CC while they fit. A terminal too narrow for the first three gets one line a
reminder. No cell wraps: at 10,000 clients a day has hundreds of reminders, and one screen
line each keeps them readable. JSON and CSV have every field.

The JSON document (``--format json``), keys sorted::

    {
      "schema": 1,
      "day": "YYYY-MM-DD",
      "dry_run": bool,
      "reminders": [REMINDER, ...],      queued (with --dry-run: would be queued)
      "sent_before": [REMINDER, ...],    another run queued them first
      "waiting": int,                    nothing due today; looked at again on a later day
      "closed": int,                     paid, void or disputed: nothing more to send
      "looked_at": int,
      "problems": ["<text>", ...],
      "statements": [STATEMENT, ...]     the monthly statement emails queued (dry: would be)
    }

    REMINDER: {"invoice", "instalment" (0: the whole invoice), "step", "tone", "client",
               "locale", "to": [address, ...], "cc": [address, ...],
               "amount_due" (formatted, as in the email), "subject", "key" (the outbox's)}
    STATEMENT: {"client", "month" (YYYY-MM), "locale", "to": [address, ...],
                "closing" (per currency, formatted), "key" (the outbox's)}

New keys may be added; the keys above keep their meaning.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import orjson
from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text

from portal.fitting import Column, fitted

if TYPE_CHECKING:
    from functions.reminders.job import ReminderRow, RemindReport

SCHEMA = 1
CSV_COLUMNS = (
    "invoice",
    "instalment",
    "step",
    "tone",
    "client",
    "locale",
    "to",
    "cc",
    "amount_due",
    "subject",
    "key",
)


def _invoice(row: ReminderRow) -> str:
    return f"{row.invoice} #{row.instalment}" if row.instalment else row.invoice


def _addresses(found: tuple[str, ...]) -> str:
    # the first and how many more: one line whatever the count (JSON and CSV have them all)
    if len(found) > 1:
        return f"{found[0]} +{len(found) - 1}"
    return found[0] if found else ""


# Most useful first: the last are the first left out.
COLUMNS = (
    Column("invoice", essential=True),
    Column("amount due", essential=True, justify="right"),
    Column("subject", least=20, want=48, essential=True),
    Column("to", least=24),
    Column("tone"),
    Column("lang"),
    Column("step"),
    Column("cc", least=24),
)
CELLS: dict[str, Callable[[ReminderRow], str]] = {
    "invoice": _invoice,
    "amount due": lambda r: r.amount_due,
    "subject": lambda r: r.subject,
    "to": lambda r: _addresses(r.to),
    "tone": lambda r: r.tone,
    "lang": lambda r: r.locale,
    "step": lambda r: r.step,
    "cc": lambda r: _addresses(r.cc),
}
SHOWN_ORDER = ("invoice", "step", "tone", "lang", "to", "cc", "amount due", "subject")
EVERY_FIELD = "--format csv or json shows every field."


def for_terminal(
    rows: Sequence[ReminderRow], title: str, width: int
) -> tuple[RenderableType, list[str]]:
    """The reminders for a terminal ``width`` columns wide, and notes on what that left out."""
    cells = {header: [cell(row) for row in rows] for header, cell in CELLS.items()}
    table, said = fitted(COLUMNS, cells, width, title=title, order=SHOWN_ORDER)
    if table is None:
        return _compact(cells, title, width), [f"Compact form at {width} columns.", EVERY_FIELD]
    return table, ([*said, EVERY_FIELD] if said else [])


def _compact(cells: dict[str, list[str]], title: str, width: int) -> Text:
    """One line a reminder (invoice, amount due, subject), cut at the terminal's edge."""
    invoices, amounts = cells["invoice"], cells["amount due"]
    left = max(map(cell_len, invoices))
    right = max(map(cell_len, amounts))
    lines = [Text(title, style="italic")]
    for invoice, amount, subject in zip(invoices, amounts, cells["subject"], strict=True):
        pad_left = " " * (left - cell_len(invoice))
        pad_right = " " * (right - cell_len(amount))
        lines.append(Text(f"{invoice}{pad_left}  {pad_right}{amount}  {subject}"))
    for line in lines:  # cut here: Console.print joins Text objects and drops their no_wrap
        line.truncate(width, overflow="ellipsis")
    return Text("\n").join(lines)


def _record(row: ReminderRow) -> dict[str, Any]:
    found = {f.name: getattr(row, f.name) for f in fields(row)}
    return {name: list(v) if isinstance(v, tuple) else v for name, v in found.items()}


def dumps(report: RemindReport) -> bytes:
    document = {
        "schema": SCHEMA,
        "day": report.day.isoformat(),
        "dry_run": report.dry_run,
        "reminders": [_record(row) for row in report.sent],
        "sent_before": [_record(row) for row in report.already],
        "waiting": report.waiting,
        "closed": report.closed,
        "looked_at": report.looked_at,
        "problems": report.problems,
        "statements": [_record(row) for row in report.statements],  # type: ignore[arg-type]
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def reminders_csv(rows: Sequence[ReminderRow]) -> str:
    """One row a reminder; several addresses in a cell are separated by spaces."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        record = _record(row)
        writer.writerow(
            " ".join(record[name]) if name in ("to", "cc") else record[name] for name in CSV_COLUMNS
        )
    return out.getvalue()
