"""Which offline payments a load of the ledger announces: ``functions.offline``'s pure rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from functions.offline import (
    HISTORY_BATCH,
    RECEIPT_WINDOW_DAYS,
    NewPayment,
    history_changes,
    new_payments,
    receipt_change,
    unlisted,
)
from functions.store.base import OfflineReceipt

TODAY = date(2026, 11, 23)


def entry(*payments: tuple[str, str]) -> dict[str, Any]:
    return {
        "client": "acme",
        "payments": [{"id": pid, "date": day, "amount": 100} for pid, day in payments],
    }


def test_a_payment_the_store_s_entry_did_not_list_is_new() -> None:
    before = {"INV-1": entry(("old", "2026-11-01"))}
    now = {"INV-1": entry(("old", "2026-11-01"), ("cheque", "2026-11-21"))}
    assert list(new_payments(now, before, TODAY)) == [
        NewPayment("cheque", "INV-1", "acme", date(2026, 11, 21))
    ]
    # loaded again: the store's entry lists it now
    assert list(new_payments(now, now, TODAY)) == []


def test_the_first_sight_of_an_invoice_is_history() -> None:
    now = {"INV-1": entry(("cheque", "2026-11-21"))}
    assert list(new_payments(now, {}, TODAY)) == []
    assert list(new_payments(now, {"INV-1": None}, TODAY)) == []


def test_only_payments_of_the_last_thirty_days_are_announced() -> None:
    oldest = date.fromordinal(TODAY.toordinal() - RECEIPT_WINDOW_DAYS)
    before_oldest = date.fromordinal(oldest.toordinal() - 1)
    now = {
        "INV-1": entry(
            ("found-in-a-drawer", before_oldest.isoformat()),
            ("a-month-ago", oldest.isoformat()),
            ("today", TODAY.isoformat()),
            ("post-dated", "2026-11-24"),  # not counted yet by the build either
        )
    }
    found = [p.id for p in new_payments(now, {"INV-1": entry()}, TODAY)]
    assert found == ["a-month-ago", "today"]


def test_the_receipt_is_keyed_as_a_stripe_payment_s_and_names_the_client() -> None:
    change = receipt_change(NewPayment("cheque", "INV-1", "acme", TODAY))
    assert change.event_id == "offline:cheque" and not change.payments
    item, publish = change.outbox
    assert item.key == "receipt:cheque" and item.kind == "email"
    assert item.payload == {
        "template": "receipt",
        "payment": "cheque",
        "invoice": "INV-1",
        "client": "acme",
    }
    # numbered in the same transaction, from the year it was received; its client's pages,
    # built before the number existed, are published again under it
    assert list(change.offline_receipts) == [OfflineReceipt("cheque", "acme", "2026-11-23")]
    assert (publish.kind, dict(publish.payload)) == ("publish", {"client": "acme"})
    assert publish.key == "publish:acme:offline:cheque"


def test_credit_applied_is_announced_by_nobody_and_takes_no_number() -> None:
    before = {"INV-2": {"client": "acme", "payments": []}}
    now = {
        "INV-2": {
            "client": "acme",
            "payments": [
                {"id": "use-credit", "date": "2026-11-21", "amount": 100, "credit_from": "INV-1"}
            ],
        }
    }
    (found,) = new_payments(now, before, TODAY)
    assert found.credit
    assert not receipt_change(found).offline_receipts
    assert unlisted(now, {}) == []


def test_history_is_numbered_in_the_order_received_leaving_out_what_was_listed() -> None:
    now = {
        "INV-1": entry(("b-late", "2026-06-02"), ("numbered", "2026-01-01")),
        "INV-2": {**entry(("a-same-day", "2026-06-02"), ("first", "2025-12-30")), "client": "zed"},
    }
    # the store's copy of INV-1 lists "listed" already: numbered when first listed
    before = {"INV-1": entry(("listed", "2026-03-01")), "INV-2": None}
    now["INV-1"]["payments"].append({"id": "listed", "date": "2026-03-01", "amount": 100})
    wanting = unlisted(now, before, {"numbered"})
    # by day, then id: last year's first (it counts in 2025), the same day by id
    assert [p.id for p in wanting] == ["first", "a-same-day", "b-late"]
    (change,) = history_changes(wanting)
    assert [(r.payment, r.client, r.day) for r in change.offline_receipts] == [
        ("first", "zed", "2025-12-30"),
        ("a-same-day", "zed", "2026-06-02"),
        ("b-late", "acme", "2026-06-02"),
    ]
    assert not [i for i in change.outbox if i.kind == "email"]  # history: nobody is mailed
    assert sorted(i.payload["client"] for i in change.outbox) == ["acme", "zed"]
    assert history_changes(wanting)[0].event_id == change.event_id  # a rerun is seen


def test_a_large_history_is_numbered_in_transactions_a_store_can_hold() -> None:
    payments = [
        NewPayment(f"p{n:03d}", "INV-1", "acme", TODAY) for n in range(HISTORY_BATCH * 2 + 1)
    ]
    changes = history_changes(payments)
    assert [len(c.offline_receipts) for c in changes] == [HISTORY_BATCH, HISTORY_BATCH, 1]
    assert len({c.event_id for c in changes}) == 3
    numbered = [r.payment for c in changes for r in c.offline_receipts]
    assert numbered == [p.id for p in payments]  # the order kept across batches
