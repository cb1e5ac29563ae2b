"""Reminder tracks: what ``Store.put_invoices`` indexes so the job finds due reminders by date.

A track is one payable entry of an invoice: the invoice as a whole (instalment 0), or
each entry of a plan (deposit, instalments) by its number. Its ``next_date`` is the
next day the reminders job must look at it; the store keeps it in an index (SQLite)
or a GSI (DynamoDB), so the job reads only the tracks due, never every invoice.

Both stores use these functions, so they compute the same next dates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from site_builder.billing.reminders import SETTLED, cadence_from_text, next_after


@dataclass(frozen=True)
class TrackPlan:
    """A track as the ledger describes it (the store adds the job's progress)."""

    invoice: str
    instalment: int  # 0: the invoice as a whole
    client: str
    due: str  # YYYY-MM-DD
    issued: str
    cadence: str  # the resolved schedule as JSON text (``Cadence.to_json``)
    active: bool  # owed as of the build: paid, void and disputed entries wait for nothing


def plan_tracks(number: str, entry: Mapping[str, Any]) -> Iterator[TrackPlan]:
    """The tracks of one ledger entry; none for an entry without a reminder schedule."""
    schedule = entry.get("reminders")
    entries = entry.get("instalments") or []
    if not schedule or not entries:
        return
    cadence = json.dumps(schedule, sort_keys=True, separators=(",", ":"))
    open_invoice = entry.get("status") not in SETTLED
    if len(entries) == 1:
        yield TrackPlan(
            number,
            0,
            entry["client"],
            entry["due"],
            entry["issued"],
            cadence,
            open_invoice and entry.get("amount_due", 0) > 0,
        )
        return
    for part in entries:
        yield TrackPlan(
            number,
            int(part["n"]),
            entry["client"],
            part["due"],
            entry["issued"],
            cadence,
            open_invoice and part.get("amount_due", 0) > 0,
        )


def next_reminder(plan: TrackPlan, checked: str | None) -> str | None:
    """The next day the job must look at this track, after the last day it did (if any)."""
    if not plan.active:
        return None
    day = next_after(
        cadence_from_text(plan.cadence),
        date.fromisoformat(plan.due),
        date.fromisoformat(plan.issued),
        None if checked is None else date.fromisoformat(checked),
    )
    return None if day is None else day.isoformat()


def page_changes(invoices: Mapping[str, Mapping[str, Any]]) -> dict[str, str | None]:
    """Each client's next page change among the entries put (the build writes whole clients,
    and gives each of a client's entries the same day)."""
    days: dict[str, list[str]] = {}
    for entry in invoices.values():
        found = days.setdefault(entry["client"], [])
        if entry.get("pages_change"):
            found.append(entry["pages_change"])
    return {client: min(found, default=None) for client, found in days.items()}
