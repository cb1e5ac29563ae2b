"""The AWS store: one DynamoDB table (single-table design), one transaction per event.

Item layout (``pk`` / ``sk``, both strings):

====================  ==========================  ==============================================
pk                    sk                          what
====================  ==========================  ==============================================
``INV#<number>``      ``LEDGER``                  the invoice's ledger entry (``entry``: JSON)
``SESSION#<id>``      ``SESSION``                 a checkout session, read by id
``INV#<number>``      ``SESSION#<id>``            the same session, to find an invoice's open ones
``EVENT#<id>``        ``EVENT``                   a webhook event seen (exactly once)
``PAYMENTS``          ``PAY#<id>``                a payment (with ``version``), and all payments
``INV#<number>``      ``PAY#<id>``                the same payment, listed by invoice
``REVIEW``            ``<ns>#<event>#<n>``        something for a human (``details``: JSON);
                                                  ``<ns>`` (time in ns) keeps insertion order
``OUTBOX#<key>``      ``OUTBOX``                  slow work; while unsent also ``gsi1pk`` =
                                                  ``OUTBOX#PENDING`` and ``gsi1sk`` =
                                                  ``<next_attempt:020.6f>#<key>``
``INV#<number>``      ``TRACK#<n>``               a reminder track (entry n, 0: the whole
                                                  invoice); while a reminder is ahead also
                                                  ``gsi1pk`` = ``REMIND#DUE`` and ``gsi1sk`` =
                                                  ``<next_date>#<number>#<n>``
``INV#<number>``      ``REMINDER#<n>#<step>``     a reminder sent (exactly once)
``CLIENT#<id>``       ``PAGES``                   the day the client's pages next change: while
                                                  one is ahead, ``gsi1pk`` = ``PAGES#CHANGE``
                                                  and ``gsi1sk`` = ``<day>#<id>``
``RECEIPTS``          ``<year>``                  the last receipt number given in that year
                                                  (``last``)
``OFFLINE``           ``<payment id>``            an offline payment's receipt number
                                                  (``number``, ``client``), and all of them
``CLIENT#<id>``       ``OFFLINE#<payment id>``    the same, listed by client
``CHARGES``           ``<client>#<invoice>#<n>    an automatic charge attempt (``n``: the entry,
                      #<attempt>``                0 for the whole invoice), and all of them
``CLIENT#<id>``       ``METHOD``                  the client's Stripe Customer (``customer``),
                                                  and its saved method while on autopay, then
                                                  also ``gsi1pk`` = ``AUTOPAY#ON`` and
                                                  ``gsi1sk`` = ``<id>``
====================  ==========================  ==============================================

The GSI ``due`` (``gsi1pk``, ``gsi1sk``) finds the outbox's due items, the reminder tracks
due by a day, the clients whose pages change by a day and the clients on autopay. No request
path scans the table.
Money and counts are numbers (N), payloads JSON strings. Both copies of a session or a payment
are always written in the same transaction.

``apply`` is optimistic: it reads the event, the payments, the outbox keys and the sessions
a change names (one consistent BatchGetItem), then writes everything in ONE
TransactWriteItems whose conditions say that nothing it read has changed meanwhile: the event
is new, each payment still has the version read, each new outbox key is still new. A failed
event condition is a duplicate (False); any other conflict re-reads and tries again.
A payment that becomes a receipt takes the next number of its year in the same transaction:
the year's counter is written on condition that it still holds the number read, so two
events never take one number, and a transaction that fails takes none (no gap).

boto3 is imported lazily, so importing this module costs nothing where it is not used.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from functions.store.base import (
    METHOD_RECORD,
    SAVED_METHOD_FIELDS,
    Change,
    ChargeAttempt,
    CheckoutSession,
    OfflineReceipt,
    OutboxItem,
    Payment,
    Reminder,
    ReminderTrack,
    SentReminder,
    SessionStatus,
    TrackMove,
    merge,
)
from functions.store.numbering import assign, receipt_year, take, wants_number
from functions.store.tracks import next_reminder, page_changes, plan_tracks

DUE_INDEX = "due"
OUTBOX_PENDING = "OUTBOX#PENDING"
REMINDERS_DUE = "REMIND#DUE"
PAGES_CHANGE = "PAGES#CHANGE"
AUTOPAY_ON = "AUTOPAY#ON"
ALL_PAYMENTS = "PAYMENTS"
CHARGES = "CHARGES"  # the automatic charge attempts, one item each
RECEIPTS = "RECEIPTS"  # the receipt counters, one item a year
OFFLINE = "OFFLINE"  # the offline payments' receipt numbers
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems
APPLY_ATTEMPTS = 12
# numbering a receipt contends for one counter item: 50 payments succeeding at once must all
# get through, so these changes try longer (with the same capped, jittered back-off)
NUMBERING_ATTEMPTS = 100
# what cancels an apply that reading again and retrying can fix ("None": that item was fine)
RETRYABLE_REASONS = frozenset(
    {
        "None",
        None,
        "ConditionalCheckFailed",
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
    }
)

Key = tuple[str, str]


def create_table(
    client: Any, table_name: str, *, region: str = "us-east-1", endpoint_url: str | None = None
) -> None:
    """Create the store's table (on demand, with the ``due`` index) and wait until it is ACTIVE.

    Idempotent: a table that already exists is left alone. ``client`` may be None, then one is
    made for ``region`` (and ``endpoint_url``).
    """
    if client is None:
        client = _client(region, endpoint_url)
    # a table that exists (or is being made) is waited for below
    with contextlib.suppress(client.exceptions.ResourceInUseException):
        client.create_table(
            TableName=table_name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in ("pk", "sk", "gsi1pk", "gsi1sk")
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": DUE_INDEX,
                    "KeySchema": [
                        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )


def _client(region: str, endpoint_url: str | None) -> Any:
    import boto3  # lazily: ~150 ms that the SQLite path never pays

    return boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)


class TransactionRetriesExhausted(RuntimeError):
    """``apply`` kept conflicting with concurrent writers; the event was NOT applied."""


class DynamoStore:
    """Safe to share between threads (boto3 clients are) and to run in many processes."""

    def __init__(
        self,
        table_name: str,
        client: Any = None,
        *,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
    ) -> None:
        self.table = table_name
        self.client = client if client is not None else _client(region, endpoint_url)
        self._ClientError = self.client.exceptions.ClientError
        # this process's threads take receipt numbers one at a time: at once they would only
        # collide on the year's counter and retry, each failed transaction billed as writes.
        # Other processes (Lambda instances) are still ordered by the counter's condition.
        self._numbering = threading.Lock()
        self._last_written: dict[str, int] = {}  # year -> the counter as this process left it

    # --- the ledger --------------------------------------------------------

    def put_invoices(self, invoices: Mapping[str, Mapping[str, Any]]) -> None:
        requests = [
            {"PutRequest": {"Item": {**_key(f"INV#{number}", "LEDGER"), "entry": _s(entry)}}}
            for number, entry in invoices.items()
        ]
        for start in range(0, len(requests), 25):
            pending: dict[str, list[dict[str, Any]]] = {self.table: requests[start : start + 25]}
            for attempt in range(20):
                response = self.client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                _backoff(attempt)
            else:
                raise RuntimeError("DynamoDB kept some invoices unprocessed")
        self._put_tracks(invoices)
        pages = []
        for client, day in page_changes(invoices).items():
            item = {**_key(f"CLIENT#{client}", "PAGES"), "client": {"S": client}}
            if day is not None:  # in the index only while a change is ahead
                item |= {"gsi1pk": {"S": PAGES_CHANGE}, "gsi1sk": {"S": f"{day}#{client}"}}
            pages.append({"PutRequest": {"Item": item}})
        self._batch_write(pages)

    def clients(self) -> list[str]:
        # every client with an invoice has its PAGES item (put_invoices): a scan, once a month
        found: set[str] = set()
        for page in self.client.get_paginator("scan").paginate(
            TableName=self.table,
            FilterExpression="sk = :pages",
            ExpressionAttributeValues={":pages": {"S": "PAGES"}},
            ProjectionExpression="client",
        ):
            found.update(i["client"]["S"] for i in page["Items"] if "client" in i)
        return sorted(found)

    def pages_changing(self, day: str) -> list[str]:
        # '$' sorts right after '#': every "<day>#<client>" with day <= the one asked
        items = self._query(
            IndexName=DUE_INDEX,
            KeyConditionExpression="gsi1pk = :change AND gsi1sk < :bound",
            ExpressionAttributeValues={":change": {"S": PAGES_CHANGE}, ":bound": {"S": f"{day}$"}},
            ProjectionExpression="gsi1sk",
        )
        return sorted(i["gsi1sk"]["S"].split("#", 1)[1] for i in items)

    def _put_tracks(self, invoices: Mapping[str, Mapping[str, Any]]) -> None:
        """Index each entry's next reminder day, keeping how far the job has got.

        The job's progress is read first and written back with the new schedule. A job
        writing the same track meanwhile can at worst be set back to look at it again:
        the reminder log, not the track, is what keeps a step from going out twice.
        """
        plans = [plan for number, entry in invoices.items() for plan in plan_tracks(number, entry)]
        if not plans:
            return
        keys = {(p.invoice, p.instalment): _track_key(p.invoice, p.instalment) for p in plans}
        found = self._batch_get(keys.values())
        items = []
        for plan in plans:
            old = found.get(keys[(plan.invoice, plan.instalment)], {})
            checked = old.get("checked", {}).get("S")
            item: dict[str, Any] = {
                **_key(*keys[(plan.invoice, plan.instalment)]),
                "invoice": {"S": plan.invoice},
                "instalment": _n(plan.instalment),
                "client": {"S": plan.client},
                "due": {"S": plan.due},
                "issued": {"S": plan.issued},
                "cadence": {"S": plan.cadence},
            }
            for name in ("checked", "last_step", "last_offset", "last_sent"):
                _put_optional(item, name, old.get(name))
            _set_next(item, plan.invoice, plan.instalment, next_reminder(plan, checked))
            items.append({"PutRequest": {"Item": item}})
        self._batch_write(items)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, list[dict[str, Any]]] = {self.table: requests[start : start + 25]}
            for attempt in range(20):
                response = self.client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                _backoff(attempt)
            else:
                raise RuntimeError("DynamoDB kept some items unprocessed")

    def invoice(self, number: str) -> dict[str, Any] | None:
        item = self._get(f"INV#{number}", "LEDGER")
        return None if item is None else json.loads(item["entry"]["S"])

    # --- checkout sessions ---------------------------------------------------

    def save_session(self, session: CheckoutSession) -> None:
        old = self._get(f"SESSION#{session.id}", "SESSION")
        ops = [
            self._put(_session_item(session, f"SESSION#{session.id}", "SESSION")),
            self._put(_session_item(session, f"INV#{session.invoice}", f"SESSION#{session.id}")),
        ]
        if old is not None and old["invoice"]["S"] != session.invoice:
            # re-saved under another invoice: its old copy must not be found there
            old_copy = _key(f"INV#{old['invoice']['S']}", f"SESSION#{session.id}")
            ops.append({"Delete": {"TableName": self.table, "Key": old_copy}})
        self.client.transact_write_items(TransactItems=ops)

    def session(self, session_id: str) -> CheckoutSession | None:
        item = self._get(f"SESSION#{session_id}", "SESSION")
        return None if item is None else _session(item)

    def open_session(
        self, invoice: str, instalment: int | None, amount: int, now: float, autopay: bool = False
    ) -> CheckoutSession | None:
        values: dict[str, Any] = {
            ":pk": {"S": f"INV#{invoice}"},
            ":prefix": {"S": "SESSION#"},
            ":open": {"S": "open"},
            ":amount": _n(amount),
            ":after": _n(now + 60),  # a minute's margin to pay
            ":autopay": {"BOOL": True},
        }
        condition = "#status = :open AND amount = :amount AND expires_at > :after AND "
        # a plain session has no ``autopay`` attribute (as every session made before autopay)
        condition += "autopay = :autopay AND " if autopay else "attribute_not_exists(autopay) AND "
        if instalment is None:
            condition += "attribute_not_exists(instalment)"
        else:
            condition += "instalment = :instalment"
            values[":instalment"] = _n(instalment)
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            FilterExpression=condition,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
            ConsistentRead=True,
        )
        sessions = [_session(item) for item in items]
        return max(sessions, key=lambda s: s.expires_at, default=None)

    # --- events, payments, reviews -------------------------------------------

    def apply(self, change: Change) -> bool:
        holding = [False]  # whether this call holds ``_numbering``: taken once it must number
        try:
            return self._apply(change, holding)
        finally:
            if holding[0]:
                self._numbering.release()

    def _apply(self, change: Change, holding: list[bool]) -> bool:
        outbox: dict[str, OutboxItem] = {}
        for item in change.outbox:
            outbox.setdefault(item.key, item)  # the first enqueue wins, as in SQLite
        payment_ids = list(dict.fromkeys(p.id for p in change.payments))
        event = (f"EVENT#{change.event_id}", "EVENT")
        offline = {r.payment: r for r in change.offline_receipts}  # once each
        offline_keys = {pid: (OFFLINE, pid) for pid in offline}
        # the counters of the years the change's receipts name: read with the rest, in the
        # usual case (a payment succeeding on its event's day) no extra round trip
        years = {_counter_key(receipt_year(p)) for p in change.payments if wants_number(p)}
        years |= {_counter_key(r.day[:4]) for r in offline.values()}
        attempts = APPLY_ATTEMPTS if not years else NUMBERING_ATTEMPTS
        for attempt in range(attempts):
            payment_keys = {pid: (ALL_PAYMENTS, f"PAY#{pid}") for pid in payment_ids}
            outbox_keys = {key: (f"OUTBOX#{key}", "OUTBOX") for key in outbox}
            session_keys = {sid: (f"SESSION#{sid}", "SESSION") for sid in change.sessions}
            found = self._batch_get(
                [
                    event,
                    *payment_keys.values(),
                    *outbox_keys.values(),
                    *session_keys.values(),
                    *offline_keys.values(),
                    *years,
                ]
            )
            if event in found:
                return False  # seen before: nothing to do (and no write spent on it)

            ops: list[dict[str, Any]] = [
                self._put({**_key(*event), "at": _n(int(time.time()))}, new=True)
            ]
            kept = [_merged(found.get(payment_keys[pid]), change, pid) for pid in payment_ids]
            fresh = [r for pid, r in offline.items() if offline_keys[pid] not in found]
            wanted = [receipt_year(p) for p in kept if wants_number(p)]
            if (wanted or fresh) and not holding[0]:
                # a duplicate never waits here (seen above); one that must number queues
                # behind this process's others; what it read meanwhile may be stale, and the
                # transaction's conditions then send it round again
                holding[0] = self._numbering.acquire()
            last = self._counters({*wanted, *(r.day[:4] for r in fresh)}, found, years)
            # counters only grow: what this process wrote since it read is the better guess
            last = {year: max(n, self._last_written.get(year, 0)) for year, n in last.items()}
            numbered, moved = assign(kept, last)
            offline_numbers, more = take([r.day[:4] for r in fresh], {**last, **moved})
            counted = {**moved, **more}
            ops += self._counter_ops(last, counted)
            for pid, payment in zip(payment_ids, numbered, strict=True):
                ops += self._payment_ops(found.get(payment_keys[pid]), payment)
            for receipt, number in zip(fresh, offline_numbers, strict=True):
                ops += self._offline_ops(receipt, number)
            for key, item in outbox.items():
                if outbox_keys[key] not in found:  # enqueued before: left as it is
                    ops.append(self._put(_outbox_item(item), new=True))
            stamp = time.time_ns()
            for n, review in enumerate(change.reviews):
                sk = f"{stamp:020d}#{change.event_id}#{n:04d}"
                row = {**_key("REVIEW", sk), "event": {"S": change.event_id}, "details": _s(review)}
                ops.append(self._put(row, new=True))
            for sid, status in change.sessions.items():
                current = found.get(session_keys[sid])
                if current is not None:  # an unknown session is ignored, as in SQLite
                    ops += self._session_status_ops(sid, current["invoice"]["S"], status)
            if len(ops) > MAX_TRANSACTION_ITEMS:
                raise ValueError(f"a change of {len(ops)} writes exceeds one DynamoDB transaction")

            try:
                self.client.transact_write_items(
                    TransactItems=ops, ClientRequestToken=uuid.uuid4().hex
                )
                self._last_written.update(counted)  # under _numbering whenever it counted
                return True
            except self._ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return False  # another delivery of this event got there first
                if set(reasons) - RETRYABLE_REASONS:
                    raise
            _backoff(attempt)  # a payment, outbox item or session changed since read: again
        raise TransactionRetriesExhausted(f"event {change.event_id} kept conflicting")

    def _counters(
        self, years: set[str], found: Mapping[Key, dict[str, Any]], read: set[Key]
    ) -> dict[str, int]:
        """The last number of each of ``years``, from ``found`` where it was read with the
        rest, else read now (a payment numbered in the year it was first received)."""
        wanted = {_counter_key(year) for year in years}
        more = self._batch_get(wanted - read) if wanted - read else {}
        counters = {**found, **more}
        return {key[1]: int(counters[key]["last"]["N"]) if key in counters else 0 for key in wanted}

    def _counter_ops(
        self, last: Mapping[str, int], moved: Mapping[str, int]
    ) -> list[dict[str, Any]]:
        """The counters' writes for the numbers given: each on condition that it still holds
        the number read (or still does not exist), so no number is given twice."""
        ops: list[dict[str, Any]] = []
        for year, n in sorted(moved.items()):
            key = _counter_key(year)
            if last[year] == 0:
                item = {**_key(*key), "year": {"S": year}, "last": _n(n)}
                ops.append(self._put(item, new=True))
                continue
            ops.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _key(*key),
                        "UpdateExpression": "SET #last = :next",
                        "ConditionExpression": "#last = :seen",
                        "ExpressionAttributeNames": {"#last": "last"},
                        "ExpressionAttributeValues": {":next": _n(n), ":seen": _n(last[year])},
                    }
                }
            )
        return ops

    def _offline_ops(self, receipt: OfflineReceipt, number: str) -> list[dict[str, Any]]:
        """An offline receipt's number, written once (its condition: not numbered yet)."""
        fields = {
            "payment": {"S": receipt.payment},
            "client": {"S": receipt.client},
            "number": {"S": number},
        }
        return [
            self._put({**_key(OFFLINE, receipt.payment), **fields}, new=True),
            self._put({**_key(f"CLIENT#{receipt.client}", f"OFFLINE#{receipt.payment}"), **fields}),
        ]

    def offline_receipt_numbers(self, client: str | None = None) -> dict[str, str]:
        if client is None:
            items = self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": OFFLINE}},
                ConsistentRead=True,
            )
        else:
            items = self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={
                    ":pk": {"S": f"CLIENT#{client}"},
                    ":prefix": {"S": "OFFLINE#"},
                },
                ConsistentRead=True,
            )
        return {i["payment"]["S"]: i["number"]["S"] for i in items}

    def offline_receipts_by_client(self) -> dict[str, dict[str, str]]:
        items = self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": OFFLINE}},
            ConsistentRead=True,
        )
        grouped: dict[str, dict[str, str]] = {}
        for i in items:
            grouped.setdefault(i["client"]["S"], {})[i["payment"]["S"]] = i["number"]["S"]
        return grouped

    def _payment_ops(self, current: dict[str, Any] | None, kept: Payment) -> list[dict[str, Any]]:
        pid = kept.id
        version = 0 if current is None else int(current["version"]["N"])
        canonical = {**_payment_item(kept, ALL_PAYMENTS, f"PAY#{pid}"), "version": _n(version + 1)}
        put: dict[str, Any] = {"TableName": self.table, "Item": canonical}
        if current is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :version"
            if kept.receipt is not None and "receipt" not in current:
                # numbered now: only if no other writer numbered it since it was read
                put["ConditionExpression"] += " AND attribute_not_exists(receipt)"
            put["ExpressionAttributeValues"] = {":version": _n(version)}
        copy = _payment_item(kept, f"INV#{kept.invoice}", f"PAY#{pid}")
        return [{"Put": put}, self._put(copy)]

    def _session_status_ops(
        self, sid: str, invoice: str, status: SessionStatus
    ) -> list[dict[str, Any]]:
        return [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(pk, sk),
                    "UpdateExpression": "SET #status = :status",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":status": {"S": status}},
                }
            }
            for pk, sk in ((f"SESSION#{sid}", "SESSION"), (f"INV#{invoice}", f"SESSION#{sid}"))
        ]

    def payments(self, invoice: str | None = None) -> list[Payment]:
        pk = ALL_PAYMENTS if invoice is None else f"INV#{invoice}"
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": "PAY#"}},
            ConsistentRead=True,
        )
        return sorted((_payment(item) for item in items), key=lambda p: p.id)

    def payment(self, payment_id: str) -> Payment | None:
        item = self._get(ALL_PAYMENTS, f"PAY#{payment_id}")
        return None if item is None else _payment(item)

    def reviews(self) -> list[dict[str, Any]]:
        items = self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "REVIEW"}},
            ConsistentRead=True,
        )
        return [{"event": i["event"]["S"], **json.loads(i["details"]["S"])} for i in items]

    # --- the outbox ------------------------------------------------------------

    def due(self, now: float, limit: int = 50) -> list[OutboxItem]:
        """The unsent items whose time has come, by next attempt then key.

        The index is eventually consistent and rounds times to the microsecond, so what it
        offers is re-read with a consistent read and checked: an item just marked done is not
        handed out again.
        """
        if limit <= 0:
            return []
        # '$' sorts right after '#': every "<time>#<key>" with time <= now, whatever the key
        bound = f"{_sort_time(now)}$"
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "gsi1pk = :pending AND gsi1sk < :bound",
            "ExpressionAttributeValues": {
                ":pending": {"S": OUTBOX_PENDING},
                ":bound": {"S": bound},
            },
            "ProjectionExpression": "pk, sk",
        }
        result: list[OutboxItem] = []
        while len(result) < limit:
            response = self.client.query(**request, Limit=limit - len(result))
            keys = [(i["pk"]["S"], i["sk"]["S"]) for i in response.get("Items", [])]
            found = self._batch_get(keys)
            for key in keys:
                item = found.get(key)
                if item is not None and item["sent"]["N"] == "0":
                    outbox_item = _outbox(item)
                    if outbox_item.next_attempt <= now:
                        result.append(outbox_item)
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return sorted(result, key=lambda i: (i.next_attempt, i.key))[:limit]

    def claim(self, item: OutboxItem, until: float) -> bool:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_key(f"OUTBOX#{item.key}", "OUTBOX"),
                UpdateExpression="SET next_attempt = :until, gsi1sk = :sort",
                ConditionExpression="sent = :zero AND next_attempt = :seen",
                ExpressionAttributeValues={
                    ":until": _n(until),
                    ":sort": {"S": f"{_sort_time(until)}#{item.key}"},
                    ":zero": _n(0),
                    ":seen": _n(item.next_attempt),
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def done(self, key: str) -> None:
        self._update_outbox(
            key,
            "SET sent = :one, attempts = attempts + :one REMOVE gsi1pk, gsi1sk",
            "attribute_exists(pk)",
            {":one": _n(1)},
        )

    def retry(self, key: str, error: str, next_attempt: float) -> None:
        self._update_outbox(
            key,
            "SET attempts = attempts + :one, last_error = :error, next_attempt = :next, "
            "gsi1sk = :sort",
            "attribute_exists(pk) AND sent = :zero",
            {
                ":one": _n(1),
                ":zero": _n(0),
                ":error": {"S": error[:1000]},
                ":next": _n(next_attempt),
                ":sort": {"S": f"{_sort_time(next_attempt)}#{key}"},
            },
        )

    def _update_outbox(self, key: str, update: str, condition: str, values: dict[str, Any]) -> None:
        # unknown (or, for retry, already sent): nothing to do, as in SQLite
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table,
                Key=_key(f"OUTBOX#{key}", "OUTBOX"),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )

    def unsent(self) -> list[OutboxItem]:
        keys = [
            (i["pk"]["S"], i["sk"]["S"])
            for i in self._query(
                IndexName=DUE_INDEX,
                KeyConditionExpression="gsi1pk = :pending",
                ExpressionAttributeValues={":pending": {"S": OUTBOX_PENDING}},
                ProjectionExpression="pk, sk",
            )
        ]
        found = self._batch_get(keys)
        items = [_outbox(found[k]) for k in keys if k in found and found[k]["sent"]["N"] == "0"]
        return sorted(items, key=lambda i: (i.next_attempt, i.key))

    def pending(self) -> int:
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "gsi1pk = :pending",
            "ExpressionAttributeValues": {":pending": {"S": OUTBOX_PENDING}},
            "Select": "COUNT",
        }
        count = 0
        while True:
            response = self.client.query(**request)
            count += response["Count"]
            if "LastEvaluatedKey" not in response:
                return count
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # --- reminders ---------------------------------------------------------------

    def reminders_due(self, day: str) -> list[ReminderTrack]:
        """The tracks due by ``day``, from the ``due`` index, re-read consistently.

        The index is eventually consistent: a track just moved on may still be offered, so
        each is re-read and its ``next_date`` checked (the log stops a repeat anyway).
        """
        # '$' sorts right after '#': every "<date>#..." with date <= day
        keys = [
            (i["pk"]["S"], i["sk"]["S"])
            for i in self._query(
                IndexName=DUE_INDEX,
                KeyConditionExpression="gsi1pk = :due AND gsi1sk < :bound",
                ExpressionAttributeValues={
                    ":due": {"S": REMINDERS_DUE},
                    ":bound": {"S": f"{day}$"},
                },
                ProjectionExpression="pk, sk",
            )
        ]
        found = self._batch_get(keys)
        tracks = [_track(found[k]) for k in keys if k in found]
        due = [t for t in tracks if t.next_date is not None and t.next_date <= day]
        return sorted(due, key=lambda t: (t.client, t.invoice, t.instalment))

    def record_reminders(self, reminders: Sequence[Reminder]) -> list[bool]:
        return [self._record_reminder(r) for r in reminders]

    def _record_reminder(self, r: Reminder) -> bool:
        """One TransactWriteItems: the log line, the email and the track, or none of them."""
        log = {
            **_key(f"INV#{r.invoice}", f"REMINDER#{r.instalment}#{r.step}"),
            "invoice": {"S": r.invoice},
            "instalment": _n(r.instalment),
            "step": {"S": r.step},
            "day": {"S": r.day},
            "key": {"S": r.email.key},
        }
        values: dict[str, Any] = {
            ":step": {"S": r.step},
            ":offset": _n(r.offset),
            ":day": {"S": r.day},
        }
        update = "SET last_step = :step, last_offset = :offset, last_sent = :day, checked = :day"
        if r.next_date is None:
            update += " REMOVE gsi1pk, gsi1sk, next_date"
        else:
            update += ", next_date = :next, gsi1pk = :due, gsi1sk = :sort"
            values |= {
                ":next": {"S": r.next_date},
                ":due": {"S": REMINDERS_DUE},
                ":sort": {"S": _track_sort(r.next_date, r.invoice, r.instalment)},
            }
        ops = [
            self._put(log, new=True),
            self._put(_outbox_item(r.email), new=True),
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(*_track_key(r.invoice, r.instalment)),
                    "UpdateExpression": update,
                    # steps only move forward, even if two runs disagree about the day
                    "ConditionExpression": "attribute_exists(pk) AND "
                    "(attribute_not_exists(last_offset) OR last_offset < :offset)",
                    "ExpressionAttributeValues": values,
                }
            },
        ]
        for attempt in range(APPLY_ATTEMPTS):
            try:
                self.client.transact_write_items(
                    TransactItems=ops, ClientRequestToken=uuid.uuid4().hex
                )
                return True
            except self._ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    return False  # logged before, or a later step was: nothing written
                if set(reasons) - RETRYABLE_REASONS:
                    raise
            _backoff(attempt)  # a concurrent transaction touched one of the items: again
        raise TransactionRetriesExhausted(f"reminder {r.email.key} kept conflicting")

    def move_reminders(self, moves: Sequence[TrackMove]) -> None:
        for move in moves:
            values: dict[str, Any] = {":day": {"S": move.day}}
            update = "SET checked = :day"
            if move.next_date is None:
                update += " REMOVE gsi1pk, gsi1sk, next_date"
            else:
                update += ", next_date = :next, gsi1pk = :due, gsi1sk = :sort"
                values |= {
                    ":next": {"S": move.next_date},
                    ":due": {"S": REMINDERS_DUE},
                    ":sort": {"S": _track_sort(move.next_date, move.invoice, move.instalment)},
                }
            # a track that is gone stays gone
            with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
                self.client.update_item(
                    TableName=self.table,
                    Key=_key(*_track_key(move.invoice, move.instalment)),
                    UpdateExpression=update,
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues=values,
                )

    def reminders(self, invoice: str) -> list[SentReminder]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": {"S": f"INV#{invoice}"},
                ":prefix": {"S": "REMINDER#"},
            },
            ConsistentRead=True,
        )
        sent = [
            SentReminder(
                invoice=i["invoice"]["S"],
                instalment=int(i["instalment"]["N"]),
                step=i["step"]["S"],
                day=i["day"]["S"],
                key=i["key"]["S"],
            )
            for i in items
        ]
        return sorted(sent, key=lambda r: (r.instalment, r.day, r.step))

    # --- autopay: Customers and saved methods --------------------------------------

    def save_customer(self, client: str, customer: str) -> str:
        item = {**_key(f"CLIENT#{client}", "METHOD"), "client": {"S": client}}
        item |= {"customer": {"S": customer}, "version": _n(0)}
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        found = self._get(f"CLIENT#{client}", "METHOD")
        assert found is not None  # written above or before: never deleted
        return found["customer"]["S"]

    def customer(self, client: str) -> str | None:
        item = self._get(f"CLIENT#{client}", "METHOD")
        return None if item is None else item["customer"]["S"]

    def save_method(
        self, client: str, method: Mapping[str, Any], now: str
    ) -> dict[str, Any] | None:
        for attempt in range(APPLY_ATTEMPTS):
            current = self._get(f"CLIENT#{client}", "METHOD")
            old = _method(current)
            if old is not None and old["payment_method"] == method.get("payment_method"):
                return None  # saved already (a redelivered event): nothing moves
            item = {
                **_key(f"CLIENT#{client}", "METHOD"),
                "client": {"S": client},
                "since": {"S": now},
                "gsi1pk": {"S": AUTOPAY_ON},
                "gsi1sk": {"S": client},
            }
            for name in SAVED_METHOD_FIELDS:
                _put_optional(item, name, _optional_s(method.get(name)))
            if self._put_versioned(item, current):
                return old
            _backoff(attempt)  # another writer changed it since it was read: again
        raise TransactionRetriesExhausted(f"saved method of {client} kept conflicting")

    def method(self, client: str) -> dict[str, Any] | None:
        return _method(self._get(f"CLIENT#{client}", "METHOD"))

    def drop_method(
        self, client: str, reason: str, now: str, payment_method: str | None = None
    ) -> dict[str, Any] | None:
        for attempt in range(APPLY_ATTEMPTS):
            current = self._get(f"CLIENT#{client}", "METHOD")
            old = _method(current)
            if old is None or payment_method not in (None, old["payment_method"]):
                return None
            assert current is not None
            item = {
                **_key(f"CLIENT#{client}", "METHOD"),
                "client": {"S": client},
                "customer": current["customer"],
                "dropped": {"S": now},
                "reason": {"S": reason},
            }
            if self._put_versioned(item, current):
                return old
            _backoff(attempt)
        raise TransactionRetriesExhausted(f"saved method of {client} kept conflicting")

    def methods(self) -> list[dict[str, Any]]:
        # the index is eventually consistent: each client it names is re-read
        keys = [
            (i["pk"]["S"], i["sk"]["S"])
            for i in self._query(
                IndexName=DUE_INDEX,
                KeyConditionExpression="gsi1pk = :on",
                ExpressionAttributeValues={":on": {"S": AUTOPAY_ON}},
                ProjectionExpression="pk, sk",
            )
        ]
        found = self._batch_get(keys)
        saved = [m for k in keys if (m := _method(found.get(k))) is not None]
        return sorted(saved, key=lambda m: m["client"])

    def _put_versioned(self, item: dict[str, Any], current: dict[str, Any] | None) -> bool:
        """Write ``item`` over ``current`` unless another writer changed it since; True if
        written."""
        version = 0 if current is None else int(current.get("version", {"N": "0"})["N"])
        item["version"] = _n(version + 1)
        request: dict[str, Any] = {"TableName": self.table, "Item": item}
        if current is None:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            request["ConditionExpression"] = "version = :version"
            request["ExpressionAttributeValues"] = {":version": _n(version)}
        try:
            self.client.put_item(**request)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- automatic charges -------------------------------------------------------

    def claim_charge(self, attempt: ChargeAttempt, now: float, lease: float) -> bool:
        key = _charge_key(attempt)
        item = _charge_item(replace(attempt, state="claimed", claimed_at=now, notified=False))
        try:
            self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            pass
        try:  # a claim whose run died before its result, earlier the same day: taken again
            self.client.update_item(
                TableName=self.table,
                Key=_key(*key),
                UpdateExpression="SET claimed_at = :now",
                ConditionExpression="#state = :claimed AND claimed_at <= :stale AND #day = :day",
                ExpressionAttributeNames={"#state": "state", "#day": "day"},
                ExpressionAttributeValues={
                    ":now": _n(now),
                    ":claimed": {"S": "claimed"},
                    ":stale": _n(now - lease),
                    ":day": {"S": attempt.day},
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def charge_result(self, attempt: ChargeAttempt) -> bool:
        values: dict[str, Any] = {
            ":state": {"S": attempt.state},
            ":notified": {"BOOL": attempt.notified},
            ":succeeded": {"S": "succeeded"},
        }
        update = "SET #state = :state, notified = :notified"
        if attempt.payment_intent is not None:
            update += ", payment_intent = :pi"
            values[":pi"] = {"S": attempt.payment_intent}
        if attempt.reason is not None:
            update += ", reason = :reason"
            values[":reason"] = {"S": attempt.reason}
        else:
            update += " REMOVE reason"
        condition = "attribute_exists(pk) AND #state <> :succeeded"
        if attempt.state != "failed":  # never back from failed
            condition += " AND #state <> :failed"
            values[":failed"] = {"S": "failed"}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_key(*_charge_key(attempt)),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def charges(self, client: str | None = None) -> list[ChargeAttempt]:
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": CHARGES}},
            "ConsistentRead": True,
        }
        if client is not None:
            request["KeyConditionExpression"] += " AND begins_with(sk, :client)"
            request["ExpressionAttributeValues"][":client"] = {"S": f"{client}#"}
        found = [_charge(item) for item in self._query(**request)]
        return sorted(found, key=lambda a: (a.invoice, a.instalment, a.attempt))

    # --- plumbing ----------------------------------------------------------------

    def _put(self, item: dict[str, Any], *, new: bool = False) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table, "Item": item}
        if new:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": put}

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.table, Key=_key(pk, sk), ConsistentRead=True)
        return response.get("Item")

    def _batch_get(self, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
        """Consistent reads of many items; the ones that exist, by (pk, sk)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[Key, dict[str, Any]] = {}
        for start in range(0, len(wanted), 100):
            pending: dict[str, Any] = {
                self.table: {
                    "Keys": [_key(pk, sk) for pk, sk in wanted[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(20):
                response = self.client.batch_get_item(RequestItems=pending)
                for item in response.get("Responses", {}).get(self.table, []):
                    found[(item["pk"]["S"], item["sk"]["S"])] = item
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                _backoff(attempt)
            else:
                raise RuntimeError("DynamoDB kept some keys unprocessed")
        return found

    def _query(self, **request: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(TableName=self.table, **request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


# --- marshalling ---------------------------------------------------------------------


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _s(value: Any) -> dict[str, str]:
    """A JSON string attribute: payloads never become DynamoDB floats."""
    return {"S": json.dumps(value)}


def _n(value: float) -> dict[str, str]:
    if isinstance(value, int):
        return {"N": str(value)}
    return {"N": format(Decimal(repr(float(value))), "f")}


def _sort_time(t: float) -> str:
    """A time as an index sort key: fixed width, so strings sort like the numbers (t >= 0)."""
    return f"{max(t, 0.0):020.6f}"


def _put_optional(item: dict[str, Any], name: str, attribute: dict[str, Any] | None) -> None:
    if attribute is not None:
        item[name] = attribute


def _optional_s(value: Any) -> dict[str, str] | None:
    return None if value is None else {"S": str(value)}


def _method(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """A saved method's record, or None for no item or a client off autopay."""
    if item is None or "payment_method" not in item:
        return None
    return {name: item[name]["S"] if name in item else None for name in METHOD_RECORD}


def _session_item(session: CheckoutSession, pk: str, sk: str) -> dict[str, Any]:
    item = {
        **_key(pk, sk),
        "id": {"S": session.id},
        "invoice": {"S": session.invoice},
        "client": {"S": session.client},
        "amount": _n(session.amount),
        "currency": {"S": session.currency},
        "url": {"S": session.url},
        "expires_at": _n(session.expires_at),
        "status": {"S": session.status},
    }
    _put_optional(
        item, "instalment", None if session.instalment is None else _n(session.instalment)
    )
    _put_optional(item, "autopay", {"BOOL": True} if session.autopay else None)
    return item


def _session(item: dict[str, Any]) -> CheckoutSession:
    return CheckoutSession(
        id=item["id"]["S"],
        invoice=item["invoice"]["S"],
        client=item["client"]["S"],
        instalment=int(item["instalment"]["N"]) if "instalment" in item else None,
        amount=int(item["amount"]["N"]),
        currency=item["currency"]["S"],
        url=item["url"]["S"],
        expires_at=int(item["expires_at"]["N"]),
        status=item["status"]["S"],
        autopay=item.get("autopay", {}).get("BOOL", False),
    )


def _merged(current: dict[str, Any] | None, change: Change, pid: str) -> Payment:
    """The payment ``pid`` as the store holds it, with what ``change`` says of it merged in."""
    kept = None if current is None else _payment(current)
    for payment in change.payments:
        if payment.id == pid:
            kept = merge(kept, payment)
    assert kept is not None
    return kept


def _counter_key(year: str) -> Key:
    return (RECEIPTS, year)


def _payment_item(payment: Payment, pk: str, sk: str) -> dict[str, Any]:
    item = {
        **_key(pk, sk),
        "id": {"S": payment.id},
        "invoice": {"S": payment.invoice},
        "client": {"S": payment.client},
        "amount": _n(payment.amount),
        "currency": {"S": payment.currency},
        "received": {"S": payment.received},
        "method": {"S": payment.method},
        "status": {"S": payment.status},
        "refunded": _n(payment.refunded),
        "disputed": {"BOOL": payment.disputed},
    }
    _put_optional(
        item, "instalment", None if payment.instalment is None else _n(payment.instalment)
    )
    _put_optional(item, "session", None if payment.session is None else {"S": payment.session})
    _put_optional(item, "receipt", None if payment.receipt is None else {"S": payment.receipt})
    for name in ("saved_type", "saved_brand", "saved_last4"):
        value = getattr(payment, name)
        _put_optional(item, name, None if value is None else {"S": value})
    return item


def _payment(item: dict[str, Any]) -> Payment:
    return Payment(
        id=item["id"]["S"],
        invoice=item["invoice"]["S"],
        client=item["client"]["S"],
        amount=int(item["amount"]["N"]),
        currency=item["currency"]["S"],
        received=item["received"]["S"],
        method=item["method"]["S"],
        status=item["status"]["S"],
        instalment=int(item["instalment"]["N"]) if "instalment" in item else None,
        refunded=int(item["refunded"]["N"]),
        session=item["session"]["S"] if "session" in item else None,
        disputed=item.get("disputed", {}).get("BOOL", False),
        receipt=item["receipt"]["S"] if "receipt" in item else None,
        saved_type=item["saved_type"]["S"] if "saved_type" in item else None,
        saved_brand=item["saved_brand"]["S"] if "saved_brand" in item else None,
        saved_last4=item["saved_last4"]["S"] if "saved_last4" in item else None,
    )


def _outbox_item(item: OutboxItem) -> dict[str, Any]:
    # as SQLite's INSERT: a new item starts with no attempts and no error
    return {
        **_key(f"OUTBOX#{item.key}", "OUTBOX"),
        "key": {"S": item.key},
        "kind": {"S": item.kind},
        "payload": _s(dict(item.payload)),
        "attempts": _n(0),
        "next_attempt": _n(item.next_attempt),
        "last_error": {"S": ""},
        "sent": _n(0),
        "gsi1pk": {"S": OUTBOX_PENDING},
        "gsi1sk": {"S": f"{_sort_time(item.next_attempt)}#{item.key}"},
    }


def _track_key(invoice: str, instalment: int) -> Key:
    return (f"INV#{invoice}", f"TRACK#{instalment}")


def _track_sort(next_date: str, invoice: str, instalment: int) -> str:
    return f"{next_date}#{invoice}#{instalment}"


def _set_next(item: dict[str, Any], invoice: str, instalment: int, next_date: str | None) -> None:
    """A track is in the ``due`` index only while a reminder is ahead of it."""
    if next_date is not None:
        item["next_date"] = {"S": next_date}
        item["gsi1pk"] = {"S": REMINDERS_DUE}
        item["gsi1sk"] = {"S": _track_sort(next_date, invoice, instalment)}


def _track(item: dict[str, Any]) -> ReminderTrack:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    return ReminderTrack(
        invoice=item["invoice"]["S"],
        instalment=int(item["instalment"]["N"]),
        client=item["client"]["S"],
        due=item["due"]["S"],
        issued=item["issued"]["S"],
        cadence=item["cadence"]["S"],
        next_date=text("next_date"),
        checked=text("checked"),
        last_step=text("last_step"),
        last_offset=int(item["last_offset"]["N"]) if "last_offset" in item else None,
        last_sent=text("last_sent"),
    )


def _charge_key(attempt: ChargeAttempt) -> Key:
    return (CHARGES, f"{attempt.client}#{attempt.invoice}#{attempt.instalment}#{attempt.attempt}")


def _charge_item(attempt: ChargeAttempt) -> dict[str, Any]:
    item = {
        **_key(*_charge_key(attempt)),
        "invoice": {"S": attempt.invoice},
        "instalment": _n(attempt.instalment),
        "attempt": _n(attempt.attempt),
        "client": {"S": attempt.client},
        "amount": _n(attempt.amount),
        "currency": {"S": attempt.currency},
        "day": {"S": attempt.day},
        "charge_day": {"S": attempt.charge_day},
        "payment_method": {"S": attempt.payment_method},
        "state": {"S": attempt.state},
        "claimed_at": _n(attempt.claimed_at),
        "notified": {"BOOL": attempt.notified},
    }
    _put_optional(item, "payment_intent", _optional_s(attempt.payment_intent))
    _put_optional(item, "reason", _optional_s(attempt.reason))
    return item


def _optional_s(value: str | None) -> dict[str, str] | None:
    return None if value is None else {"S": value}


def _charge(item: dict[str, Any]) -> ChargeAttempt:
    return ChargeAttempt(
        invoice=item["invoice"]["S"],
        instalment=int(item["instalment"]["N"]),
        attempt=int(item["attempt"]["N"]),
        client=item["client"]["S"],
        amount=int(item["amount"]["N"]),
        currency=item["currency"]["S"],
        day=item["day"]["S"],
        charge_day=item["charge_day"]["S"],
        payment_method=item["payment_method"]["S"],
        state=item["state"]["S"],
        claimed_at=float(item["claimed_at"]["N"]),
        payment_intent=item["payment_intent"]["S"] if "payment_intent" in item else None,
        reason=item["reason"]["S"] if "reason" in item else None,
        notified=item.get("notified", {}).get("BOOL", False),
    )


def _outbox(item: dict[str, Any]) -> OutboxItem:
    return OutboxItem(
        key=item["key"]["S"],
        kind=item["kind"]["S"],
        payload=json.loads(item["payload"]["S"]),
        attempts=int(item["attempts"]["N"]),
        next_attempt=float(item["next_attempt"]["N"]),
        last_error=item["last_error"]["S"],
    )


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))
