"""Weekends and holidays, day by day through ``decide``: every step is sent once, or folded
into a more urgent one sent the same day; never twice, never late, never lost."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from site_builder.billing.reminders import Cadence, decide, resolve_reminders, schedule
from site_builder.model import ReminderSchedule

# the sample agency's schedule and holidays (Thanksgiving Thursday and Friday)
HOLIDAYS = [date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 25), date(2027, 1, 1)]
CADENCE = resolve_reminders(
    ReminderSchedule.model_validate(
        {
            "before_due": [10, 5, 3],
            "on_due": True,
            "overdue": [1, 7, 14, 30],
            "repeat_every_days": 30,
            "skip_weekends": True,
            "holidays": HOLIDAYS,
        }
    )
)


def walk(cadence: Cadence, due: date, issued: date, until: date) -> dict[str, date]:
    """Run ``decide`` on every day from the issue day to ``until``, as the daily job does;
    returns the step sent on each day it sent one (by name)."""
    sent: dict[str, date] = {}
    last = None
    day = issued
    while day <= until:
        decision = decide(
            cadence, due, issued, day, status="open", amount_due=100, last_offset=last
        )
        if decision.action == "send":
            assert decision.step is not None
            assert decision.step.name not in sent, f"{decision.step.name} sent twice"
            sent[decision.step.name] = day
            last = decision.step.offset
        day += timedelta(days=1)
    return sent


def check_every_step(cadence: Cadence, due: date, issued: date, until: date) -> dict[str, date]:
    sent = walk(cadence, due, issued, until)
    planned = [s for s in schedule(cadence, due, issued) if s.on <= until]
    by_name = {s.step.name: s for s in planned}
    for item in planned:
        name = item.step.name
        if name in sent:
            assert sent[name] == item.on  # on its send day, not a day late
            assert sent[name] not in cadence.holidays
            assert not cadence.skip_weekends or sent[name].weekday() < 5
            continue
        # folded: a later (more urgent) step was sent on the very same day instead
        assert any(
            by_name[n].step.offset > item.step.offset for n, day in sent.items() if day == item.on
        ), f"{name} (send day {item.on}) was lost; sent: {sent}"
    assert len(sent) == len({day for day in sent.values()})  # one email a day at most
    return sent


def test_a_saturday_due_date_folds_the_due_step_into_monday_s_overdue_one() -> None:
    due = date(2026, 11, 28)  # Saturday; 26 and 27 November are holidays
    sent = check_every_step(CADENCE, due, date(2026, 11, 7), date(2027, 3, 31))
    assert "due" not in sent
    assert sent["overdue-1"] == date(2026, 11, 30)  # Monday: the most urgent of that day
    assert sent["before-3"] == date(2026, 11, 25)  # Wednesday, before the holidays
    assert sent["overdue-7"] == date(2026, 12, 7)  # Saturday 5 December moved to Monday
    assert sent["overdue-30"] == date(2026, 12, 28)


def test_a_step_moved_off_a_weekend_onto_another_step_s_day_goes_once_as_the_later() -> None:
    due = date(2026, 12, 10)  # Thursday: before-5 is Saturday 5 Dec, before-3 Monday 7 Dec
    sent = check_every_step(CADENCE, due, date(2026, 11, 19), date(2026, 12, 31))
    assert "before-5" not in sent and sent["before-3"] == date(2026, 12, 7)
    # and the folded step is never sent afterwards as a stale email (check_every_step walked on)


def test_a_due_date_on_a_holiday_moves_the_due_and_first_overdue_steps_together() -> None:
    due = date(2026, 11, 26)  # Thanksgiving: due and overdue-1 (27th, a holiday) go on Monday
    sent = check_every_step(CADENCE, due, date(2026, 11, 5), date(2027, 2, 28))
    assert "due" not in sent and sent["overdue-1"] == date(2026, 11, 30)
    assert "before-5" not in sent and sent["before-3"] == date(2026, 11, 23)  # Sat 21 folded


@pytest.mark.parametrize("due", [date(2026, 12, 1) + timedelta(days=n) for n in range(21)])
def test_every_due_date_of_three_weeks_around_christmas(due: date) -> None:
    # Christmas and New Year's Day on a Friday: whatever weekday the due date is
    check_every_step(CADENCE, due, due - timedelta(days=21), due + timedelta(days=120))


def test_without_skipping_weekends_every_step_goes_on_its_own_day() -> None:
    plain = resolve_reminders(ReminderSchedule.model_validate({"skip_weekends": False}))
    due = date(2026, 11, 28)
    sent = check_every_step(plain, due, date(2026, 11, 7), date(2027, 1, 31))
    assert sent["due"] == due and sent["overdue-1"] == date(2026, 11, 29)
