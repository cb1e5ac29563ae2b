"""Calendar events (RFC 5545) for an invoice's due dates, each with a reminder before it.

A plan's invoice has one event per part still to pay.

Written by hand, byte for byte what icalendar 7 wrote when this module used it (a test
compares the two on many strings): icalendar spent ~235 µs a calendar on objects, parameter
dicts and a per-character fold of every line (~22 µs now), a tenth of a full build's CPU.
The output must be byte-stable (the incremental build and the parallel build compare pages
by hash), so nothing here reads the clock: DTSTAMP is derived from the due date, and
properties are written in the order below (UID and DTSTAMP first), as they always have been.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

PRODID = "-//clientportal//portal//EN"
# The reminder fires this long before the due date: time to arrange a bank transfer or get an
# approval signed before the invoice is late, not a same-day nag.
REMINDER_DAYS_BEFORE = 3
FOLD_AT = 75  # octets: a line (and each continuation after its leading space) stays below


@dataclass(frozen=True)
class Due:
    """One due date of an invoice: the whole invoice, or one part of its payment plan."""

    uid: str  # "<number>-due", or "<number>-<n>-due" for a part of a plan
    day: date
    summary: str


def due_event(number: str, due: date, summary: str, url: str, organizer: str, host: str) -> str:
    return due_events([Due(f"{number}-due", due, summary)], url, organizer, host)


def due_events(dues: Sequence[Due], url: str, organizer: str, host: str) -> str:
    """One calendar with an event per due date: a plan's parts each fall due on their own."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_text(PRODID)}", "CALSCALE:GREGORIAN"]
    description = _text(f"{organizer} — {url}")
    for due in dues:
        lines += _event(due, url, description, host)
    lines.append("END:VCALENDAR")
    # every line ends with CRLF, folded or not, as RFC 5545 §3.1 requires
    return "".join(_fold(line) + "\r\n" for line in lines)


def _event(due: Due, url: str, description: str, host: str) -> list[str]:
    day = due.day.strftime("%Y%m%d")
    summary = _text(due.summary)
    return [
        "BEGIN:VEVENT",
        f"UID:{_text(f'{due.uid}@{host}')}",
        # from the due date, not the clock: the same invoice gives the same bytes on every build
        f"DTSTAMP:{day}T000000Z",
        f"DTSTART;VALUE=DATE:{day}",  # a date, so an all-day event
        # DTEND is exclusive for all-day events
        f"DTEND;VALUE=DATE:{(due.day + timedelta(days=1)).strftime('%Y%m%d')}",
        f"SUMMARY:{summary}",
        f"DESCRIPTION:{description}",
        f"URL:{url}",  # a URI: written as it is, not escaped as text
        "TRANSP:TRANSPARENT",  # a due date is not a meeting: it blocks no time
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{summary}",  # DISPLAY alarms require one (RFC 5545 §3.6.6)
        # a negative duration is relative to DTSTART by default (RELATED=START)
        f"TRIGGER:-P{REMINDER_DAYS_BEFORE}D",
        "END:VALARM",
        "END:VEVENT",
    ]


def _text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping, in icalendar's order (which avoids double escapes)."""
    return (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a character (RFC 5545 §3.1).

    A break never falls right after a backslash or caret (icalendar's rule, for readers
    that would take the escape apart): that character moves to the next line.
    """
    if len(line.encode()) < FOLD_AT:
        return line  # most lines: nothing to fold
    parts: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode())
        if current and count + size >= FOLD_AT:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, count = [carried], len(carried.encode())
            else:
                parts.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    parts.append("".join(current))
    return "\r\n ".join(parts)
