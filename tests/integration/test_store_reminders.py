"""The store's reminder contract, on SQLite and on DynamoDB (moto's server): the same tests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.store import DynamoStore, OutboxItem, SqliteStore, Store
from functions.store.base import Reminder, TrackMove
from functions.store.dynamodb import create_table
from site_builder.billing.reminders import resolve_reminders
from site_builder.model import ReminderSchedule
from tests.integration.conftest import aws_client

# before 10, 5, 3; due; overdue 1, 7, 14, 30, then every 30 days; no working-day shifts
CADENCE = resolve_reminders(ReminderSchedule()).to_json()


@pytest.fixture
def table(moto_endpoint: str) -> Iterator[tuple[Any, str]]:
    client, name = aws_client("dynamodb", moto_endpoint), f"remind-{uuid.uuid4().hex[:12]}"
    create_table(client, name)
    yield client, name
    client.delete_table(TableName=name)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield SqliteStore(tmp_path / "store.sqlite3")
    else:
        client, name = request.getfixturevalue("table")
        yield DynamoStore(name, client)


def entry(
    due: str = "2026-12-02", status: str = "open", amount_due: int = 1000, **more: Any
) -> dict[str, Any]:
    return {
        "client": "acme",
        "currency": "USD",
        "issued": "2026-11-02",
        "due": due,
        "status": status,
        "amount_due": amount_due,
        "instalments": [
            {"n": 1, "kind": "full", "due": due, "amount": 1000, "amount_due": amount_due}
        ],
        "reminders": CADENCE,
        **more,
    }


def plan_entry() -> dict[str, Any]:
    parts = [
        {"n": 1, "kind": "instalment", "due": "2026-11-20", "amount": 500, "amount_due": 0},
        {"n": 2, "kind": "instalment", "due": "2026-12-20", "amount": 500, "amount_due": 500},
        {"n": 3, "kind": "instalment", "due": "2027-01-20", "amount": 500, "amount_due": 500},
    ]
    return entry(due="2027-01-20", status="partially_paid", instalments=parts)


def reminder(
    invoice: str, step: str, offset: int, day: str, next_date: str | None, n: int = 0
) -> Reminder:
    key = f"reminder:{invoice}:{n}:{step}"
    return Reminder(
        invoice, n, step, offset, day, OutboxItem(key, "email", {"mail": {"x": key}}), next_date
    )


def due_on(store: Store, day: str) -> list[tuple[str, int, str | None]]:
    return [(t.invoice, t.instalment, t.next_date) for t in store.reminders_due(day)]


def test_put_invoices_indexes_each_entrys_first_reminder_day(store: Store) -> None:
    store.put_invoices(
        {
            "INV-1": entry(),
            "INV-PAID": entry(status="paid", amount_due=0),
            "INV-VOID": entry(status="void", amount_due=0),
            "INV-PLAN": plan_entry(),
            "INV-OLD": {"client": "acme", "amount_due": 5},  # no schedule in the entry: none
        }
    )
    assert due_on(store, "2026-11-21") == []
    assert due_on(store, "2026-11-22") == [("INV-1", 0, "2026-11-22")]  # 10 days before
    # each instalment its own track; the paid one has none ahead
    assert due_on(store, "2026-12-10") == [
        ("INV-1", 0, "2026-11-22"),
        ("INV-PLAN", 2, "2026-12-10"),
    ]
    assert store.reminders("INV-1") == []


def test_a_reminder_is_recorded_once_with_its_email(store: Store) -> None:
    store.put_invoices({"INV-1": entry()})
    first = reminder("INV-1", "before-10", -10, "2026-11-22", "2026-11-27")
    assert store.record_reminders([first]) == [True]
    assert store.record_reminders([first]) == [False]  # a rerun, another process
    assert [i.key for i in store.due(now=10**10)] == ["reminder:INV-1:0:before-10"]
    assert store.due(now=10**10)[0].payload == {"mail": {"x": "reminder:INV-1:0:before-10"}}
    (sent,) = store.reminders("INV-1")
    assert (sent.step, sent.day, sent.key) == ("before-10", "2026-11-22", first.email.key)
    assert due_on(store, "2026-11-26") == []  # moved on to its next day
    (track,) = store.reminders_due("2026-11-27")
    assert (track.last_step, track.last_offset, track.last_sent) == (
        "before-10",
        -10,
        "2026-11-22",
    )


def test_steps_only_move_forward(store: Store) -> None:
    store.put_invoices({"INV-1": entry()})
    assert store.record_reminders(
        [reminder("INV-1", "overdue-7", 7, "2026-12-09", "2026-12-16")]
    ) == [True]
    late = reminder("INV-1", "overdue-1", 1, "2026-12-03", "2026-12-09")
    unknown = reminder("INV-NONE", "due", 0, "2026-12-02", None)  # no track: nothing to record
    assert store.record_reminders([late, unknown]) == [False, False]
    assert [i.key for i in store.unsent()] == ["reminder:INV-1:0:overdue-7"]


def test_a_batch_records_what_is_new_and_refuses_the_rest(store: Store) -> None:
    store.put_invoices({"INV-1": entry(), "INV-2": entry()})
    a = reminder("INV-1", "before-10", -10, "2026-11-22", "2026-11-27")
    store.record_reminders([a])
    b = reminder("INV-2", "before-10", -10, "2026-11-22", "2026-11-27")
    assert store.record_reminders([a, b]) == [False, True]
    assert store.pending() == 2


def test_moves_set_the_next_day_or_take_the_track_out_of_the_index(store: Store) -> None:
    store.put_invoices({"INV-1": entry(), "INV-2": entry()})
    store.move_reminders(
        [
            TrackMove("INV-1", 0, "2026-11-22", "2026-11-27"),
            TrackMove("INV-2", 0, "2026-11-22", None),  # paid meanwhile
            TrackMove("INV-GONE", 0, "2026-11-22", "2026-11-27"),  # unknown: ignored
        ]
    )
    assert due_on(store, "2026-12-31") == [("INV-1", 0, "2026-11-27")]


def test_a_new_ledger_keeps_how_far_the_job_got(store: Store) -> None:
    store.put_invoices({"INV-1": entry()})
    store.record_reminders([reminder("INV-1", "before-5", -5, "2026-11-27", "2026-11-29")])
    store.move_reminders([TrackMove("INV-1", 0, "2026-11-29", "2026-12-02")])
    store.put_invoices({"INV-1": entry()})  # the next build
    (track,) = store.reminders_due("2026-12-02")
    assert (track.next_date, track.checked, track.last_step) == (
        "2026-12-02",
        "2026-11-29",
        "before-5",
    )
    store.put_invoices({"INV-1": entry(status="paid", amount_due=0)})  # paid by then
    assert due_on(store, "2027-12-31") == []
    store.put_invoices({"INV-1": entry(due="2026-12-20")})  # reopened, with a new due date
    assert due_on(store, "2027-12-31") == [("INV-1", 0, "2026-12-10")]  # the first after 29 Nov


def test_concurrent_writers_record_each_reminder_once_in_dynamodb(
    table: tuple[Any, str], moto_endpoint: str
) -> None:
    _, name = table
    DynamoStore(name, aws_client("dynamodb", moto_endpoint)).put_invoices(
        {f"INV-{n}": entry() for n in range(10)}
    )
    batch = [reminder(f"INV-{n}", "before-10", -10, "2026-11-22", "2026-11-27") for n in range(10)]
    start = threading.Barrier(3)
    outcomes: list[bool] = []

    def record(store: DynamoStore) -> None:
        start.wait()
        outcomes.extend(store.record_reminders(batch))

    workers = [  # one boto3 client per writer, made here (making clients is not thread-safe)
        threading.Thread(
            target=record, args=(DynamoStore(name, aws_client("dynamodb", moto_endpoint)),)
        )
        for _ in range(3)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert len(outcomes) == 30 and outcomes.count(True) == 10
    store = DynamoStore(name, aws_client("dynamodb", moto_endpoint))
    assert store.pending() == 10
    assert all(len(store.reminders(f"INV-{n}")) == 1 for n in range(10))
