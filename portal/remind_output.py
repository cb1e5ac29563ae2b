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
      "problems": ["<text>", ...]
    }

    REMINDER: {"invoice", "instalment" (0: the whole invoice), "step", "tone", "client",
               "locale", "to": [address, ...], "cc": [address, ...],
               "amount_due" (formatted, as in the email), "subject", "key" (the outbox's)}

New keys may be added; the keys above keep their meaning.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

import orjson
from rich.cells import cell_len
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

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


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable[[ReminderRow], str]
    least: int | None = None  # cut short to no less than this; None: never cut short
    want: int | None = None  # what an essential column keeps before optional ones get room
    essential: bool = False  # without room for every essential one: the compact form
    justify: Literal["left", "right"] = "left"


# Most useful first: the last are the first left out.
COLUMNS = (
    Column("invoice", _invoice, essential=True),
    Column("amount due", lambda r: r.amount_due, essential=True, justify="right"),
    Column("subject", lambda r: r.subject, least=20, want=48, essential=True),
    Column("to", lambda r: _addresses(r.to), least=24),
    Column("tone", lambda r: r.tone),
    Column("lang", lambda r: r.locale),
    Column("step", lambda r: r.step),
    Column("cc", lambda r: _addresses(r.cc), least=24),
)
SHOWN_ORDER = ("invoice", "step", "tone", "lang", "to", "cc", "amount due", "subject")
EVERY_FIELD = "--format csv or json shows every field."


def _frame(count: int) -> int:
    """Columns a table of ``count`` columns spends on borders and padding (one space a side)."""
    return 3 * count + 1


def fit(natural: dict[str, int], width: int) -> dict[str, int] | None:
    """Each kept column's width for a table at most ``width`` wide; None if too narrow.

    ``natural`` is each column's widest cell (its header included).
    """

    def least(column: Column) -> int:
        full = natural[column.header]
        return full if column.least is None else min(full, column.least)

    kept = [c for c in COLUMNS if c.essential]
    if sum(least(c) for c in kept) + _frame(len(kept)) > width:
        return None
    used = sum(max(least(c), min(natural[c.header], c.want or width)) for c in kept)
    for column in COLUMNS:
        if not column.essential and used + least(column) + _frame(len(kept) + 1) <= width:
            kept.append(column)
            used += least(column)
    # too little room for every cell whole: the columns that may be cut short lose the same
    # number of columns each (or all they can), so no one of them is cut to nothing
    short = {c.header: natural[c.header] - least(c) for c in kept}
    over = sum(natural[c.header] for c in kept) + _frame(len(kept)) - width
    cut = 0
    while sum(min(most, cut) for most in short.values()) < over:
        cut += 1
    give_back = sum(min(most, cut) for most in short.values()) - max(over, 0)
    widths: dict[str, int] = {}
    for column in kept:  # what was cut beyond need goes back to the most useful first
        lost = min(short[column.header], cut)
        back = min(lost, give_back, 1)
        give_back -= back
        widths[column.header] = natural[column.header] - lost + back
    return widths


def for_terminal(
    rows: Sequence[ReminderRow], title: str, width: int
) -> tuple[RenderableType, list[str]]:
    """The reminders for a terminal ``width`` columns wide, and notes on what that left out."""
    cells = {c.header: [c.cell(row) for row in rows] for c in COLUMNS}
    natural = {h: max(map(cell_len, [h, *found])) for h, found in cells.items()}
    widths = fit(natural, width)
    if widths is None:
        return _compact(cells, title, width), [f"Compact form at {width} columns.", EVERY_FIELD]
    table = Table(title=title, show_lines=False)
    by_header = {c.header: c for c in COLUMNS}
    shown = [by_header[h] for h in SHOWN_ORDER if h in widths]
    for column in shown:
        table.add_column(
            column.header,
            width=widths[column.header],
            justify=column.justify,
            no_wrap=True,
            overflow="ellipsis",
        )
    for i in range(len(rows)):
        table.add_row(*(Text(cells[c.header][i]) for c in shown))  # Text: a subject is no markup
    left_out = [c.header for c in COLUMNS if c.header not in widths]
    cut = [h for h, w in widths.items() if w < natural[h]]
    said = [f"left out: {', '.join(left_out)}"] if left_out else []
    said += [f"cut short: {', '.join(cut)}"] if cut else []
    if not said:
        return table, []
    return table, [f"At {width} columns, {'; '.join(said)}.", EVERY_FIELD]


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
