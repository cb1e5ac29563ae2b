"""The local store: one SQLite file in WAL mode, real transactions and unique keys."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import orjson

from functions.store.base import (
    METHOD_RECORD,
    SAVED_METHOD_FIELDS,
    Change,
    ChargeAttempt,
    CheckoutSession,
    OutboxItem,
    Payment,
    Reminder,
    ReminderTrack,
    SentReminder,
    TrackMove,
    merge,
)
from functions.store.numbering import receipt_number, receipt_year, wants_number
from functions.store.tracks import next_reminder, page_changes, plan_tracks

SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (number TEXT PRIMARY KEY, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, invoice TEXT NOT NULL, client TEXT NOT NULL, instalment INTEGER,
    amount INTEGER NOT NULL, currency TEXT NOT NULL, url TEXT NOT NULL,
    expires_at INTEGER NOT NULL, status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_invoice ON sessions (invoice, status);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY, invoice TEXT NOT NULL, client TEXT NOT NULL, amount INTEGER NOT NULL,
    currency TEXT NOT NULL, received TEXT NOT NULL, method TEXT NOT NULL, status TEXT NOT NULL,
    instalment INTEGER, refunded INTEGER NOT NULL, session TEXT,
    disputed INTEGER NOT NULL DEFAULT 0, receipt TEXT,
    saved_type TEXT, saved_brand TEXT, saved_last4 TEXT
);
CREATE INDEX IF NOT EXISTS payments_by_invoice ON payments (invoice);
CREATE TABLE IF NOT EXISTS receipt_counters (year TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS offline_receipts (
    payment TEXT PRIMARY KEY, client TEXT NOT NULL, number TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS offline_receipts_by_client ON offline_receipts (client);
CREATE TABLE IF NOT EXISTS reviews (id INTEGER PRIMARY KEY, event TEXT NOT NULL, details TEXT);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '', sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (sent, next_attempt);
CREATE TABLE IF NOT EXISTS reminder_tracks (
    invoice TEXT NOT NULL, instalment INTEGER NOT NULL, client TEXT NOT NULL,
    due TEXT NOT NULL, issued TEXT NOT NULL, cadence TEXT NOT NULL,
    next_date TEXT, checked TEXT, last_step TEXT, last_offset INTEGER, last_sent TEXT,
    PRIMARY KEY (invoice, instalment)
);
CREATE INDEX IF NOT EXISTS reminder_tracks_due
    ON reminder_tracks (next_date) WHERE next_date IS NOT NULL;
CREATE TABLE IF NOT EXISTS page_changes (client TEXT PRIMARY KEY, day TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS page_changes_by_day ON page_changes (day);
CREATE TABLE IF NOT EXISTS reminders (
    invoice TEXT NOT NULL, instalment INTEGER NOT NULL, step TEXT NOT NULL,
    day TEXT NOT NULL, outbox_key TEXT NOT NULL,
    PRIMARY KEY (invoice, instalment, step)
);
CREATE TABLE IF NOT EXISTS charges (
    invoice TEXT NOT NULL, instalment INTEGER NOT NULL, attempt INTEGER NOT NULL,
    client TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, day TEXT NOT NULL,
    charge_day TEXT NOT NULL, payment_method TEXT NOT NULL, state TEXT NOT NULL,
    claimed_at REAL NOT NULL, payment_intent TEXT, reason TEXT,
    notified INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (invoice, instalment, attempt)
);
CREATE INDEX IF NOT EXISTS charges_by_client ON charges (client);
CREATE TABLE IF NOT EXISTS methods (
    client TEXT PRIMARY KEY, customer TEXT NOT NULL, payment_method TEXT, type TEXT,
    brand TEXT, last4 TEXT, since TEXT, dropped TEXT, reason TEXT
);
"""
TRACK_CHUNK = 500  # invoices per "IN (...)" look-up, under SQLite's variable limit
# made after _migrate, which adds the column to a store made before receipt numbers
RECEIPT_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS payments_by_receipt ON payments (receipt) "
    "WHERE receipt IS NOT NULL"
)
PAYMENT_COLUMNS = (
    "id, invoice, client, amount, currency, received, method, status, instalment, refunded, "
    "session, disputed, receipt, saved_type, saved_brand, saved_last4"
)


