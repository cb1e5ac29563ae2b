"""The reminders job, every day for three months, on the sample agency (weekends skipped,
Thanksgiving Thursday and Friday, Christmas and New Year's Day as holidays).

The sample is built once; its ledger goes into a SQLite store, and ``job.run`` runs on each
day as the schedule would. Every step of every open invoice issued in the walk is sent once on
its send day, or folded into a more urgent step sent that same day; none twice, none later.
Two invoices are read closely: INV-2026-0130 (due on the Thanksgiving holiday, its first late
fee falling on the Friday holiday) and INV-2026-0131 (due on a Saturday).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from functions.reminders import job
from functions.snapshots import FolderSnapshots
from functions.store import SqliteStore
from site_builder.billing.reminders import cadence_from_text, schedule
from site_builder.build import build
from site_builder.render import Theme
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET

START, END = date(2026, 11, 1), date(2027, 1, 31)
HOLIDAY_DUE = "INV-2026-0130"  # harbor-light, $1,650.00, due Thursday 26 November
SATURDAY_DUE = "INV-2026-0131"  # xinghe, due Saturday 28 November


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("walk")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    ledger = json.loads((out / "build" / "ledger.json").read_text("utf-8"))["invoices"]
    store = SqliteStore(out / "store.sqlite3")
    store.put_invoices(ledger)
    snapshots, theme = FolderSnapshots(out / "build" / "clients"), Theme()
    sent: dict[tuple[str, int, str], date] = {}
    day = START
    while day <= END:
        report = job.run(store, snapshots, theme, day, secret=SECRET, workers=1)
        assert not report.failed and not report.already
        for row in report.sent:
            key = (row.invoice, row.instalment, row.step)
            assert key not in sent, f"{key} sent on {sent[key]} and again on {day}"
            sent[key] = day
        day += timedelta(days=1)
    mails = {item.key: item.payload["mail"] for item in store.unsent()}
    return {"ledger": ledger, "sent": sent, "store": store, "mails": mails}


def test_every_step_is_sent_once_or_folded_into_a_more_urgent_one(walked: dict[str, Any]) -> None:
    sent: dict[tuple[str, int, str], date] = walked["sent"]
    checked = 0
    for number, entry in walked["ledger"].items():
        issued = date.fromisoformat(entry["issued"])
        if issued < START or entry["status"] in ("paid", "void") or not entry.get("reminders"):
            continue  # steps before the walk began are not the walk's to send
        cadence = cadence_from_text(json.dumps(entry["reminders"]))
        parts = entry["instalments"]
        for part in parts:
            if part["amount_due"] <= 0:
                continue  # paid (a deposit paid on issue): nothing to remind
            n = 0 if len(parts) == 1 else part["n"]
            mine = {step: day for (inv, i, step), day in sent.items() if (inv, i) == (number, n)}
            planned = [
                s for s in schedule(cadence, date.fromisoformat(part["due"]), issued) if s.on <= END
            ]
            offsets = {s.step.name: s.step.offset for s in planned}
            for item in planned:
                checked += 1
                if item.step.name in mine:
                    assert mine[item.step.name] == item.on, (number, n, item)
                    continue
                folded_into = [
                    name
                    for name, day in mine.items()
                    if day == item.on and offsets[name] > item.step.offset
                ]
                assert folded_into, f"{number}/{n}: {item.step.name} on {item.on} was lost"
            for day in mine.values():
                assert day.weekday() < 5 and day not in cadence.holidays
    assert checked > 20


def test_a_due_date_on_a_holiday_sends_one_email_with_the_holiday_s_fee(
    walked: dict[str, Any],
) -> None:
    sent = walked["sent"]
    steps = {step: day for (inv, _, step), day in sent.items() if inv == HOLIDAY_DUE}
    # Saturday 21 (before-5) folded into Monday 23 (before-3); the due step (the 26th, a
    # holiday) folded into overdue-1 (the 27th, a holiday too): both go on Monday the 30th
    assert "before-5" not in steps and steps["before-3"] == date(2026, 11, 23)
    assert "due" not in steps and steps["overdue-1"] == date(2026, 11, 30)
    assert steps["overdue-30"] == date(2026, 12, 28)  # Saturday 26 December moved to Monday
    monday = walked["mails"][f"reminder:{HOLIDAY_DUE}:0:overdue-1"]
    # the fee fell on the Friday holiday, as the terms date it; Monday's email says so,
    # with the amount due that day and the overdue step's tone
    assert monday["subject"] == "Invoice INV-2026-0130 is 4 days overdue"
    assert "A late fee of $49.50 was added on November 27, 2026" in monday["text"]
    assert "$1,699.50" in monday["text"]
    assert "We have not received payment" in monday["text"]
    later = walked["mails"][f"reminder:{HOLIDAY_DUE}:0:overdue-30"]
    assert "December 17, 2026" in later["text"]  # the second fee, since the last reminder


def test_a_saturday_due_date_keeps_its_date_and_its_reminder_goes_on_monday(
    walked: dict[str, Any],
) -> None:
    entry = walked["ledger"][SATURDAY_DUE]
    assert entry["due"] == "2026-11-28"  # the due date the invoice states does not move
    steps = {step: day for (inv, _, step), day in walked["sent"].items() if inv == SATURDAY_DUE}
    assert "due" not in steps and steps["overdue-1"] == date(2026, 11, 30)
    assert steps["overdue-7"] == date(2026, 12, 7)  # Saturday 5 December moved to Monday
