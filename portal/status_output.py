"""``portal status`` in the terminal: the receivables' tables, fitted to its width.

Figures are never cut short: a column that does not fit is left out (the least useful first,
and said), and a terminal too narrow for a table's essential columns gets one line a row with
each figure labelled. JSON and CSV (site_builder/receivables/output.py) have every field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text

from portal.fitting import Column, fitted
from site_builder.formatting import format_money, money_formatter
from site_builder.receivables.attention import Attention, attention_lines
from site_builder.receivables.figures import BUCKET_LABELS, BUCKETS, Receivables
from site_builder.receivables.output import percent

if TYPE_CHECKING:  # the functions' modules load only when a store is there to read
    from functions.autopay.status import AutopayStatus

TABLE_ROWS = 25  # clients shown in the terminal; json and csv list them all

TOTALS = (
    Column("Currency", essential=True),
    Column("Open", essential=True, justify="right"),
    Column("Overdue", essential=True, justify="right"),
    Column("DSO (90 d)", justify="right"),
    Column("Paid this month", justify="right"),
)
# "1–30 d" rather than the report's "1–30 days": the six columns fit in 80
AGED = {b: BUCKET_LABELS[b].replace(" days", " d") for b in BUCKETS}
AGING = (
    Column("Currency", essential=True),
    *(Column(AGED[b], essential=True, justify="right") for b in BUCKETS),
)
CLIENTS = (
    Column("Client", essential=True),
    Column("Balance", essential=True),
    Column("Oldest overdue", essential=True),
    Column("Late payer"),
    Column("Paid late", justify="right"),
    Column("Avg late", justify="right"),
)


def _money_by_currency(amounts: dict[str, int], locale: str) -> str:
    shown = [format_money(v, k, locale) for k, v in sorted(amounts.items()) if v]
    return ", ".join(shown) or "—"


def _table(
    columns: Sequence[Column], cells: dict[str, list[str]], title: str, width: int
) -> list[Any]:
    table, said = fitted(columns, cells, width, title=title, order=[c.header for c in columns])
    if table is not None:
        return [table, *(Text(line, style="dim") for line in said)]
    # a row at a time, each figure named, lines broken only between figures
    first, *rest = (c.header for c in columns)
    lines = [Text(title, style="italic")]
    for i in range(len(cells[first])):
        labelled = [f"{h} {cells[h][i]}" for h in rest if cells[h][i] not in ("", "—")]
        lines += [Text(line) for line in _packed(f"{cells[first][i]}:", labelled, width)]
    return lines


def _packed(head: str, items: list[str], width: int) -> list[str]:
    """``head`` and its items joined by " · ", a new (indented) line rather than a line wider
    than ``width``; the first item always shares the head's line."""
    lines, line = [], f"{head} {items[0]}" if items else head
    for item in items[1:]:
        if cell_len(f"{line} · {item}") <= width:
            line = f"{line} · {item}"
        else:
            lines.append(line)
            line = f"  {item}"
    return [*lines, line]


