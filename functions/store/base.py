"""What the payment functions remember, behind one small interface.

Two implementations share it: SQLite for the local default (``sqlite.py``) and
DynamoDB on AWS. Every method that changes more than one record does it in
one transaction, so a crash or a retried webhook never leaves half a payment:
the event id, the payment and the work it causes (receipt email, re-publish)
are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

SessionStatus = Literal["open", "complete", "expired"]
PaymentStatus = Literal["pending", "succeeded", "failed"]
OutboxKind = Literal["email", "publish"]


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    invoice: str
    client: str
    instalment: int | None
    amount: int  # minor units the session was created for
    currency: str
    url: str
    expires_at: int  # unix seconds
    status: SessionStatus = "open"
    # the client asked to save the paying method for autopay (``setup_future_usage``): such a
    # session is reused only for another such request, and a plain one only for a plain one
    autopay: bool = False


@dataclass(frozen=True)
class Payment:
    id: str  # the Stripe payment intent: one payment however many events name it
    invoice: str
    client: str
    amount: int
    currency: str
    received: str  # YYYY-MM-DD in the agency's time zone
    method: str
    status: PaymentStatus
    instalment: int | None = None
    refunded: int = 0
    session: str | None = None
    disputed: bool = False  # the client disputed the charge with their bank
    # "R-2026-0007": given by the store in the transaction that first records the payment as
    # succeeded (``numbering.py``), never before, never again; None until then
    receipt: str | None = None
    # an automatic charge's saved method (Stripe's type, card brand, last four digits), so its
    # receipt names it as the portal did ("Visa •••• 4242"); None for any other payment
    saved_type: str | None = None
    saved_brand: str | None = None
    saved_last4: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    key: str  # idempotency key: the same work is enqueued once, e.g. "receipt:pi_123"
    kind: OutboxKind
    payload: Mapping[str, Any]
    attempts: int = 0
    next_attempt: float = 0.0  # unix seconds
    last_error: str = ""


@dataclass(frozen=True)
class OfflineReceipt:
    """A payment received outside Stripe (``content/payments/``) that is now a receipt.

    The content, not the store, holds the payment; the store gives it its receipt number,
    from the same counter as Stripe's payments, in the transaction that queues its email.
    """

    payment: str  # the content payment's id
    client: str
    day: str  # YYYY-MM-DD it was received (the agency's zone): the year it counts in


@dataclass(frozen=True)
class Change:
    """Everything one webhook event does, applied atomically by ``Store.apply``."""

    event_id: str
    payments: Sequence[Payment] = ()
    outbox: Sequence[OutboxItem] = ()
    reviews: Sequence[Mapping[str, Any]] = ()  # e.g. an amount that does not match its session
    sessions: Mapping[str, SessionStatus] = field(default_factory=dict)
    offline_receipts: Sequence[OfflineReceipt] = ()  # numbered once each, with the rest


@dataclass(frozen=True)
class ReminderTrack:
    """One payable entry's reminders, as the job reads it from the index."""

    invoice: str
    instalment: int  # 0: the invoice as a whole; else the entry of its plan
    client: str
    due: str  # YYYY-MM-DD
    issued: str
    cadence: str  # the resolved schedule, JSON text (``Cadence.to_json``)
    next_date: str | None = None  # the next day the job looks at it; None: nothing to remind
    checked: str | None = None  # the last day the job looked at it
    last_step: str | None = None  # the last reminder sent, e.g. "overdue-7"
    last_offset: int | None = None  # its days from the due date; steps only move forward
    last_sent: str | None = None  # the day it was sent


@dataclass(frozen=True)
class Reminder:
    """A reminder decided by the job: recorded once, with its email, or not at all."""

    invoice: str
    instalment: int
    step: str  # "before-5", "due", "overdue-14"
    offset: int  # the step's days from the due date
    day: str  # the day it was decided (YYYY-MM-DD)
    email: OutboxItem  # key "reminder:<invoice>:<instalment>:<step>"
    next_date: str | None  # the track's next reminder day after this one


