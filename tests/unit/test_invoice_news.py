"""The pure rules of the invoice emails: what is new, changed or void, and the change in words."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from functions.deliveries import (
    Difference,
    InvoiceNews,
    invoice_news,
    news_change,
    version,
)
from functions.invoice_mail import change_lines
from functions.store.sqlite import SqliteStore
from site_builder.receivables.attention import attention, attention_lines
from site_builder.render import Theme

TODAY = date(2026, 11, 23)


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "client": "acme",
        "currency": "USD",
        "issued": "2026-11-23",
        "due": "2026-12-14",
        "status": "open",
        "total": 100000,
        "paid": 0,
        "late_fees": 0,
        "instalments": [{"n": 1, "kind": "full", "due": "2026-12-14", "amount": 100000}],
        "payments": [],
        "memo": "not a figure",
        "lines": "aaaaaaaaaaaaaaaa",
    }
    return {**base, **changes}


def news(entries: dict[str, Any], before: dict[str, Any], first: bool = False) -> list:
    return list(invoice_news(entries, before, TODAY, first=first))


def test_an_invoice_the_store_never_held_is_new_once_keyed_by_its_number() -> None:
    (found,) = news({"INV-1": entry()}, {"INV-1": None})
    assert (found.kind, found.key) == ("new", "invoice:INV-1")
    change = news_change(found)
    assert change.event_id == "invoice:INV-1"
    assert [(o.key, o.payload["kind"]) for o in change.outbox] == [("invoice:INV-1", "new")]


def test_the_stores_first_load_is_history() -> None:
    assert news({"INV-1": entry()}, {"INV-1": None}, first=True) == []


def test_an_old_invoice_or_one_first_seen_void_is_not_sent() -> None:
    old = entry(issued="2026-09-01", due="2026-09-22")
    assert news({"INV-1": old, "INV-2": entry(status="void")}, {}) == []
    # the last day of the window still is
    assert news({"INV-3": entry(issued="2026-10-24")}, {})[0].kind == "new"


def test_an_unchanged_entry_or_a_payment_or_fee_is_no_news() -> None:
    held = entry()
    moved = entry(paid=50000, late_fees=3000, status="partially_paid", memo="typo fixed")
    assert news({"INV-1": moved}, {"INV-1": held}) == []


def test_a_changed_total_is_one_update_keyed_by_the_new_figures() -> None:
    held, new = entry(), entry(total=120000, lines="bbbbbbbbbbbbbbbb")
    (found,) = news({"INV-1": new}, {"INV-1": held})
    assert found.kind == "updated"
    assert found.key == f"invoice:INV-1:update:{version(new)}"
    assert [c.field for c in found.changes] == ["total", "lines"]
    assert found.changes[0] == Difference("total", 100000, 120000)
    # the same change loaded again has the same key: the store refuses it as seen
    (again,) = news({"INV-1": new}, {"INV-1": held})
    assert again.key == found.key
    # changed back: other figures, another key (the client is told again)
    (back,) = news({"INV-1": held}, {"INV-1": new})
    assert back.key != found.key


def test_a_plans_dates_and_amounts_are_figures() -> None:
    plan = [
        {"n": 1, "kind": "instalment", "due": "2026-12-14", "amount": 50000},
        {"n": 2, "kind": "instalment", "due": "2027-01-14", "amount": 50000},
    ]
    moved = [plan[0], {**plan[1], "due": "2027-01-31"}]
    (found,) = news({"INV-1": entry(instalments=moved)}, {"INV-1": entry(instalments=plan)})
    assert found.changes == (
        Difference("instalment", ["2027-01-14", 50000], ["2027-01-31", 50000], 2),
    )


def test_an_entry_from_before_lines_were_kept_does_not_count_them() -> None:
    held = {k: v for k, v in entry().items() if k != "lines"}
    assert news({"INV-1": entry()}, {"INV-1": held}) == []


def test_void_is_one_notice_and_a_void_invoice_has_no_updates() -> None:
    (found,) = news({"INV-1": entry(status="void")}, {"INV-1": entry()})
    assert (found.kind, found.key) == ("void", "invoice:INV-1:void")
    held = entry(status="void")
    assert news({"INV-1": entry(status="void", total=1)}, {"INV-1": held}) == []


def test_what_changed_in_words_in_the_clients_language() -> None:
    changes = [
        Difference("total", 100000, 120000),
        Difference("due", "2026-12-14", "2026-12-21"),
        Difference("instalment", ["2027-01-14", 50000], ["2027-01-31", 60000], 2),
    ]
    t = Theme().translations("en")
    assert change_lines(t, changes, "en", "USD") == [
        "Total: $1,000.00 → $1,200.00",
        "Due date: December 14, 2026 → December 21, 2026",
        "Instalment 2: $500.00 due January 14, 2027 → $600.00 due January 31, 2027",
    ]
    pl = change_lines(Theme().translations("pl"), changes[:1], "pl", "PLN")
    assert pl == ["Razem: 1\xa0000,00\xa0zł → 1\xa0200,00\xa0zł"]


def test_news_keys_differ_by_kind() -> None:
    keys = {
        InvoiceNews("new", "INV-1", "c", "v").key,
        InvoiceNews("void", "INV-1", "c", "void").key,
        InvoiceNews("updated", "INV-1", "c", "v").key,
    }
    assert len(keys) == 3


def test_status_lists_an_invoice_published_but_not_delivered(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    (found,) = news({"INV-1": entry()}, {"INV-1": None})
    assert store.apply(news_change(found))
    ledger = {"INV-1": entry()}
    lines = attention_lines(attention(store, ledger))
    assert lines == ["Invoice INV-1 published, not delivered yet: its email is queued"]
    store.retry(found.key, "550 mailbox unavailable", 0.0)  # bounced: a failed email now
    (line,) = attention_lines(attention(store, ledger))
    assert line.startswith("Email not delivered: new invoice (invoice INV-1, 1 attempts)")
    store.done(found.key)
    assert attention_lines(attention(store, ledger)) == []
