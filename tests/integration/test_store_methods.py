"""Autopay's records in the store: one Stripe Customer per client, one saved method while on.

Every implementation passes the same tests (SQLite, and DynamoDB on moto's server).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.store import CheckoutSession, DynamoStore, SqliteStore, Store
from functions.store.dynamodb import create_table
from tests.integration.conftest import aws_client


@pytest.fixture
def dynamodb_table(moto_endpoint: str) -> Iterator[tuple[Any, str]]:
    client, name = aws_client("dynamodb", moto_endpoint), f"methods-{uuid.uuid4().hex[:12]}"
    create_table(client, name)
    yield client, name
    client.delete_table(TableName=name)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield SqliteStore(tmp_path / "store.sqlite3")
    else:
        client, name = request.getfixturevalue("dynamodb_table")
        yield DynamoStore(name, client)


def visa(pm: str = "pm_1", last4: str = "4242", customer: str = "cus_1") -> dict[str, Any]:
    return {
        "customer": customer,
        "payment_method": pm,
        "type": "card",
        "brand": "visa",
        "last4": last4,
    }


def test_a_client_keeps_its_first_customer(store: Store) -> None:
    assert store.customer("acme") is None
    assert store.save_customer("acme", "cus_1") == "cus_1"
    # a second enrolment that made another Customer meanwhile is given the first one
    assert store.save_customer("acme", "cus_2") == "cus_1"
    assert store.customer("acme") == "cus_1"
    assert store.customer("other") is None
    assert store.method("acme") is None  # a Customer alone is not autopay
    assert store.methods() == []


def test_a_saved_method_puts_the_client_on_autopay(store: Store) -> None:
    store.save_customer("acme", "cus_1")
    assert store.save_method("acme", visa(), "2026-04-01") is None  # nothing replaced
    expected = {"client": "acme", **visa(), "since": "2026-04-01"}
    assert store.method("acme") == expected
    assert store.methods() == [expected]
    assert store.customer("acme") == "cus_1"


def test_saving_the_same_method_again_changes_nothing(store: Store) -> None:
    store.save_method("acme", visa(), "2026-04-01")
    assert store.save_method("acme", visa(), "2026-04-09") is None
    method = store.method("acme")
    assert method is not None and method["since"] == "2026-04-01"  # the first save stands


def test_a_new_method_replaces_the_old_and_returns_it(store: Store) -> None:
    store.save_method("acme", visa(), "2026-04-01")
    old = store.save_method("acme", visa("pm_2", "4444"), "2026-04-05")
    assert old is not None and old["payment_method"] == "pm_1"  # to detach at Stripe
    method = store.method("acme")
    assert method is not None
    assert (method["payment_method"], method["last4"], method["since"]) == (
        "pm_2",
        "4444",
        "2026-04-05",
    )
    assert [m["payment_method"] for m in store.methods()] == ["pm_2"]


def test_dropping_keeps_the_customer(store: Store) -> None:
    store.save_customer("acme", "cus_1")
    store.save_method("acme", visa(), "2026-04-01")
    dropped = store.drop_method("acme", "turned off by the client", "2026-04-03")
    assert dropped is not None and dropped["payment_method"] == "pm_1"
    assert store.method("acme") is None
    assert store.methods() == []
    assert store.customer("acme") == "cus_1"  # one Customer per client, for good
    assert store.drop_method("acme", "again", "2026-04-04") is None  # nothing left to drop
    # on again later: the same Customer, a new method
    assert store.save_method("acme", visa("pm_3"), "2026-05-01") is None
    method = store.method("acme")
    assert method is not None and method["payment_method"] == "pm_3"


def test_a_drop_of_a_replaced_method_leaves_the_new_one(store: Store) -> None:
    store.save_method("acme", visa("pm_1"), "2026-04-01")
    store.save_method("acme", visa("pm_2"), "2026-04-02")
    # the charging job gives up on pm_1, which the client has replaced meanwhile
    assert store.drop_method("acme", "kept failing", "2026-04-03", payment_method="pm_1") is None
    method = store.method("acme")
    assert method is not None and method["payment_method"] == "pm_2"
    assert store.drop_method("acme", "kept failing", "2026-04-03", payment_method="pm_2")
    assert store.method("acme") is None


def test_methods_lists_every_client_on_autopay_in_order(store: Store) -> None:
    for client in ("zeta", "acme", "mid"):
        store.save_method(client, visa(f"pm_{client}", customer=f"cus_{client}"), "2026-04-01")
    store.drop_method("mid", "turned off by the client", "2026-04-02")
    assert [(m["client"], m["customer"]) for m in store.methods()] == [
        ("acme", "cus_acme"),
        ("zeta", "cus_zeta"),
    ]


def test_concurrent_saves_of_one_event_replace_once(store: Store) -> None:
    """Two deliveries of one completed setup at once: one saves, the other finds it saved;
    the method replaced is handed back once, so it is detached once."""
    store.save_method("acme", visa("pm_old"), "2026-04-01")
    results: list[dict[str, Any] | None] = []
    barrier = threading.Barrier(4)

    def save() -> None:
        barrier.wait()
        results.append(store.save_method("acme", visa("pm_new"), "2026-04-02"))

    threads = [threading.Thread(target=save) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r["payment_method"] for r in results if r is not None] == ["pm_old"]
    method = store.method("acme")
    assert method is not None and method["payment_method"] == "pm_new"


def session(sid: str, *, autopay: bool) -> CheckoutSession:
    return CheckoutSession(
        id=sid,
        invoice="INV-1",
        client="acme",
        instalment=None,
        amount=5000,
        currency="USD",
        url=f"https://checkout.example/{sid}",
        expires_at=10_000,
        autopay=autopay,
    )


def test_an_autopay_session_is_reused_only_for_autopay(store: Store) -> None:
    store.save_session(session("cs_plain", autopay=False))
    assert store.open_session("INV-1", None, 5000, 1_000, autopay=True) is None
    store.save_session(session("cs_auto", autopay=True))
    plain = store.open_session("INV-1", None, 5000, 1_000)
    auto = store.open_session("INV-1", None, 5000, 1_000, autopay=True)
    assert plain is not None and plain.id == "cs_plain" and plain.autopay is False
    assert auto is not None and auto.id == "cs_auto" and auto.autopay is True
    found = store.session("cs_auto")
    assert found is not None and found.autopay is True


def test_a_store_made_before_autopay_reads_its_sessions_as_plain(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE sessions (id TEXT PRIMARY KEY, invoice TEXT NOT NULL, client TEXT NOT NULL, "
        "instalment INTEGER, amount INTEGER NOT NULL, currency TEXT NOT NULL, url TEXT NOT NULL, "
        "expires_at INTEGER NOT NULL, status TEXT NOT NULL)"
    )
    db.execute(
        "INSERT INTO sessions VALUES ('cs_old', 'INV-1', 'acme', NULL, 5000, 'USD', 'u', "
        "10000, 'open')"
    )
    db.commit()
    db.close()
    store = SqliteStore(path)
    found = store.open_session("INV-1", None, 5000, 1_000)
    assert found is not None and found.id == "cs_old" and found.autopay is False
