"""The scheduled drain works for its time budget, not one pass: a morning's page changes at
10,000 clients are a few runs of the five-minute job, not an hour of them."""

from __future__ import annotations

from datetime import date
from typing import Any

from functions.pages import queue_page_changes
from functions.work import drain_outbox


def test_a_budgeted_drain_passes_until_nothing_is_due(system: dict[str, Any]) -> None:
    services, store = system["services"], system["store"]
    clients = queue_page_changes(store, date(2099, 1, 1))  # every client with a change ahead
    assert len(clients) >= 5

    one_pass = drain_outbox(services, limit=2)
    assert len(one_pass.done) == 2 and store.pending() == len(clients) - 2

    budgeted = drain_outbox(services, limit=2, seconds=60)
    assert len(budgeted.done) == len(clients) - 2 and not budgeted.retried
    assert store.pending() == 0
