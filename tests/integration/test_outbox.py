"""The drain against a real SQLite store: outages delay work, never lose or repeat it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from functions.outbox import PermanentFailure, backoff, drain
from functions.store import Change, OutboxItem, SqliteStore


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
    assert backoff(50) == 6 * 3600.0


def test_an_outage_delays_delivery_and_every_item_goes_out_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    items = [OutboxItem(f"receipt:pi_{n}", "email", {"n": n}) for n in range(5)]
    store.apply(Change("evt_1", outbox=items))
    delivered: list[int] = []
    server_up = False

    def send(payload: Mapping[str, Any]) -> None:
        if not server_up:
            raise ConnectionRefusedError("smtp down")
        delivered.append(payload["n"])

    clock = 1000.0
    report = drain(store, {"email": send}, now=lambda: clock)
    assert not report.done and len(report.retried) == 5 and store.pending() == 5
    assert drain(store, {"email": send}, now=lambda: clock + 1).retried == {}  # not due yet

    server_up = True
    clock += backoff(1)
    report = drain(store, {"email": send}, now=lambda: clock)
    assert sorted(delivered) == [0, 1, 2, 3, 4] and store.pending() == 0
    assert drain(store, {"email": send}, now=lambda: clock + 10**6).done == []  # nothing twice


def test_a_permanent_failure_waits_visibly(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.apply(Change("evt_1", outbox=[OutboxItem("receipt:pi_1", "email", {})]))

    def reject(payload: Mapping[str, Any]) -> None:
        raise PermanentFailure("550 no such user")

    drain(store, {"email": reject}, now=lambda: 0.0)
    (item,) = store.due(now=10**9)
    assert item.last_error == "permanent: 550 no such user" and item.attempts == 1
    assert store.due(now=3600) == []


def test_two_drains_at_once_send_each_item_once(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    SqliteStore(path).apply(
        Change(
            "evt_1", outbox=[OutboxItem(f"receipt:pi_{n}", "email", {"n": n}) for n in range(40)]
        )
    )
    sent: list[int] = []
    start = threading.Barrier(2)

    def run() -> None:
        store = SqliteStore(path)
        start.wait()
        drain(store, {"email": lambda payload: sent.append(payload["n"])}, limit=100)

    drains = [threading.Thread(target=run) for _ in range(2)]
    for d in drains:
        d.start()
    for d in drains:
        d.join(timeout=30)
    assert sorted(sent) == list(range(40))


def test_identical_work_is_done_once_per_pass(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    publish = [OutboxItem(f"publish:acme:evt_{n}", "publish", {"client": "acme"}) for n in range(5)]
    store.apply(
        Change(
            "evt_1", outbox=[*publish, OutboxItem("publish:b:evt_1", "publish", {"client": "b"})]
        )
    )
    done: list[str] = []
    report = drain(store, {"publish": lambda payload: done.append(payload["client"])})
    assert sorted(done) == ["acme", "b"] and len(report.done) == 6 and store.pending() == 0
