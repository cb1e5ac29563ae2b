"""The outbox drain: slow work (emails, re-publishing) done after the fact, never lost.

Work is enqueued in the same transaction as the payment that causes it
(``Store.apply``). The drain hands each due item to the handler of its kind
and marks it done only once the handler returned; a failure is retried later
with exponential back-off, so an SMTP or S3 outage delays work but loses none.
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
        work = f"{item.kind}:{json.dumps(item.payload, sort_keys=True)}"
        if work in finished:
            store.done(item.key)
            report.done.append(item.key)
            continue
        try:
            handlers[item.kind](item.payload)
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
