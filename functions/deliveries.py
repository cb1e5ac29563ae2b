"""Loading a build's ledger into a store, and the emails that loading decides: each sent once.

A store holds the ledger entry of every invoice it was given. When a build is loaded
(``load_ledger``: the local store by ``portal build --store``, ``portal serve`` and ``portal
remind``; DynamoDB by ``portal deploy``), each entry is compared with the store's copy, and
what the client must hear of is queued in the transaction that records the event:

- an invoice the store never held: the "new invoice" email (``invoice:<number>``), the
  invoice delivered on the day it is published. A future-dated invoice is not in the ledger
  until its issue day (``site_builder.bundle.accounts``), so it is delivered on that day;
  a retainer's period likewise, on the period's first day;
- an invoice whose figures a client relies on changed (total, due date, lines, a plan's
  dates and amounts): one "updated invoice" email, keyed by the new figures, so the same
  change is never announced twice and a change back and forth is (``figures``);
- an invoice voided: one short cancellation notice;
- a payment received outside Stripe: its receipt (``functions/offline.py``).

What gets no email (history, the client was told by other means): everything a store takes
on its first load (a new store, a stack's first deploy), an invoice first seen void, and an
invoice first seen more than ``NEW_INVOICE_WINDOW_DAYS`` after its issue date (an import of
last year's invoices is filed, not sent). A draft is never in the ledger, so never sent.
Whether a client wants each kind is read when the email is rendered (the client's
``notify:``), so turning a kind off stops what is still queued too.

The event goes first, then the entries: if putting the entries fails, the next load finds the
same news, and the store refuses the event it has seen. The rules are pure (``invoice_news``,
``figures``, ``differences``); ``load_ledger`` does the I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from functions.offline import new_payments, number_history, receipt_change
from functions.store.base import Change, OutboxItem, Store

NEW_INVOICE_WINDOW_DAYS = 30
# the event that marks a store as loaded once: its first load is history
FIRST_LOAD_EVENT = "ledger:first-load"

NewsKind = Literal["new", "updated", "void"]


@dataclass(frozen=True)
class Difference:
    """One figure a client relies on, before and after: minor units, ISO dates or digests."""

    field: str  # "total", "due", "currency", "lines", "instalment" (then ``n``)
    old: Any
    new: Any
    n: int | None = None  # the plan's entry, for "instalment"

    def as_payload(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new, "n": self.n}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Difference:
        return cls(data["field"], data.get("old"), data.get("new"), data.get("n"))


@dataclass(frozen=True)
class InvoiceNews:
    kind: NewsKind
    invoice: str
    client: str
    version: str  # a digest of the figures announced
    changes: tuple[Difference, ...] = ()

    @property
    def key(self) -> str:
        """The event id and the outbox key: the first delivery is ``invoice:<number>``."""
        if self.kind == "new":
            return f"invoice:{self.invoice}"
        if self.kind == "void":
            return f"invoice:{self.invoice}:void"
        return f"invoice:{self.invoice}:update:{self.version}"


def figures(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What of a ledger entry a client relies on: what they pay, by when, for what.

    Not the payments, fees or status (they move with time and money, and have their own
    emails), not the memo, the title or the PO number. ``lines`` is a digest of the lines as
    the client reads them (``site_builder.ledger.lines_digest``); an entry written before it
    was kept has none, and then lines are not compared.
    """
    return {
        "currency": entry.get("currency"),
        "total": entry.get("total"),
        "due": entry.get("due"),
        "lines": entry.get("lines"),
        "plan": [
            (i.get("n"), i.get("due"), i.get("amount"))
            for i in entry.get("instalments") or ()
            if len(entry.get("instalments") or ()) > 1
        ],
    }


def version(entry: Mapping[str, Any]) -> str:
    data = json.dumps(figures(entry), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Difference]:
    """The figures that changed from ``old`` to ``new``, in the order an email lists them."""
    a, b = figures(old), figures(new)
    found = []
    for name in ("currency", "total", "due"):
        if a[name] != b[name]:
            found.append(Difference(name, a[name], b[name]))
    if a["lines"] is not None and b["lines"] is not None and a["lines"] != b["lines"]:
        found.append(Difference("lines", a["lines"], b["lines"]))
    if a["plan"] != b["plan"]:
        before = {n: (due, amount) for n, due, amount in a["plan"]}
        after = {n: (due, amount) for n, due, amount in b["plan"]}
        for n in sorted(set(before) | set(after)):
            if before.get(n) != after.get(n):
                old_part, new_part = before.get(n), after.get(n)
                found.append(
                    Difference(
                        "instalment",
                        list(old_part) if old_part else None,
                        list(new_part) if new_part else None,
                        n,
                    )
                )
    return found


