"""The daily re-publish: the clients whose pages cross a boundary today get them made again.

A page holds for a period (``site_builder/billing/timeline.py``): it changes when a discount
ends, an entry falls due or a late fee is added. The ledger names each client's next such day
(``pages_change``), the store indexes it, and this job, run once a day in the agency's zone,
queues one publish per client due: the outbox drain re-renders them from their snapshots
(``functions/publish.py``), writes only the files that differ, and the new ledger entries
name the next day. Clients with nothing changing are not touched: no render, no PUT.
"""

from __future__ import annotations

from datetime import date

from functions.store.base import Change, OutboxItem, Store

CHUNK = 50  # publish items a change: DynamoDB's transactions hold 100 items


def queue_page_changes(store: Store, day: date) -> list[str]:
    """Queue a publish for each client whose pages change by ``day``; the clients queued.

    Keyed by client and day, so a job run twice (or retried) queues each once.
    """
    clients = store.pages_changing(day.isoformat())
    for start in range(0, len(clients), CHUNK):
        chunk = clients[start : start + CHUNK]
        store.apply(
            Change(
                f"pages:{day.isoformat()}:{chunk[0]}",
                outbox=[
                    OutboxItem(
                        key=f"publish:{client}:pages-{day.isoformat()}",
                        kind="publish",
                        payload={"client": client},
                    )
                    for client in chunk
                ],
            )
        )
    return clients
