"""The reminder schedule: which reminder is due on which day, in which tone, copied to whom.

Pure functions of a resolved schedule (a ``Cadence``), the due date of one payable entry
(an invoice, or one instalment of a plan) and a day. No I/O and no clock.

A step is named by its place relative to the due date (``before-10``, ``due``,
``overdue-7``); together with the invoice and instalment that name is the key that
makes a reminder unique. Each step has a nominal day (due date + offset) and a send
day: the nominal day moved to the next working day when the schedule skips weekends
or the agency's holidays.

Catching up: on any day the job sends at most one reminder per entry, the latest step
whose send day has come. Steps that a missed run (or a step moved onto the same working
day) passed over are not sent late: the client gets one current reminder, not a burst.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

from site_builder.model import ReminderSchedule, Tone

Action = Literal["send", "wait", "close"]

# Statuses that get no reminder. A pending bank debit counts as paid, so it is here too.
SETTLED = frozenset({"paid", "void", "draft", "disputed"})
SATURDAY = 5
MAX_SHIFT = 366  # a holiday list cannot push a reminder more than a year
MAX_OVERDUE = 3650  # repeats end after ten years, stop date or not


@dataclass(frozen=True)
class Step:
    offset: int  # days from the due date: -10, 0, 7
    tone: Tone
    cc_leadership: bool

    @property
    def name(self) -> str:
        if self.offset < 0:
            return f"before-{-self.offset}"
        return "due" if self.offset == 0 else f"overdue-{self.offset}"


@dataclass(frozen=True)
class Cadence:
    """A resolved schedule, as plain data: it travels in the ledger to the store."""

    steps: tuple[Step, ...]  # the listed steps, by offset
    repeat_every_days: int = 0  # after the last listed overdue step; 0: never
    stop_after_days: int | None = None  # no reminder later than this many days overdue
    firm_from: int = 14  # tone of a repeat: friendly, firm from here, final from final_from
    final_from: int | None = None
    cc_from: int = 14  # repeats copy leadership from this many days overdue
    skip_weekends: bool = False
    holidays: frozenset[date] = frozenset()

    def tone(self, days_overdue: int) -> Tone:
        if self.final_from is not None and days_overdue >= self.final_from:
            return "final"
        return "firm" if days_overdue >= self.firm_from else "friendly"

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": [[s.offset, s.tone, s.cc_leadership] for s in self.steps],
            "repeat_every_days": self.repeat_every_days,
            "stop_after_days": self.stop_after_days,
            "firm_from": self.firm_from,
            "final_from": self.final_from,
            "cc_from": self.cc_from,
            "skip_weekends": self.skip_weekends,
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cadence:
        return cls(
            steps=tuple(Step(int(o), t, bool(cc)) for o, t, cc in data["steps"]),
            repeat_every_days=int(data.get("repeat_every_days") or 0),
            stop_after_days=data.get("stop_after_days"),
            firm_from=int(data.get("firm_from", 14)),
            final_from=data.get("final_from"),
            cc_from=int(data.get("cc_from", 14)),
            skip_weekends=bool(data.get("skip_weekends")),
            holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays", ())),
        )


@lru_cache(maxsize=256)
def cadence_from_text(text: str) -> Cadence:
    """A cadence from its JSON text; thousands of entries share a few schedules."""
    return Cadence.from_json(json.loads(text))


def resolve_reminders(*layers: ReminderSchedule | None) -> Cadence:
    """Merge schedules from general (agency) to specific (client).

    As with the terms, a layer overrides only the fields its file wrote
    (``model_fields_set``): a client that changes ``overdue`` keeps the agency's holidays.
    """
    schedule = ReminderSchedule().model_copy(
        update={
            name: getattr(layer, name)
            for layer in layers
            if layer is not None
            for name in layer.model_fields_set
        }
    )
    cadence = Cadence(
        steps=(),
        repeat_every_days=schedule.repeat_every_days,
        stop_after_days=schedule.stop_after_days,
        firm_from=schedule.firm_from_days_overdue,
        final_from=schedule.final_from_days_overdue,
        cc_from=schedule.cc_leadership_from_days_overdue,
        skip_weekends=schedule.skip_weekends,
        holidays=frozenset(schedule.holidays),
    )
    listed = [(-s.days, s) for s in schedule.before_due] + [(s.days, s) for s in schedule.overdue]
    made = [_step(cadence, offset, given.tone, given.cc_leadership) for offset, given in listed]
    if schedule.on_due:
        made.append(_step(cadence, 0, None, None))
    return replace(cadence, steps=tuple(sorted(made, key=lambda s: s.offset)))


def _step(cadence: Cadence, offset: int, tone: Tone | None, cc: bool | None) -> Step:
    days_overdue = max(offset, 0)
    return Step(
        offset=offset,
        tone=tone if tone is not None else cadence.tone(days_overdue),
        # before the due date nobody is late, so nobody is copied unless a step says so
        cc_leadership=cc if cc is not None else (offset >= 0 and offset >= cadence.cc_from),
    )


# --- days ------------------------------------------------------------------------------


def working_day(day: date, cadence: Cadence) -> date:
    """``day``, or the next day that is neither a skipped weekend day nor a holiday."""
    for _ in range(MAX_SHIFT):
        if not ((cadence.skip_weekends and day.weekday() >= SATURDAY) or day in cadence.holidays):
            return day
        day += timedelta(days=1)
    return day


def steps(cadence: Cadence) -> Iterator[Step]:
    """Every step in offset order: the listed ones, then the repeats (endless unless stopped)."""
    last = None
    for step in cadence.steps:
        if cadence.stop_after_days is not None and step.offset > cadence.stop_after_days:
            return
        yield step
        last = step.offset
    if cadence.repeat_every_days <= 0:
        return
    offset = max(last or 0, 0)
    stop = MAX_OVERDUE if cadence.stop_after_days is None else cadence.stop_after_days
    while (offset := offset + cadence.repeat_every_days) <= stop:
        yield _step(cadence, offset, None, None)


@dataclass(frozen=True)
class Scheduled:
    step: Step
    on: date  # the send day


def schedule(cadence: Cadence, due: date, issued: date) -> Iterator[Scheduled]:
    """The entry's reminders in order, each with its send day.

    A step that would go out on or before the issue day is dropped: the invoice itself
    has just told the client when it is due.
    """
    for step in steps(cadence):
        on = working_day(due + timedelta(days=step.offset), cadence)
        if on > issued:
            yield Scheduled(step, on)


def current(cadence: Cadence, due: date, issued: date, today: date) -> Scheduled | None:
    """The latest reminder whose send day has come (the one to send today, if not sent yet)."""
    latest = None
    for item in schedule(cadence, due, issued):
        if item.on > today:
            break
        latest = item
    return latest


def next_after(cadence: Cadence, due: date, issued: date, day: date | None) -> date | None:
    """The first send day after ``day`` (the first of all if None); None when none is left."""
    for item in schedule(cadence, due, issued):
        if day is None or item.on > day:
            return item.on
    return None


# --- the decision for one entry on one day -------------------------------------------


@dataclass(frozen=True)
class Decision:
    action: Action  # send ``step`` today; wait until ``next_date``; close (nothing more)
    next_date: date | None
    step: Step | None = None


def decide(
    cadence: Cadence,
    due: date,
    issued: date,
    today: date,
    *,
    status: str,
    amount_due: int,
    last_offset: int | None,
    payment_pending: bool = False,
) -> Decision:
    """What to do for one entry today, given its figures and the last step sent.

    ``status`` is the invoice's status today (``disputed`` wins over the entry's own);
    ``amount_due`` what the entry owes today. A settled entry closes, unless a bank debit
    is still pending: if it fails the balance reopens, so the entry is looked at again on
    its next reminder day. Steps only move forward: a step at or before the last one sent
    is never sent (not even when a run is given an earlier ``--today``).
    """
    now, upcoming = None, None
    for item in schedule(cadence, due, issued):  # one pass: the current step and the next day
        if item.on > today:
            upcoming = item.on
            break
        now = item
    if status in SETTLED or amount_due <= 0:
        if payment_pending and upcoming is not None:
            return Decision("wait", upcoming)
        return Decision("close", None)
    if now is None or (last_offset is not None and now.step.offset <= last_offset):
        return Decision("wait", upcoming) if upcoming is not None else Decision("close", None)
    return Decision("send", upcoming, now.step)