@dataclass(frozen=True)
class TrackMove:
    """The job looked at a track on ``day`` and sent nothing: look again on ``next_date``."""

    invoice: str
    instalment: int
    day: str
    next_date: str | None


ChargeState = Literal["claimed", "succeeded", "processing", "failed"]


@dataclass(frozen=True)
class ChargeAttempt:
    """One automatic charge of an invoice part (``functions/autopay/charges.py``).

    Claimed (written) before Stripe is called, under the key the PaymentIntent's idempotency
    key is made of: a second claim of the key is refused, so two runs make one call.
    """

    invoice: str
    instalment: int  # 0: the invoice as a whole; else the entry of its plan
    attempt: int  # 1: on the charge day; 2, 3, ...: the retries
    client: str
    amount: int  # minor units asked of Stripe
    currency: str
    day: str  # the day the attempt is made (YYYY-MM-DD, the agency's)
    charge_day: str  # the part's planned charge day: the first attempt's
    payment_method: str  # pm_...: the saved method charged
    state: ChargeState = "claimed"
    claimed_at: float = 0.0  # unix seconds of the last claim
    payment_intent: str | None = None
    reason: str | None = None  # Stripe's decline_code, else its error code
    notified: bool = False  # its follow-up (failure email, turning autopay off) is queued


@dataclass(frozen=True)
class SentReminder:
    """A line of the reminder log."""

    invoice: str
    instalment: int
    step: str
    day: str
    key: str  # its outbox item


class Store(Protocol):
    # the ledger, loaded from build/ledger.json
    def put_invoices(self, invoices: Mapping[str, Mapping[str, Any]]) -> None: ...
    def invoice(self, number: str) -> dict[str, Any] | None: ...
    def clients(self) -> list[str]:
        """Every client the ledger has an invoice of, sorted: the monthly statement run."""
        ...

    def pages_changing(self, day: str) -> list[str]:
        """The clients whose pages change on ``day`` or before (the ledger's ``pages_change``,
        indexed by ``put_invoices``): what the daily job re-publishes."""
        ...

    # checkout sessions: a second click on Pay reuses the open one
    def save_session(self, session: CheckoutSession) -> None: ...
    def session(self, session_id: str) -> CheckoutSession | None: ...
    def open_session(
        self, invoice: str, instalment: int | None, amount: int, now: float, autopay: bool = False
    ) -> CheckoutSession | None: ...

    # webhook events, exactly once
    def apply(self, change: Change) -> bool:
        """Apply a change unless its event was seen before; False for a duplicate.

        A payment the change leaves succeeded without a receipt number gets the next one of
        its year (``numbering.py``) in the same transaction, and so does each offline receipt
        the store has not numbered yet: every receipt is numbered here, once.
        """
        ...

    def offline_receipt_numbers(self, client: str | None = None) -> dict[str, str]:
        """The numbers given to offline receipts (of ``client``, or all): payment id -> number."""
        ...

    def offline_receipts_by_client(self) -> dict[str, dict[str, str]]:
        """Every offline receipt's number, by client (one read): what a build adds."""
        ...

    def payments(self, invoice: str | None = None) -> list[Payment]: ...
    def payment(self, payment_id: str) -> Payment | None: ...
    def reviews(self) -> list[dict[str, Any]]: ...

    # the outbox of slow work
    def due(self, now: float, limit: int = 50) -> list[OutboxItem]: ...
    def claim(self, item: OutboxItem, until: float) -> bool:
        """Take ``item`` until ``until`` unless another drain took it since it was read.

        Two drains (a schedule and a local loop, or two overlapping runs) then never
        send the same email twice: the loser sees False and moves on.
        """
        ...

    def done(self, key: str) -> None: ...
    def retry(self, key: str, error: str, next_attempt: float) -> None: ...
    def pending(self) -> int: ...
    def unsent(self) -> list[OutboxItem]:
        """Every item not yet done, failed ones included (``attempts``, ``last_error``)."""
        ...

    # reminders: tracks indexed by their next day (kept up to date by put_invoices), a log
    def reminders_due(self, day: str) -> list[ReminderTrack]:
        """The tracks whose next reminder day is ``day`` or earlier, read through the index."""
        ...

    def record_reminders(self, reminders: Sequence[Reminder]) -> list[bool]:
        """Log each reminder and enqueue its email in one transaction; False where the step
        was logged before (or a later step was), and then nothing is written for it."""
        ...

    def move_reminders(self, moves: Sequence[TrackMove]) -> None: ...
    def reminders(self, invoice: str) -> list[SentReminder]: ...

    # automatic charges: one row per attempt, claimed before Stripe is called
    def claim_charge(self, attempt: ChargeAttempt, now: float, lease: float) -> bool:
        """Write ``attempt`` as claimed at ``now``; False if its key was claimed before.

        A claim with no result, older than ``lease`` seconds and made on the same day
        (``day``: well inside the 24 hours Stripe keeps an idempotency key), may be taken
        again: its run died between the claim and the result, and the new one calls Stripe
        with the same key, which answers what it answered the first time.
        """
        ...

    def charge_result(self, attempt: ChargeAttempt) -> bool:
        """Record what became of an attempt (its ``state``, ``payment_intent``, ``reason``,
        ``notified``). Never over a success, and never back from failed to anything else:
        False then, and nothing written."""
        ...

    def charges(self, client: str | None = None) -> list[ChargeAttempt]:
        """Every attempt (of ``client``), by invoice, instalment and attempt."""
        ...

    # autopay: one Stripe Customer per client (kept for good), and its saved method while on
    def save_customer(self, client: str, customer: str) -> str:
        """Keep ``customer`` as the client's Stripe Customer unless it has one already; the
        one kept (the first writer wins: two enrolments at once share one Customer)."""
        ...

    def customer(self, client: str) -> str | None: ...
    def save_method(
        self, client: str, method: Mapping[str, Any], now: str
    ) -> dict[str, Any] | None:
        """Put the client on autopay with ``method`` (``SAVED_METHOD_FIELDS``); the method it
        replaces (to detach at Stripe), or None. Saving the method it has already changes
        nothing and returns None: a redelivered event saves once."""
        ...

    def method(self, client: str) -> dict[str, Any] | None:
        """The client's saved method (``METHOD_RECORD``) while it is on autopay, else None."""
        ...

    def drop_method(
        self, client: str, reason: str, now: str, payment_method: str | None = None
    ) -> dict[str, Any] | None:
        """Take the client off autopay (the Customer stays); the method dropped, or None.
        With ``payment_method``, only if that is still the saved one (a job that gives up on
        a method never drops the new one the client saved meanwhile)."""
        ...

    def methods(self) -> list[dict[str, Any]]:
        """Every client on autopay, by client id."""
        ...


