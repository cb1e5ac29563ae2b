"""The store contract: every implementation passes the same tests."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from functions.pages import queue_page_changes
from functions.store import (
    Change,
    CheckoutSession,
    DynamoStore,
    OutboxItem,
    Payment,
    SqliteStore,
    Store,
)
from functions.store.dynamodb import create_table
from tests.integration.conftest import aws_client


@pytest.fixture
def dynamodb_table(moto_endpoint: str) -> Iterator[tuple[Any, str]]:
    """A fresh, uniquely named table: (client, name)."""
    client, name = aws_client("dynamodb", moto_endpoint), f"store-{uuid.uuid4().hex[:12]}"
    create_table(client, name)
    yield client, name
    client.delete_table(TableName=name)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield SqliteStore(tmp_path / "store.sqlite3")
    else:
        client, name = request.getfixturevalue("dynamodb_table")  # moto only when needed
        yield DynamoStore(name, client)


def paid(pi: str = "pi_1", status: str = "succeeded", refunded: int = 0) -> Payment:
    return Payment(
        id=pi,
        invoice="INV-1",
        client="acme",
        amount=103000,
        currency="USD",
        received="2026-04-01",
        method="card",
        status=status,  # type: ignore[arg-type]
        refunded=refunded,
    )


def receipt(pi: str = "pi_1") -> OutboxItem:
    return OutboxItem(key=f"receipt:{pi}", kind="email", payload={"payment": pi})


def test_ledger_round_trip(store: Store) -> None:
    store.put_invoices({"INV-1": {"client": "acme", "amount_due": 5}, "INV-2": {"client": "b"}})
    store.put_invoices({"INV-1": {"client": "acme", "amount_due": 0}})
    assert store.invoice("INV-1") == {"client": "acme", "amount_due": 0}
    assert store.invoice("INV-2") == {"client": "b"}
    assert store.invoice("INV-3") is None
    assert store.clients() == ["acme", "b"]  # each client once, whatever its invoices


def test_an_event_applies_once(store: Store) -> None:
    change = Change("evt_1", payments=[paid()], outbox=[receipt()])
    assert store.apply(change) is True
    assert store.apply(change) is False
    assert [p.id for p in store.payments()] == ["pi_1"]
    assert [i.key for i in store.due(now=10**10)] == ["receipt:pi_1"]


def test_one_payment_through_two_events_counts_once(store: Store) -> None:
    assert store.apply(Change("evt_1", payments=[paid(status="pending")], outbox=[]))
    assert store.apply(Change("evt_2", payments=[paid()], outbox=[receipt()]))
    assert store.apply(Change("evt_3", payments=[paid(status="pending")], outbox=[receipt()]))
    (payment,) = store.payments("INV-1")
    assert payment.status == "succeeded"  # a late "pending" does not undo it
    assert store.payment("pi_1") == payment and store.payment("pi_2") is None
    assert store.pending() == 1


def test_refunds_only_grow_and_reviews_are_kept(store: Store) -> None:
    store.apply(Change("evt_1", payments=[paid()]))
    store.apply(Change("evt_2", payments=[paid(refunded=3000)]))
    store.apply(Change("evt_3", payments=[paid(refunded=1000)], reviews=[{"why": "odd"}]))
    assert store.payments()[0].refunded == 3000
    assert store.reviews() == [{"event": "evt_3", "why": "odd"}]


def test_open_session_is_reused_until_it_expires(store: Store) -> None:
    session = CheckoutSession("cs_1", "INV-1", "acme", None, 103000, "USD", "https://x", 2000)
    store.save_session(session)
    assert store.open_session("INV-1", None, 103000, now=1000) == session
    assert store.open_session("INV-1", None, 99, now=1000) is None  # another amount
    assert store.open_session("INV-1", 2, 103000, now=1000) is None  # another instalment
    assert store.open_session("INV-1", None, 103000, now=1990) is None  # about to expire
    store.apply(Change("evt_x", sessions={"cs_1": "complete"}))
    assert store.open_session("INV-1", None, 103000, now=1000) is None
    assert store.session("cs_1").status == "complete"  # type: ignore[union-attr]


def test_outbox_retries_later_and_finishes(store: Store) -> None:
    store.apply(Change("evt_1", outbox=[receipt("pi_1"), receipt("pi_2")]))
    store.retry("receipt:pi_1", "451 try later", next_attempt=500)
    assert [i.key for i in store.due(now=100)] == ["receipt:pi_2"]
    due = store.due(now=600)
    assert {i.key for i in due} == {"receipt:pi_1", "receipt:pi_2"}
    assert next(i for i in due if i.key == "receipt:pi_1").attempts == 1
    store.done("receipt:pi_2")
    assert [i.key for i in store.due(now=600)] == ["receipt:pi_1"]
    assert store.pending() == 1
    (failing,) = store.unsent()
    assert (failing.key, failing.attempts, failing.last_error) == (
        "receipt:pi_1",
        1,
        "451 try later",
    )


def test_an_item_is_claimed_by_one_drain_only(store: Store) -> None:
    store.apply(Change("evt_1", outbox=[receipt("pi_1")]))
    (seen_by_a,) = store.due(now=100)
    (seen_by_b,) = store.due(now=100)
    assert store.claim(seen_by_a, until=400) is True
    assert store.claim(seen_by_b, until=400) is False  # b read it before a took it
    assert store.due(now=399) == []
    (again,) = store.due(now=400)  # a drain that died frees it when the lease ends
    assert store.claim(again, until=700) is True


def test_a_dispute_stays_whatever_comes_after(store: Store) -> None:
    store.apply(Change("evt_1", payments=[paid("pi_1")]))
    store.apply(Change("evt_2", payments=[replace(paid("pi_1"), disputed=True)]))
    store.apply(Change("evt_3", payments=[paid("pi_1", refunded=500)]))  # a later refund
    (payment,) = store.payments("INV-1")
    assert payment.disputed and payment.refunded == 500 and store.payment("pi_1") == payment


def _apply_many(path: str, results: multiprocessing.Queue) -> None:
    store = SqliteStore(path)
    for n in range(50):
        pi = f"pi_{n}"
        results.put(store.apply(Change(f"evt_{n}", payments=[paid(pi)], outbox=[receipt(pi)])))


def test_concurrent_processes_apply_each_event_once(tmp_path: Path) -> None:
    path = str(tmp_path / "store.sqlite3")
    SqliteStore(path)
    results: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.get_context("fork").Process(target=_apply_many, args=(path, results))
        for _ in range(4)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=30) for _ in range(4 * 50)]
    for w in workers:
        w.join(timeout=30)
    assert outcomes.count(True) == 50
    store = SqliteStore(path)
    assert len(store.payments()) == 50 and store.pending() == 50


def test_concurrent_writers_apply_each_event_once_in_dynamodb(
    dynamodb_table: tuple[Any, str], moto_endpoint: str
) -> None:
    _, name = dynamodb_table
    start = threading.Barrier(4)
    outcomes: list[bool] = []

    def apply_many(store: DynamoStore) -> None:
        start.wait()
        for n in range(50):
            pi = f"pi_{n}"
            outcomes.append(store.apply(Change(f"evt_{n}", [paid(pi)], outbox=[receipt(pi)])))

    workers = [  # one client per writer, made here: making boto3 clients is not thread-safe
        threading.Thread(
            target=apply_many, args=(DynamoStore(name, aws_client("dynamodb", moto_endpoint)),)
        )
        for _ in range(4)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert len(outcomes) == 4 * 50 and outcomes.count(True) == 50
    store = DynamoStore(name, aws_client("dynamodb", moto_endpoint))
    assert len(store.payments()) == 50 and store.pending() == 50


def test_concurrent_events_for_one_payment_lose_no_update_in_dynamodb(
    dynamodb_table: tuple[Any, str], moto_endpoint: str
) -> None:
    _, name = dynamodb_table
    start = threading.Barrier(4)
    outcomes: list[bool] = []

    def refund_many(store: DynamoStore, writer: int) -> None:
        start.wait()
        for n in range(writer, 40, 4):  # each writer its own events, all for pi_1
            change = Change(f"evt_{n}", [paid(refunded=100 * n)], outbox=[receipt()])
            outcomes.append(store.apply(change))

    workers = [
        threading.Thread(
            target=refund_many, args=(DynamoStore(name, aws_client("dynamodb", moto_endpoint)), w)
        )
        for w in range(4)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert outcomes.count(True) == 40
    store = DynamoStore(name, aws_client("dynamodb", moto_endpoint))
    (payment,) = store.payments()
    assert payment.refunded == 3900 and store.payments("INV-1") == [payment]
    assert store.pending() == 1


def test_clients_are_found_by_the_day_their_pages_change(store: Store) -> None:
    def entry(client: str, change: str | None) -> dict[str, Any]:
        return {"client": client, "currency": "USD", "status": "open", "pages_change": change}

    store.put_invoices(
        {
            "INV-1": entry("acme", "2026-12-01"),
            "INV-2": entry("acme", "2026-12-01"),
            "INV-3": entry("globex", "2026-12-05"),
            "INV-4": entry("initech", None),
        }
    )
    assert store.pages_changing("2026-11-30") == []
    assert store.pages_changing("2026-12-01") == ["acme"]
    assert store.pages_changing("2026-12-09") == ["acme", "globex"]

    queued = queue_page_changes(store, date(2026, 12, 5))
    assert queued == ["acme", "globex"]
    queue_page_changes(store, date(2026, 12, 5))  # the job again that day: nothing more
    keys = sorted(item.key for item in store.due(now=10**10))
    assert keys == ["publish:acme:pages-2026-12-05", "publish:globex:pages-2026-12-05"]

    # re-published: acme's pages now change no more, globex's later
    store.put_invoices({"INV-1": entry("acme", None), "INV-3": entry("globex", "2027-01-02")})
    assert store.pages_changing("2026-12-31") == []
    assert store.pages_changing("2027-01-02") == ["globex"]
