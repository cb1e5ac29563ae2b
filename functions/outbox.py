"""The outbox drain: slow work (emails, re-publishing) done after the fact, never lost.

Work is enqueued in the same transaction as the payment that causes it
(``Store.apply``). The drain hands each due item to the handler of its kind
and marks it done only once the handler returned; a failure is retried later
with exponential back-off, so an SMTP or S3 outage delays work but loses none.

Each item is its own bulkhead: whatever one item raises (a mail that cannot be
rendered, a client whose snapshot no longer loads, a kind no handler knows) is
written on that item (``last_error``, ``attempts``, its next try) and the pass
goes on with the others. An item that keeps failing stays in the store, where
``portal status`` lists it (failed emails, pending re-publishes).

At least once, never lost; at most one duplicate after a crash. Between the
handler's success (the SMTP server accepted the mail, the pages were written)
and ``Store.done`` there is a window no transaction can close: the mail server
is not part of it. A drain killed in that window leaves the item claimed; after
its lease (``LEASE``; ``portal serve`` takes its own items up at start) the
next drain does it again. So a mail may arrive twice, never more often for
that one crash, and both copies carry the same ``Message-ID`` (made from the
item's key), which lets a mail program or a person see the second as a copy.
A re-publish done twice writes the same pages again and is harmless.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.store.base import Store

Handler = Callable[[Mapping[str, Any]], None]

FIRST_RETRY = 30.0  # seconds
LAST_RETRY = 6 * 3600.0
GIVE_UP_RETRY = 7 * 24 * 3600.0  # a permanent failure waits for a person, visibly
LEASE = 300.0  # seconds a drain holds an item; a drain that dies frees it after this


class PermanentFailure(Exception):
    """Retrying will not help (a rejected address); kept for a person to look at."""


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure: 30 s, 1 min, 2 min, … 6 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


@dataclass
class DrainReport:
    done: list[str] = field(default_factory=list)
    retried: dict[str, str] = field(default_factory=dict)


def drain(
    store: Store,
    handlers: Mapping[str, Handler],
    *,
    now: Callable[[], float] = time.time,
    limit: int = 50,
) -> DrainReport:
    """Do what is due now, once each; returns what was done and what will be retried.

    Identical work (same kind and payload, e.g. re-publishing one client after each
    of ten payments) is done once per pass: every item was committed before this
    pass read it, and a handler reads the state it works from when it runs.
    """
    report = DrainReport()
    finished: set[str] = set()
    for item in store.due(now(), limit):
        if not store.claim(item, now() + LEASE):
            continue  # another drain has it
        try:
            work = f"{item.kind}:{json.dumps(item.payload, sort_keys=True)}"
            if work in finished:
                store.done(item.key)
                report.done.append(item.key)
                continue
            handler = handlers.get(item.kind)
            if handler is None:
                raise PermanentFailure(f"no handler for {item.kind!r} work")
            handler(item.payload)
        except PermanentFailure as exc:
            store.retry(item.key, f"permanent: {exc}", now() + GIVE_UP_RETRY)
            report.retried[item.key] = str(exc)
        except Exception as exc:  # any other failure is worth another try later
            store.retry(
                item.key, f"{type(exc).__name__}: {exc}", now() + backoff(item.attempts + 1)
            )
            report.retried[item.key] = str(exc)
        else:
            store.done(item.key)
            report.done.append(item.key)
            finished.add(work)
    return report