# What ``save_method`` takes, and what a saved method's record holds besides
SAVED_METHOD_FIELDS = ("customer", "payment_method", "type", "brand", "last4")
METHOD_RECORD = ("client", *SAVED_METHOD_FIELDS, "since")

_RANK = {"pending": 0, "failed": 1, "succeeded": 2}


def merge(old: Payment | None, new: Payment) -> Payment:
    """The record to keep when an event names a payment the store may already hold.

    Events arrive out of order and twice: a late "completed (unpaid)" must not
    turn a settled bank debit back into pending; refunds only grow and a dispute stays.
    """
    if old is None:
        return new
    status = new.status if _RANK[new.status] >= _RANK[old.status] else old.status
    if old.status == "failed" and new.status == "pending":
        status = "failed"
    return Payment(
        id=old.id,
        invoice=old.invoice,
        client=old.client,
        amount=old.amount,
        currency=old.currency,
        received=new.received if status != old.status else old.received,
        method=new.method or old.method,
        status=status,
        instalment=old.instalment,
        refunded=max(old.refunded, new.refunded),
        session=old.session or new.session,
        disputed=old.disputed or new.disputed,
        receipt=old.receipt or new.receipt,  # a number once given is the payment's for good
        # the method charged, as first recorded (the job's or the webhook's, the same one)
        saved_type=old.saved_type or new.saved_type,
        saved_brand=old.saved_brand or new.saved_brand,
        saved_last4=old.saved_last4 or new.saved_last4,
    )