def tables(figures: Receivables, attention: Attention, locale: str, width: int) -> list[Any]:
    """Rich renderables: the totals per currency, aging, the clients, what needs a person."""
    totals: dict[str, list[str]] = {c.header: [] for c in TOTALS}
    aging: dict[str, list[str]] = {c.header: [] for c in AGING}
    for code, c in figures.currencies.items():
        money = money_formatter(locale, code)
        for header, cell in (
            ("Currency", code),
            ("Open", f"{money(c.open)} ({c.open_invoices})"),
            ("Overdue", f"{money(c.overdue)} ({c.overdue_invoices})"),
            ("Paid this month", money(c.paid_this_month)),
            ("DSO (90 d)", "—" if c.dso is None else f"{c.dso} days"),
        ):
            totals[header].append(cell)
        aging["Currency"].append(code)
        for bucket in BUCKETS:
            aging[AGED[bucket]].append(money(c.aging[bucket]))

    # the ones to act on first: flagged, then the longest overdue, then the largest count owed
    ranked = sorted(
        figures.clients.values(),
        key=lambda c: (
            not c.habitual_late_payer,
            -(c.oldest_overdue.days_overdue if c.oldest_overdue else 0),
            c.client,
        ),
    )
    shown = [c for c in ranked if any(c.balance.values()) or c.paid_invoices][:TABLE_ROWS]
    people: dict[str, list[str]] = {c.header: [] for c in CLIENTS}
    for c in shown:
        oldest = c.oldest_overdue
        for header, cell in (
            ("Client", c.client),
            ("Balance", _money_by_currency(c.balance, locale)),
            (
                "Oldest overdue",
                "—" if oldest is None else f"{oldest.invoice}, {oldest.days_overdue} d",
            ),
            ("Paid late", f"{c.paid_late}/{c.paid_invoices}"),
            ("Avg late", "—" if c.average_days_late is None else f"{c.average_days_late} d"),
            ("Late payer", "yes" if c.habitual_late_payer else ""),
        ):
            people[header].append(cell)

    t = figures.thresholds
    result = [
        *_table(TOTALS, totals, "Receivables by currency", width),
        *_table(AGING, aging, "Aging (by due date)", width),
        *_table(CLIENTS, people, "Clients", width),
        Text(
            f"Late payer: at least {t.min_paid_invoices} paid, {percent(t.share_late)} of them "
            f"late, {t.average_days_late} days late on average.",
            style="dim",
        ),
    ]
    if len(figures.clients) > len(shown):
        result.append(
            Text(f"{len(shown)} of {len(figures.clients)} clients; --format csv lists them all")
        )
    result += _attention(attention, locale)
    return result


UPCOMING = (
    Column("Day", essential=True),
    Column("Client", essential=True),
    Column("Invoice", essential=True),
    Column("Amount", essential=True, justify="right"),
    Column("Method"),
)
FAILURES = (
    Column("Client", essential=True),
    Column("Invoice", essential=True),
    Column("Reason", essential=True),
    Column("Next retry", essential=True),
)


def autopay_tables(status: AutopayStatus, width: int) -> list[Any]:
    """Clients on automatic payments, the charges of the next two weeks, the failures."""
    if not status.on:
        return []
    on = ", ".join(f"{o.client} ({o.method})" for o in status.on)
    result: list[Any] = [Text(f"On automatic payments: {on}")]
    if status.upcoming:
        cells: dict[str, list[str]] = {c.header: [] for c in UPCOMING}
        for u in status.upcoming:
            part = f"{u.invoice} #{u.instalment}" if u.instalment else u.invoice
            for header, cell in (
                ("Day", u.day),
                ("Client", u.client),
                ("Invoice", part if u.attempt == 1 else f"{part} (retry {u.attempt - 1})"),
                ("Amount", u.shown),
                ("Method", u.method),
            ):
                cells[header].append(cell)
        result += _table(UPCOMING, cells, "Automatic charges, next 14 days", width)
    else:
        result.append(Text("No automatic charges in the next 14 days.", style="dim"))
    if status.failures:
        cells = {c.header: [] for c in FAILURES}
        for f in status.failures:
            part = f"{f.invoice} #{f.instalment}" if f.instalment else f.invoice
            for header, cell in (
                ("Client", f.client),
                ("Invoice", f"{part}, {f.day}"),
                ("Reason", f.reason),
                ("Next retry", f.next_retry or "none: the client pays from the link"),
            ):
                cells[header].append(cell)
        result += _table(FAILURES, cells, "Failed automatic charges", width)
    return result


def _attention(attention: Attention, locale: str) -> list[Any]:
    lines = attention_lines(attention, locale)
    if not lines:
        return [Text("Nothing needs attention.", style="green")]
    return [Text("Needs attention", style="bold"), *(Text(f"• {line}") for line in lines)]