def invoice_news(
    entries: Mapping[str, Mapping[str, Any]],
    before: Mapping[str, Mapping[str, Any] | None],
    today: date,
    *,
    first: bool,
) -> Iterator[InvoiceNews]:
    """What the client of each entry must hear of, given the store's copies (``before``).

    ``first``: the store's first load, all of it history.
    """
    if first:
        return
    oldest = today - timedelta(days=NEW_INVOICE_WINDOW_DAYS)
    for number, entry in entries.items():
        held = before.get(number)
        client = entry["client"]
        if held is None:
            issued = date.fromisoformat(entry["issued"])
            if entry.get("status") != "void" and oldest <= issued <= today:
                yield InvoiceNews("new", number, client, version(entry))
        elif entry.get("status") == "void":
            if held.get("status") != "void":
                yield InvoiceNews("void", number, client, "void")
        elif held.get("status") != "void" and (changed := differences(held, entry)):
            yield InvoiceNews("updated", number, client, version(entry), tuple(changed))


def news_change(news: InvoiceNews) -> Change:
    """The store's record of the news and its email, in one transaction."""
    payload: dict[str, Any] = {
        "template": "invoice",
        "key": news.key,  # its Message-ID
        "kind": news.kind,
        "invoice": news.invoice,
        "client": news.client,  # its snapshot holds the invoice
    }
    if news.changes:
        payload["changes"] = [c.as_payload() for c in news.changes]
    return Change(
        event_id=news.key,
        outbox=[OutboxItem(key=news.key, kind="email", payload=payload)],
    )


@dataclass
class Loaded:
    """What a load queued: the receipts' payment ids and the invoices' outbox keys."""

    receipts: list[str]
    invoices: list[str]


def load_ledger(
    store: Store,
    entries: Mapping[str, Mapping[str, Any]],
    today: date,
    before: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    first: bool | None = None,
    republish: bool = True,
) -> Loaded:
    """Put a build's ledger entries into ``store``, queueing the emails the change calls for.

    ``before``: what the store held of those entries, when the caller knows it without
    asking the store (the deploy keeps the last ledger it wrote); by default each is read.
    ``first``: whether this is the store's first load (the deploy knows: no ledger written
    yet); by default the store says, through an event recorded on its first load.
    ``republish``: queue a re-publish of the clients whose offline receipts this load numbers;
    False when the caller builds again with the numbers itself (build, serve, deploy).
    """
    if before is None:
        before = {number: store.invoice(number) for number in entries}
    if first is None:
        first = store.apply(Change(event_id=FIRST_LOAD_EVENT))
    elif first:
        store.apply(Change(event_id=FIRST_LOAD_EVENT))  # a later load asking the store knows
    fresh = list(new_payments(entries, before, today))
    mailed = {p.id for p in fresh}
    number_history(store, entries, before, mailed, republish=republish)  # nobody is mailed
    receipts = []
    for found in fresh:
        if store.payment(found.id) is not None:
            continue  # recorded through Stripe: the webhook queued its receipt (or will)
        if store.apply(receipt_change(found, republish=republish)):
            receipts.append(found.id)
    invoices = [
        news.key
        for news in invoice_news(entries, before, today, first=first)
        if store.apply(news_change(news))
    ]
    store.put_invoices(entries)
    return Loaded(receipts, invoices)


def republished(store: Store, entries: Mapping[str, Mapping[str, Any]], today: date) -> list[str]:
    """The re-publish's ledger write (``functions/publish.py``), with the invoice emails it
    calls for: a future-dated invoice in the snapshot is new to the store on its issue day.
    Its payments are the ones the build loaded (and numbered) or the store recorded itself:
    no receipt is decided here. Returns the invoices' outbox keys queued."""
    before = {number: store.invoice(number) for number in entries}
    queued = [
        news.key
        for news in invoice_news(entries, before, today, first=False)
        if store.apply(news_change(news))
    ]
    store.put_invoices(entries)
    return queued
