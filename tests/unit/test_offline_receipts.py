"""Which offline payments a load of the ledger announces: ``functions.offline``'s pure rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from functions.offline import RECEIPT_WINDOW_DAYS, NewPayment, new_payments, receipt_change

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
    (item,) = change.outbox
    assert item.key == "receipt:cheque" and item.kind == "email"
    assert item.payload == {
        "template": "receipt",
        "payment": "cheque",
        "invoice": "INV-1",
        "client": "acme",
    }
