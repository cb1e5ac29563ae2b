"""Calendar events (RFC 5545) for an invoice's due dates, each with a reminder before it.

A plan's invoice has one event per part still to pay.

icalendar does the escaping and the 75-octet line folding. The output must be byte-stable
(the incremental build and the parallel build compare pages by hash), so nothing here reads
the clock: DTSTAMP is derived from the due date, and properties are written in the order
they are added below rather than icalendar's canonical sort, so the file reads as it always
has (UID and DTSTAMP first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Alarm, Calendar, Event

PRODID = "-//clientportal//portal//EN"
# The reminder fires this long before the due date: time to arrange a bank transfer or get an
# approval signed before the invoice is late, not a same-day nag.
REMINDER_DAYS_BEFORE = 3


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
    cal = Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", PRODID)
    cal.add("calscale", "GREGORIAN")
    for due in dues:
        cal.add_component(_event(due.uid, due.day, due.summary, url, organizer, host))
    # to_ical ends every line, folded or not, with CRLF, as RFC 5545 §3.1 requires
    return cal.to_ical(sorted=False).decode("utf-8")


def _event(uid: str, due: date, summary: str, url: str, organizer: str, host: str) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{host}")
    # from the due date, not the clock: the same invoice gives the same bytes on every build
    event.add("dtstamp", datetime.combine(due, time(), tzinfo=UTC))
    event.add("dtstart", due)  # a date, so VALUE=DATE: an all-day event
    event.add("dtend", due + timedelta(days=1))  # DTEND is exclusive for all-day events
    event.add("summary", summary)
    event.add("description", f"{organizer} — {url}")
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # a due date is not a meeting: it blocks no time

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)  # DISPLAY alarms require one (RFC 5545 §3.6.6)
    # a negative duration is relative to DTSTART by default (RELATED=START)
    alarm.add("trigger", timedelta(days=-REMINDER_DAYS_BEFORE))
    event.add_component(alarm)
    return event
