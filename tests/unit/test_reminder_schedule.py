"""The reminder schedule's pure rules: steps, tones, CC, working days, catching up, deciding."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.billing.reminders import (
    Cadence,
    cadence_from_text,
    current,
    decide,
    next_after,
    resolve_reminders,
    schedule,
    working_day,
)
from site_builder.model import Agency, ReminderSchedule

DUE = date(2026, 12, 2)  # a Wednesday
ISSUED = date(2026, 11, 2)


def cadence(**fields: object) -> Cadence:
    return resolve_reminders(ReminderSchedule.model_validate(fields))


def plan(c: Cadence, due: date = DUE, issued: date = ISSUED) -> list[tuple[str, date]]:
    items = []
    for item in schedule(c, due, issued):
        if item.on > due + timedelta(days=200):
            break
        items.append((item.step.name, item.on))
    return items


def test_the_default_schedule() -> None:
    c = cadence()
    assert [(s.name, s.tone, s.cc_leadership) for s in c.steps] == [
        ("before-10", "friendly", False),
        ("before-5", "friendly", False),
        ("before-3", "friendly", False),
        ("due", "friendly", False),
        ("overdue-1", "friendly", False),
        ("overdue-7", "friendly", False),
        ("overdue-14", "firm", True),
        ("overdue-30", "firm", True),
    ]
    assert plan(c)[:10] == [
        ("before-10", date(2026, 11, 22)),
        ("before-5", date(2026, 11, 27)),
        ("before-3", date(2026, 11, 29)),
        ("due", DUE),
        ("overdue-1", date(2026, 12, 3)),
        ("overdue-7", date(2026, 12, 9)),
        ("overdue-14", date(2026, 12, 16)),
        ("overdue-30", date(2027, 1, 1)),
        ("overdue-60", date(2027, 1, 31)),  # then every 30 days until paid
        ("overdue-90", date(2027, 3, 2)),
    ]


def test_steps_name_their_tone_and_cc_or_follow_the_thresholds() -> None:
    c = cadence(
        overdue=[1, {"days": 10, "tone": "firm"}, {"days": 20, "cc_leadership": False}, 45],
        cc_leadership_from_days_overdue=15,
        firm_from_days_overdue=30,
        final_from_days_overdue=40,
        repeat_every_days=20,
    )
    steps = {s.name: (s.tone, s.cc_leadership) for s in c.steps}
    assert steps["overdue-1"] == ("friendly", False)
    assert steps["overdue-10"] == ("firm", False)
    assert steps["overdue-20"] == ("friendly", False)  # CC switched off on this step
    assert steps["overdue-45"] == ("final", True)
    names = [name for name, _ in plan(c)]
    assert names[names.index("overdue-45") :][:3] == ["overdue-45", "overdue-65", "overdue-85"]
    repeat = next(i.step for i in schedule(c, DUE, ISSUED) if i.step.offset == 65)
    assert (repeat.tone, repeat.cc_leadership) == ("final", True)


def test_stop_after_days_ends_the_listed_steps_and_the_repeats() -> None:
    c = cadence(overdue=[1, 7, 14, 30], stop_after_days=20)
    assert [name for name, _ in plan(c)][-3:] == ["overdue-1", "overdue-7", "overdue-14"]
    assert next_after(c, DUE, ISSUED, date(2026, 12, 16)) is None
    no_repeat = cadence(repeat_every_days=0)
    assert [name for name, _ in plan(no_repeat)][-1] == "overdue-30"


def test_weekends_and_holidays_move_a_reminder_to_the_next_working_day() -> None:
    c = cadence(skip_weekends=True, holidays=["2026-11-26", "2026-11-27"])
    assert working_day(date(2026, 11, 28), c) == date(2026, 11, 30)  # Saturday -> Monday
    assert working_day(date(2026, 11, 26), c) == date(2026, 11, 30)  # Thu, Fri off, weekend
    assert working_day(date(2026, 12, 1), c) == date(2026, 12, 1)
    due = date(2026, 11, 28)  # a Saturday: "due" and "overdue-1" both go out on Monday
    sent_on = dict(plan(c, due=due, issued=date(2026, 11, 7)))
    assert sent_on["before-3"] == date(2026, 11, 25)
    assert sent_on["due"] == sent_on["overdue-1"] == date(2026, 11, 30)
    # on that Monday the latest step is the one sent: one email, not three
    now = current(c, due, date(2026, 11, 7), date(2026, 11, 30))
    assert now is not None and now.step.name == "overdue-1"
    assert cadence(holidays=["2026-12-02"]).skip_weekends is False
    assert dict(plan(cadence(holidays=["2026-12-02"])))["due"] == date(2026, 12, 3)


def test_no_reminder_on_or_before_the_issue_day() -> None:
    c = cadence()
    assert plan(c, issued=date(2026, 11, 27))[0] == ("before-3", date(2026, 11, 29))
    receipt = plan(c, due=ISSUED, issued=ISSUED)  # due on receipt: no "due today" email
    assert receipt[0] == ("overdue-1", ISSUED + timedelta(days=1))


def test_a_client_overrides_only_the_fields_it_writes() -> None:
    agency = ReminderSchedule.model_validate(
        {"skip_weekends": True, "holidays": ["2026-12-25"], "overdue": [1, 7]}
    )
    client = ReminderSchedule.model_validate({"before_due": [7, 3], "final_from_days_overdue": 30})
    c = resolve_reminders(agency, client)
    assert c.skip_weekends and c.holidays == {date(2026, 12, 25)}
    assert [s.name for s in c.steps] == ["before-7", "before-3", "due", "overdue-1", "overdue-7"]
    assert c.final_from == 30
    assert resolve_reminders(None, None) == cadence()
    # an agency that writes no schedule gets the defaults
    sample = Agency.model_validate(
        {
            "name": "A",
            "email": "a@a.example",
            "address": ["x"],
            "portal_url": "https://p.example",
            "api_url": "https://a.example",
        }
    )
    assert resolve_reminders(sample.reminders, None) == cadence()


def test_the_cadence_travels_as_json() -> None:
    import json

    c = cadence(skip_weekends=True, holidays=["2026-12-25"], final_from_days_overdue=60)
    assert Cadence.from_json(json.loads(json.dumps(c.to_json()))) == c
    assert cadence_from_text(json.dumps(c.to_json())) == c


@pytest.mark.parametrize("steps", [{"before_due": [5, 5]}, {"overdue": [1, 7, 7]}])
def test_a_day_twice_is_refused(steps: dict[str, list[int]]) -> None:
    with pytest.raises(ValueError, match="same day twice"):
        ReminderSchedule.model_validate(steps)


@pytest.mark.parametrize(
    ("value", "words"),
    [([1, "soon"], "number of days"), ([{"days": 3, "tone": "rude"}], "friendly"), ([0], "1")],
)
def test_a_bad_step_is_refused(value: list[object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        ReminderSchedule.model_validate({"overdue": value})


# --- deciding ----------------------------------------------------------------------------


def test_decide_sends_the_current_step_then_waits_for_the_next() -> None:
    c = cadence()
    today = date(2026, 11, 29)
    d = decide(c, DUE, ISSUED, today, status="open", amount_due=100, last_offset=None)
    assert (d.action, d.step and d.step.name, d.next_date) == ("send", "before-3", DUE)
    again = decide(c, DUE, ISSUED, today, status="open", amount_due=100, last_offset=-3)
    assert (again.action, again.next_date) == ("wait", DUE)


def test_decide_catches_up_with_one_reminder_not_a_burst() -> None:
    c = cadence()
    late = date(2026, 12, 20)  # nothing sent since the invoice went out
    d = decide(c, DUE, ISSUED, late, status="overdue", amount_due=100, last_offset=None)
    assert d.step is not None and d.step.name == "overdue-14"
    assert d.next_date == date(2027, 1, 1)


def test_decide_never_goes_back_to_an_earlier_step() -> None:
    c = cadence()
    early = date(2026, 11, 23)  # a run given an earlier day than the last one
    d = decide(c, DUE, ISSUED, early, status="open", amount_due=100, last_offset=7)
    assert d.action == "wait"


@pytest.mark.parametrize("status", ["paid", "void", "disputed", "draft"])
def test_decide_closes_a_settled_invoice(status: str) -> None:
    d = decide(cadence(), DUE, ISSUED, DUE, status=status, amount_due=100, last_offset=None)
    assert (d.action, d.next_date) == ("close", None)


def test_a_paid_instalment_closes_and_a_pending_debit_keeps_watching() -> None:
    c = cadence()
    paid = decide(c, DUE, ISSUED, DUE, status="partially_paid", amount_due=0, last_offset=None)
    assert paid.action == "close"
    pending = decide(
        c, DUE, ISSUED, DUE, status="paid", amount_due=0, last_offset=None, payment_pending=True
    )
    assert (pending.action, pending.next_date) == ("wait", date(2026, 12, 3))


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(st.integers(1, 20), unique=True, max_size=4),
    overdue=st.lists(st.integers(1, 60), unique=True, max_size=5),
    repeat=st.integers(0, 40),
    skip_weekends=st.booleans(),
    run_every=st.integers(1, 9),
    due_in=st.integers(0, 40),
)
def test_walking_day_by_day_sends_each_step_once_in_order(
    before: list[int],
    overdue: list[int],
    repeat: int,
    skip_weekends: bool,
    run_every: int,
    due_in: int,
) -> None:
    """Whatever the schedule and however often the job runs: each step at most once, in order,
    never before its send day, never two on one day, and the last step due is never skipped."""
    c = cadence(
        before_due=before, overdue=overdue, repeat_every_days=repeat, skip_weekends=skip_weekends
    )
    due = ISSUED + timedelta(days=due_in)
    sent: list[tuple[int, date]] = []
    last = None
    day = ISSUED
    end = due + timedelta(days=150)
    while day <= end:
        d = decide(c, due, ISSUED, day, status="open", amount_due=1, last_offset=last)
        if d.action == "send":
            assert d.step is not None
            sent.append((d.step.offset, day))
            last = d.step.offset
        day += timedelta(days=run_every)
    offsets = [o for o, _ in sent]
    assert offsets == sorted(set(offsets))
    assert len({d for _, d in sent}) == len(sent)
    for offset, on in sent:
        assert working_day(due + timedelta(days=offset), c) <= on
    final = current(c, due, ISSUED, end)
    if final is not None and final.on <= end - timedelta(days=run_every):
        assert final.step.offset in offsets
