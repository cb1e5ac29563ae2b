"""Tables fitted to the terminal: columns kept by priority, no cell ever wrapped.

A column is essential (the table is pointless without it), or optional and kept while it fits,
most useful first. Some columns may be cut short with an ellipsis (a subject, an address), down
to ``least``; the rest (amounts, ids) are shown whole or not at all: a truncated figure is a
wrong figure. When not even the essential columns fit, ``fitted`` says so and the caller
prints a compact form of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Column:
    header: str
    least: int | None = None  # cut short to no less than this; None: never cut short
    want: int | None = None  # what an essential column keeps before optional ones get room
    essential: bool = False  # without room for every essential one: no table
    justify: Literal["left", "right"] = "left"


def _frame(count: int) -> int:
    """Columns a table of ``count`` columns spends on borders and padding (one space a side)."""
    return 3 * count + 1


def fit(columns: Sequence[Column], natural: dict[str, int], width: int) -> dict[str, int] | None:
    """Each kept column's width for a table at most ``width`` wide; None if too narrow.

    ``columns`` are most useful first; ``natural`` is each column's widest cell (its header
    included).
    """

    def least(column: Column) -> int:
        full = natural[column.header]
        return full if column.least is None else min(full, column.least)

    kept = [c for c in columns if c.essential]
    if sum(least(c) for c in kept) + _frame(len(kept)) > width:
        return None
    used = sum(max(least(c), min(natural[c.header], c.want or width)) for c in kept)
    for column in columns:
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


def fitted(
    columns: Sequence[Column],
    cells: dict[str, list[str]],
    width: int,
    *,
    title: str | None = None,
    order: Sequence[str] | None = None,
) -> tuple[Table | None, list[str]]:
    """The table at most ``width`` wide (None if its essential columns do not fit), and a note
    on what was left out or cut short (empty if nothing was).

    ``cells`` holds each column's cells by header; ``order`` is the order shown (default: the
    columns' own).
    """
    natural = {h: max(map(cell_len, [h, *found])) for h, found in cells.items()}
    widths = fit(columns, natural, width)
    if widths is None:
        return None, []
    by_header = {c.header: c for c in columns}
    shown = [by_header[h] for h in (order or by_header) if h in widths]
    table = Table(title=title, title_justify="left")
    for column in shown:
        table.add_column(
            column.header,
            width=widths[column.header],
            justify=column.justify,
            no_wrap=True,
            overflow="ellipsis",
        )
    rows = len(next(iter(cells.values()), []))
    for i in range(rows):
        table.add_row(*(Text(cells[c.header][i]) for c in shown))  # Text: content is no markup
    left_out = [c.header for c in columns if c.header not in widths]
    cut = [h for h, w in widths.items() if w < natural[h]]
    said = [f"left out: {', '.join(left_out)}"] if left_out else []
    said += [f"cut short: {', '.join(cut)}"] if cut else []
    return table, ([f"At {width} columns, {'; '.join(said)}."] if said else [])
