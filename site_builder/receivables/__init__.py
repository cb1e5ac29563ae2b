"""Receivables: ``portal status`` and the agency report, from what the build leaves in build/.

``figures`` computes (pure), ``attention`` asks the payment store what needs a
person, ``output`` prints (JSON, CSV, tables), ``charts`` and ``report`` make
the private HTML report. ``load`` reads the ledger and the agency's settings.

The data source is ``build/ledger.json``, never the content files, so a
status of 100,000 invoices answers in about a second. Payments the store
recorded after the last build are not folded in: the figures stay exactly the
build's, and the attention list names each such payment ("run portal build",
which re-renders those clients anyway).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from site_builder.model import Agency
from site_builder.receivables.attention import Attention, attention, credits
from site_builder.receivables.figures import Receivables, compute
from site_builder.receivables.load import NoBuild, load_agency, load_ledger
from site_builder.receivables.output import as_document
from site_builder.records import PaymentRecords

__all__ = ["NoBuild", "Status", "UnknownClient", "build_status"]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the ledger becomes objects.

    Parsing 100,000 invoices makes millions of containers, and the collector
    would walk the growing heap again and again: it doubles the time of
    ``portal status``. Nothing made here forms a cycle worth collecting.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class UnknownClient(Exception):
    """``--client`` names a client without invoices in the build."""


@dataclass(frozen=True)
class Status:
    """The figures and the attention list; the ledger itself is let go once they are made."""

    agency: Agency
    built_at: str  # when the build ran
    figures: Receivables
    attention: Attention
    client: str | None = None
    complete: bool = True  # False: a build from before the ledger had settled days and payments

    def document(self) -> dict[str, Any]:
        with _collector_paused():  # 10,000 clients' dicts at once: no cycles among them
            return as_document(self.figures, self.attention, self.built_at, self.client)


def build_status(
    out: Path,
    content: Path,
    store: PaymentRecords | None = None,
    today: date | None = None,
    client: str | None = None,
) -> Status:
    """Receivables of the build in ``out/build`` (NoBuild if there is none).

    ``today`` defaults to the build's day; another day moves the calendar
    (aging, the month) while amounts stay as of the build's day.
    """
    with _collector_paused():
        ledger = load_ledger(out / "build")
        agency = load_agency(content)
        day = today or (date.fromisoformat(ledger.build_day) if ledger.build_day else date.today())
        figures = compute(ledger.invoices, day, agency.late_payers, ledger.build_day, client)
        if client is not None and client not in figures.clients:
            raise UnknownClient(f"no invoices of client {client!r} in the build")
        found = (
            attention(store, ledger.invoices, client)
            if store is not None
            else Attention(credits=credits(ledger.invoices, client))  # the ledger's own
        )
    return Status(agency, ledger.generated, figures, found, client, ledger.complete)