class SqliteStore:
    """Safe to share between threads and processes: every write is one transaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(SCHEMA)  # idempotent; runs in its own transaction
        self._migrate()
        self._db().execute(RECEIPT_INDEX)
        self._migrate_sessions()
        self._migrate_saved_methods()

    def _migrate(self) -> None:
        """A store made before receipt numbers: add the column, and number the receipts it
        already holds in the order they were received, as if they had been numbered then."""
        if self._has_receipts(self._db()):
            return
        with self._tx() as db:
            if self._has_receipts(db):  # another process migrated it meanwhile
                return
            db.execute("ALTER TABLE payments ADD COLUMN receipt TEXT")
            rows = db.execute(
                "SELECT * FROM payments WHERE status = 'succeeded' ORDER BY received, id"
            ).fetchall()
            for row in rows:
                payment = _payment(row)
                number = self._next_receipt(db, receipt_year(payment))
                db.execute("UPDATE payments SET receipt = ? WHERE id = ?", (number, payment.id))

    def _migrate_saved_methods(self) -> None:
        """A store made before automatic payments: its payments name no saved method."""
        with self._tx() as db:
            columns = {row["name"] for row in db.execute("PRAGMA table_info(payments)")}
            for column in ("saved_type", "saved_brand", "saved_last4"):
                if column not in columns:
                    db.execute(f"ALTER TABLE payments ADD COLUMN {column} TEXT")

    def _migrate_sessions(self) -> None:
        """A store made before autopay: its sessions were all plain payments."""
        with self._tx() as db:
            columns = {row["name"] for row in db.execute("PRAGMA table_info(sessions)")}
            if "autopay" not in columns:
                db.execute("ALTER TABLE sessions ADD COLUMN autopay INTEGER NOT NULL DEFAULT 0")

    @staticmethod
    def _has_receipts(db: sqlite3.Connection) -> bool:
        return any(row["name"] == "receipt" for row in db.execute("PRAGMA table_info(payments)"))

    @staticmethod
    def _next_receipt(db: sqlite3.Connection, year: str) -> str:
        """The next number of ``year``, counted inside the caller's transaction: the write
        lock (BEGIN IMMEDIATE) makes it the only one counting until it commits or rolls back."""
        (last,) = db.execute(
            "INSERT INTO receipt_counters (year, last) VALUES (?, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
            (year,),
        ).fetchone()
        return receipt_number(year, last)

    def reopened(self) -> SqliteStore:
        """The same store through a new connection: for a forked worker process."""
        return SqliteStore(self.path)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # autocommit mode: transactions are opened explicitly by _tx
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    def copy(self, path: Path) -> SqliteStore:
        """A consistent copy of the whole store at ``path`` (SQLite's online backup): what a
        dry run may change freely."""
        target = sqlite3.connect(str(path))
        try:
            self._db().backup(target)
        finally:
            target.close()
        return SqliteStore(path)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # take the write lock now: no lost updates
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # --- the ledger --------------------------------------------------------

    def put_invoices(self, invoices: Mapping[str, Mapping[str, Any]]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT INTO invoices (number, entry) VALUES (?, ?) "
                "ON CONFLICT (number) DO UPDATE SET entry = excluded.entry",
                [(number, json.dumps(entry)) for number, entry in invoices.items()],
            )
            self._put_tracks(db, invoices)
            changes = page_changes(invoices)
            db.executemany(
                "DELETE FROM page_changes WHERE client = ?",
                [(c,) for c, day in changes.items() if day is None],
            )
            db.executemany(
                "INSERT INTO page_changes (client, day) VALUES (?, ?) "
                "ON CONFLICT (client) DO UPDATE SET day = excluded.day",
                [(c, day) for c, day in changes.items() if day is not None],
            )

    def clients(self) -> list[str]:
        sql = "SELECT DISTINCT json_extract(entry, '$.client') AS client FROM invoices"
        return sorted(row["client"] for row in self._db().execute(sql) if row["client"])

    def pages_changing(self, day: str) -> list[str]:
        rows = self._db().execute(
            "SELECT client FROM page_changes WHERE day <= ? ORDER BY client", (day,)
        )
        return [row["client"] for row in rows]

    def _put_tracks(
        self, db: sqlite3.Connection, invoices: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Index each entry's next reminder day, keeping how far the job has got."""
        plans = [plan for number, entry in invoices.items() for plan in plan_tracks(number, entry)]
        if not plans:
            return
        numbers = sorted({plan.invoice for plan in plans})
        checked: dict[tuple[str, int], str | None] = {}
        for start in range(0, len(numbers), TRACK_CHUNK):
            chunk = numbers[start : start + TRACK_CHUNK]
            rows = db.execute(
                "SELECT invoice, instalment, checked FROM reminder_tracks "
                f"WHERE invoice IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            checked.update(((r["invoice"], r["instalment"]), r["checked"]) for r in rows)
        db.executemany(
            "INSERT INTO reminder_tracks "
            "(invoice, instalment, client, due, issued, cadence, next_date) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (invoice, instalment) DO UPDATE SET "
            "client = excluded.client, due = excluded.due, issued = excluded.issued, "
            "cadence = excluded.cadence, next_date = excluded.next_date",
            [
                (
                    p.invoice,
                    p.instalment,
                    p.client,
                    p.due,
                    p.issued,
                    p.cadence,
                    next_reminder(p, checked.get((p.invoice, p.instalment))),
                )
                for p in plans
            ],
        )

    def invoice(self, number: str) -> dict[str, Any] | None:
        sql = "SELECT entry FROM invoices WHERE number = ?"
        row = self._db().execute(sql, (number,)).fetchone()
        return None if row is None else json.loads(row["entry"])

    # --- checkout sessions ---------------------------------------------------

    def save_session(self, session: CheckoutSession) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO sessions (id, invoice, client, instalment, amount, "
                "currency, url, expires_at, status, autopay) VALUES "
                "(:id, :invoice, :client, :instalment, :amount, :currency, :url, "
                ":expires_at, :status, :autopay)",
                asdict(session),
            )

    def session(self, session_id: str) -> CheckoutSession | None:
        row = self._db().execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else _session(row)

    def open_session(
        self, invoice: str, instalment: int | None, amount: int, now: float, autopay: bool = False
    ) -> CheckoutSession | None:
        row = (
            self._db()
            .execute(
                "SELECT * FROM sessions WHERE invoice = ? AND instalment IS ? AND amount = ? "
                "AND status = 'open' AND expires_at > ? AND autopay = ? "
                "ORDER BY expires_at DESC LIMIT 1",
                (invoice, instalment, amount, now + 60, int(autopay)),  # a minute to pay
            )
            .fetchone()
        )
        return None if row is None else _session(row)

    # --- events, payments, reviews -------------------------------------------

    def apply(self, change: Change) -> bool:
        with self._tx() as db:
            seen = db.execute("INSERT OR IGNORE INTO events (id) VALUES (?)", (change.event_id,))
            if seen.rowcount == 0:
                return False
            for payment in change.payments:
                row = db.execute("SELECT * FROM payments WHERE id = ?", (payment.id,)).fetchone()
                kept = merge(None if row is None else _payment(row), payment)
                if wants_number(kept):  # it became a receipt in this event: numbered with it
                    kept = replace(kept, receipt=self._next_receipt(db, receipt_year(kept)))
                db.execute(
                    f"INSERT OR REPLACE INTO payments ({PAYMENT_COLUMNS}) VALUES (:id, :invoice, "
                    ":client, :amount, :currency, :received, :method, :status, :instalment, "
                    ":refunded, :session, :disputed, :receipt, :saved_type, :saved_brand, "
                    ":saved_last4)",
                    asdict(kept),
                )
            for receipt in change.offline_receipts:
                numbered = db.execute(
                    "SELECT 1 FROM offline_receipts WHERE payment = ?", (receipt.payment,)
                ).fetchone()
                if numbered is None:  # once: a later change naming it keeps its number
                    db.execute(
                        "INSERT INTO offline_receipts (payment, client, number) VALUES (?, ?, ?)",
                        (
                            receipt.payment,
                            receipt.client,
                            self._next_receipt(db, receipt.day[:4]),
                        ),
                    )
            for item in change.outbox:
                db.execute(
                    "INSERT OR IGNORE INTO outbox (key, kind, payload, next_attempt) "
                    "VALUES (?, ?, ?, ?)",
                    (item.key, item.kind, json.dumps(item.payload), item.next_attempt),
                )
            for review in change.reviews:
                db.execute(
                    "INSERT INTO reviews (event, details) VALUES (?, ?)",
                    (change.event_id, json.dumps(review)),
                )
            for session_id, status in change.sessions.items():
                db.execute("UPDATE sessions SET status = ? WHERE id = ?", (status, session_id))
        return True

    def payments(self, invoice: str | None = None) -> list[Payment]:
        sql, args = "SELECT * FROM payments", ()
        if invoice is not None:
            sql, args = sql + " WHERE invoice = ?", (invoice,)
        return [_payment(row) for row in self._db().execute(sql + " ORDER BY id", args)]

    def payment(self, payment_id: str) -> Payment | None:
        sql = "SELECT * FROM payments WHERE id = ?"
        row = self._db().execute(sql, (payment_id,)).fetchone()
        return None if row is None else _payment(row)

    def offline_receipt_numbers(self, client: str | None = None) -> dict[str, str]:
        sql, args = "SELECT payment, number FROM offline_receipts", ()
        if client is not None:
            sql, args = sql + " WHERE client = ?", (client,)
        return {row["payment"]: row["number"] for row in self._db().execute(sql, args)}

    def offline_receipts_by_client(self) -> dict[str, dict[str, str]]:
        grouped: dict[str, dict[str, str]] = {}
        for row in self._db().execute("SELECT payment, client, number FROM offline_receipts"):
            grouped.setdefault(row["client"], {})[row["payment"]] = row["number"]
        return grouped

    def reviews(self) -> list[dict[str, Any]]:
        rows = self._db().execute("SELECT event, details FROM reviews ORDER BY id")
        return [{"event": r["event"], **json.loads(r["details"])} for r in rows]

    # --- the outbox ------------------------------------------------------------

    def due(self, now: float, limit: int = 50) -> list[OutboxItem]:
        rows = self._db().execute(
            "SELECT * FROM outbox WHERE sent = 0 AND next_attempt <= ? "
            "ORDER BY next_attempt, key LIMIT ?",
            (now, limit),
        )
        return [_outbox(r) for r in rows]

    def unsent(self) -> list[OutboxItem]:
        rows = self._db().execute("SELECT * FROM outbox WHERE sent = 0 ORDER BY next_attempt, key")
        return [_outbox(r) for r in rows]

    def claim(self, item: OutboxItem, until: float) -> bool:
        with self._tx() as db:
            taken = db.execute(
                "UPDATE outbox SET next_attempt = ? "
                "WHERE key = ? AND sent = 0 AND next_attempt = ?",
                (until, item.key, item.next_attempt),
            )
        return taken.rowcount == 1

    def done(self, key: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET sent = 1, attempts = attempts + 1 WHERE key = ?", (key,))

    def retry(self, key: str, error: str, next_attempt: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ? "
                "WHERE key = ? AND sent = 0",
                (error[:1000], next_attempt, key),
            )

    def pending(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM outbox WHERE sent = 0").fetchone()[0]

    # --- reminders ---------------------------------------------------------------

    def reminders_due(self, day: str) -> list[ReminderTrack]:
        rows = self._db().execute(
            "SELECT * FROM reminder_tracks WHERE next_date IS NOT NULL AND next_date <= ? "
            "ORDER BY client, invoice, instalment",
            (day,),
        )
        return [ReminderTrack(**dict(row)) for row in rows]

    def record_reminders(self, reminders: Sequence[Reminder]) -> list[bool]:
        # one transaction for the batch (BEGIN IMMEDIATE holds the write lock, so nothing
        # changes under it); each reminder's three rows go in together or not at all
        recorded = []
        with self._tx() as db:
            for r in reminders:
                key = (r.invoice, r.instalment, r.step)
                queued = db.execute(
                    "INSERT OR IGNORE INTO outbox (key, kind, payload, next_attempt) "
                    "VALUES (?, ?, ?, ?)",
                    # orjson: 10x faster than json here, and UTF-8 rather than \u escapes
                    (r.email.key, r.email.kind, _json(r.email.payload), r.email.next_attempt),
                ).rowcount
                logged = (
                    queued
                    and db.execute(
                        "INSERT OR IGNORE INTO reminders VALUES (?, ?, ?, ?, ?)",
                        (*key, r.day, r.email.key),
                    ).rowcount
                )
                # steps only move forward; no track (never indexed): nothing to record
                moved = (
                    logged
                    and db.execute(
                        "UPDATE reminder_tracks SET last_step = ?, last_offset = ?, last_sent = ?, "
                        "checked = ?, next_date = ? WHERE invoice = ? AND instalment = ? "
                        "AND (last_offset IS NULL OR last_offset < ?)",
                        (r.step, r.offset, r.day, r.day, r.next_date, *key[:2], r.offset),
                    ).rowcount
                )
                if not moved:  # take back what this reminder wrote (rows it just inserted)
                    if logged:
                        db.execute(
                            "DELETE FROM reminders WHERE invoice = ? AND instalment = ? "
                            "AND step = ?",
                            key,
                        )
                    if queued:
                        db.execute("DELETE FROM outbox WHERE key = ?", (r.email.key,))
                recorded.append(bool(moved))
        return recorded

    def move_reminders(self, moves: Sequence[TrackMove]) -> None:
        if not moves:
            return
        with self._tx() as db:
            db.executemany(
                "UPDATE reminder_tracks SET checked = ?, next_date = ? "
                "WHERE invoice = ? AND instalment = ?",
                [(m.day, m.next_date, m.invoice, m.instalment) for m in moves],
            )

    def reminders(self, invoice: str) -> list[SentReminder]:
        rows = self._db().execute(
            "SELECT invoice, instalment, step, day, outbox_key AS key FROM reminders "
            "WHERE invoice = ? ORDER BY instalment, day, step",
            (invoice,),
        )
        return [SentReminder(**dict(row)) for row in rows]

    # --- automatic charges -------------------------------------------------------

    def claim_charge(self, attempt: ChargeAttempt, now: float, lease: float) -> bool:
        row = {**asdict(attempt), "state": "claimed", "claimed_at": now, "stale": now - lease}
        with self._tx() as db:
            taken = db.execute(
                "INSERT INTO charges (invoice, instalment, attempt, client, amount, currency, "
                "day, charge_day, payment_method, state, claimed_at) VALUES (:invoice, "
                ":instalment, :attempt, :client, :amount, :currency, :day, :charge_day, "
                ":payment_method, :state, :claimed_at) "
                "ON CONFLICT (invoice, instalment, attempt) DO UPDATE SET claimed_at = "
                "excluded.claimed_at WHERE state = 'claimed' AND claimed_at <= :stale "
                "AND day = excluded.day",
                row,
            )
        return taken.rowcount == 1

    def charge_result(self, attempt: ChargeAttempt) -> bool:
        with self._tx() as db:
            written = db.execute(
                "UPDATE charges SET state = ?, payment_intent = COALESCE(?, payment_intent), "
                "reason = ?, notified = ? WHERE invoice = ? AND instalment = ? AND attempt = ? "
                "AND state != 'succeeded' AND (state != 'failed' OR ? = 'failed')",
                (
                    attempt.state,
                    attempt.payment_intent,
                    attempt.reason,
                    int(attempt.notified),
                    attempt.invoice,
                    attempt.instalment,
                    attempt.attempt,
                    attempt.state,
                ),
            )
        return written.rowcount == 1

    def charges(self, client: str | None = None) -> list[ChargeAttempt]:
        sql, args = "SELECT * FROM charges", ()
        if client is not None:
            sql, args = sql + " WHERE client = ?", (client,)
        rows = self._db().execute(sql + " ORDER BY invoice, instalment, attempt", args)
        return [ChargeAttempt(**{**dict(row), "notified": bool(row["notified"])}) for row in rows]

    # --- autopay: Customers and saved methods --------------------------------------

    def save_customer(self, client: str, customer: str) -> str:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO methods (client, customer) VALUES (?, ?)", (client, customer)
            )
            row = db.execute("SELECT customer FROM methods WHERE client = ?", (client,)).fetchone()
        return str(row["customer"])

    def customer(self, client: str) -> str | None:
        sql = "SELECT customer FROM methods WHERE client = ?"
        row = self._db().execute(sql, (client,)).fetchone()
        return None if row is None else str(row["customer"])

    def save_method(
        self, client: str, method: Mapping[str, Any], now: str
    ) -> dict[str, Any] | None:
        fields = {name: method.get(name) for name in SAVED_METHOD_FIELDS}
        with self._tx() as db:
            row = db.execute("SELECT * FROM methods WHERE client = ?", (client,)).fetchone()
            old = _method(row)
            if old is not None and old["payment_method"] == fields["payment_method"]:
                return None  # saved already (a redelivered event): nothing moves
            db.execute(
                "INSERT INTO methods (client, customer, payment_method, type, brand, last4, since) "
                "VALUES (:client, :customer, :payment_method, :type, :brand, :last4, :since) "
                "ON CONFLICT (client) DO UPDATE SET customer = excluded.customer, "
                "payment_method = excluded.payment_method, type = excluded.type, "
                "brand = excluded.brand, last4 = excluded.last4, since = excluded.since, "
                "dropped = NULL, reason = NULL",
                {**fields, "client": client, "since": now},
            )
        return old

    def method(self, client: str) -> dict[str, Any] | None:
        row = self._db().execute("SELECT * FROM methods WHERE client = ?", (client,)).fetchone()
        return _method(row)

    def drop_method(
        self, client: str, reason: str, now: str, payment_method: str | None = None
    ) -> dict[str, Any] | None:
        with self._tx() as db:
            row = db.execute("SELECT * FROM methods WHERE client = ?", (client,)).fetchone()
            old = _method(row)
            if old is None or payment_method not in (None, old["payment_method"]):
                return None
            db.execute(
                "UPDATE methods SET payment_method = NULL, type = NULL, brand = NULL, "
                "last4 = NULL, since = NULL, dropped = ?, reason = ? WHERE client = ?",
                (now, reason, client),
            )
        return old

    def methods(self) -> list[dict[str, Any]]:
        rows = self._db().execute(
            "SELECT * FROM methods WHERE payment_method IS NOT NULL ORDER BY client"
        )
        return [m for row in rows if (m := _method(row)) is not None]


def _method(row: sqlite3.Row | None) -> dict[str, Any] | None:
    """A saved method's record, or None for no row or a client off autopay."""
    if row is None or row["payment_method"] is None:
        return None
    return {name: row[name] for name in METHOD_RECORD}


def _session(row: sqlite3.Row) -> CheckoutSession:
    return CheckoutSession(**{**dict(row), "autopay": bool(row["autopay"])})


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _payment(row: sqlite3.Row) -> Payment:
    return Payment(**{**dict(row), "disputed": bool(row["disputed"])})


def _outbox(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        key=row["key"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        attempts=row["attempts"],
        next_attempt=row["next_attempt"],
        last_error=row["last_error"],
    )
