"""The due-date event: what a calendar reads back, the reminder, and byte-stable output."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar, Component

from site_builder import ics

DUE = date(2026, 11, 30)
URL = "https://portal.example.com/c/abcdef0123456789abcdef/invoices/INV-2026-0130.html"
SUMMARIES = [
    "Invoice INV-2026-0130 due — £1,234.56",
    "a; b, c\\d\nsecond line\n\nafter a blank line",
    "发票 INV-2026-0130 到期 — ¥12,000；请按时付款。" * 3,  # long: folded mid-text
    "Faktura INV-2026-0130 — termin płatności: 1 234,56 zł; zażółć gęślą jaźń",
]


def event_text(summary: str, organizer: str = "Studio Północ, Ltd; 北方") -> str:
    return ics.due_event("INV-2026-0130", DUE, summary, URL, organizer, "portal.example.com")


def the_event(text: str) -> Component:
    cal = Calendar.from_ical(text)
    assert str(cal["version"]) == "2.0" and str(cal["prodid"]) == ics.PRODID
    assert str(cal["calscale"]) == "GREGORIAN"
    (event,) = cal.walk("VEVENT")
    return event


@pytest.mark.parametrize("summary", SUMMARIES)
def test_a_calendar_reads_back_exactly_what_was_written(summary: str) -> None:
    event = the_event(event_text(summary))
    assert str(event["uid"]) == "INV-2026-0130-due@portal.example.com"
    assert str(event["summary"]) == summary
    assert str(event["description"]) == f"Studio Północ, Ltd; 北方 — {URL}"
    assert str(event["url"]) == URL
    assert str(event["transp"]) == "TRANSPARENT"


def test_the_event_is_all_day_on_the_due_date() -> None:
    text = event_text(SUMMARIES[0])
    event = the_event(text)
    # plain dates, not datetimes (datetime is a subclass of date, so check the type exactly)
    assert type(event["dtstart"].dt) is date and event["dtstart"].dt == DUE
    assert type(event["dtend"].dt) is date and event["dtend"].dt == DUE + timedelta(days=1)
    assert "DTSTART;VALUE=DATE:20261130\r\n" in text
    assert "DTEND;VALUE=DATE:20261201\r\n" in text
    # from the due date, not the clock
    assert event["dtstamp"].dt == datetime(2026, 11, 30, tzinfo=UTC)


def test_a_display_reminder_comes_three_days_before() -> None:
    summary = SUMMARIES[1]
    (alarm,) = the_event(event_text(summary)).walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY"
    assert str(alarm["description"]) == summary
    assert alarm["trigger"].dt == timedelta(days=-3) == timedelta(days=-ics.REMINDER_DAYS_BEFORE)
    assert alarm["trigger"].params.get("RELATED", "START") == "START"


def test_the_same_inputs_give_the_same_bytes() -> None:
    for summary in SUMMARIES:
        assert event_text(summary).encode() == event_text(summary).encode()


@pytest.mark.parametrize("summary", SUMMARIES)
def test_every_line_ends_with_crlf_and_is_at_most_75_octets(summary: str) -> None:
    data = event_text(summary).encode("utf-8")
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")
    assert lines[-1] == b""  # the last line ends with CRLF too
    for line in lines[:-1]:
        assert b"\r" not in line and b"\n" not in line, line
        assert len(line) <= 75, line
        line.decode("utf-8")  # folding never splits a character's bytes
    assert any(line.startswith(b" ") for line in lines), "the long summary should fold"
