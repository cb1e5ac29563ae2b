"""The reminders job: one run for one day, locally (``portal remind``) or on a schedule on AWS.

1. The store's index gives the tracks whose next reminder day has come
   (``Store.reminders_due``): never every invoice.
2. Their clients' snapshots are read once each and priced with the store's payments
   (``with_store_payments`` + ``accounts``), so every figure is the portal's and the
   checkout's.
3. The pure rules (``site_builder.billing.reminders.decide``) say, per entry: send a step,
   wait for a later day, or close (paid, void, disputed).
4. Each reminder is logged under (invoice, instalment, step) in the same transaction that
   puts its email in the outbox (``Store.record_reminders``); a step logged before is
   refused there. So a rerun, a crash half way or two runs at once send each step once.
   The outbox drain delivers the emails, with retries.
5. On the agency's statement day, the monthly statement emails (``functions/statements.py``):
   one per client with an account, queued once a month.

A bulkhead per client: an exception while one client's reminders are decided or rendered
(a contact name an email header cannot carry, a snapshot that no longer loads) stops that
client only. It is recorded as a review in the store (``portal status`` lists it
under "Needs attention", once per client and problem) and the client's tracks are left due,
so the next run (tomorrow's, or a rerun after the fix) tries it again; every other client's
reminders are queued as usual.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import groupby
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from functions.recorded import with_store_payments
from functions.reminders.mail import reminder_key, reminder_mail
from functions.snapshots import Snapshots
from functions.statements import StatementRow, queue_statements
from functions.store.base import (
    Change,
    OutboxItem,
    Payment,
    Reminder,
    ReminderTrack,
    Store,
    TrackMove,
)
from site_builder.billing.reminders import SETTLED, cadence_from_text, decide, next_after
from site_builder.bundle import Account, AccountErrors, ClientBundle, accounts
from site_builder.formatting import format_money
from site_builder.render import Theme
from site_builder.tokens import client_token

if TYPE_CHECKING:
    from functions.app import Services

BATCH = 200  # reminders per store transaction: short write locks, few commits
PARALLEL_FROM = 2000  # due tracks; below this, starting workers costs more than it saves
MAX_WORKERS = 4
ERROR_CHARS = 300  # of an exception's text kept in a review: enough to see what to fix
FAILED = "reminders not prepared"  # the review's problem, before the client and the error


@dataclass(frozen=True)
class ReminderRow:
    """One reminder of a run, for the report and the dry-run table."""

    invoice: str
    instalment: int
    step: str
    tone: str
    client: str
    locale: str
    to: tuple[str, ...]  # bare addresses
    cc: tuple[str, ...]
    amount_due: str
    subject: str
    key: str


@dataclass(frozen=True)
class ClientFailure:
    """A client whose reminders could not be prepared today; its tracks stay due."""

    client: str
    invoices: tuple[str, ...]  # its invoices with a reminder due: none of them was queued
    error: str  # "ValueError: ...", one line

    def problem(self) -> str:
        return f"{self.client}: {FAILED} ({self.error}); tried again on the next run"


@dataclass
class RemindReport:
    day: date
    dry_run: bool = False
    looked_at: int = 0  # tracks the index offered
    sent: list[ReminderRow] = field(default_factory=list)  # queued (or, dry, would be)
    already: list[ReminderRow] = field(default_factory=list)  # another run got there first
    waiting: int = 0  # nothing due for them today; looked at again on a later day
    closed: int = 0  # paid, void, disputed or gone: nothing more to send
    problems: list[str] = field(default_factory=list)
    failed: list[ClientFailure] = field(default_factory=list)  # also in problems, in words
    # the monthly statement emails (functions/statements.py), on the agency's statement day
    statements: list[StatementRow] = field(default_factory=list)  # queued (dry: would be)
    statements_before: list[StatementRow] = field(default_factory=list)  # queued by a run before
    seconds: float = 0.0


def run(
    store: Store,
    snapshots: Snapshots,
    theme: Theme,
    today: date,
    *,
    secret: str,
    dry_run: bool = False,
    workers: int | None = None,
) -> RemindReport:
    """Decide and record the reminders due on ``today``; ``dry_run`` decides only.

    A big day is split by client over ``workers`` forked processes when the store can be
    reopened in one (``reopened()``: SQLite; on AWS the job is one Lambda process). Each
    worker reads, decides and records its clients through its own connection.
    """
    started = time.perf_counter()
    report = RemindReport(today, dry_run)
    tracks = store.reminders_due(today.isoformat())
    report.looked_at = len(tracks)
    groups = [(client, list(group)) for client, group in groupby(tracks, key=lambda t: t.client)]
    decider = _Decider(snapshots, theme, today, secret)
    workers = workers or min(os.cpu_count() or 1, MAX_WORKERS)
    reopen = getattr(store, "reopened", None)
    if (
        workers > 1
        and len(tracks) >= PARALLEL_FROM
        and callable(reopen)
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        parts: Iterable[_Outcome] = _in_workers(_Work(decider, reopen, dry_run), groups, workers)
    else:
        parts = [_settle(decider, store, groups, dry_run)]
    for part in parts:
        report.sent += part.sent
        report.already += part.already
        report.closed += part.closed
        report.waiting += part.waiting
        report.problems += part.problems
        report.failed += part.failed
    report.failed.sort(key=lambda f: f.client)
    report.problems += [f.problem() for f in report.failed]
    if not dry_run:
        record_failures(store, report.failed, today)
    report.sent.sort(key=_row_order)
    report.already.sort(key=_row_order)
    monthly = queue_statements(store, snapshots, today, dry_run=dry_run)
    report.statements, report.statements_before = monthly.sent, monthly.already
    report.problems += monthly.problems
    report.seconds = time.perf_counter() - started
    return report


def failure(client_id: str, invoices: Iterable[str], exc: BaseException) -> ClientFailure:
    if isinstance(exc, ValidationError):  # the field and the reason, without pydantic's links
        text = f"{exc.title}: " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())  # one line, however it was written
    if len(text) > ERROR_CHARS:
        text = text[: ERROR_CHARS - 1] + "…"
    return ClientFailure(client_id, tuple(sorted(set(invoices))), text)


def failure_review(failed: ClientFailure, today: date) -> Change:
    """The store's record of a failure, for a person: once per client and problem.

    The event id names the client and the error's text, so a rerun, or the same problem
    again tomorrow, adds nothing; a different problem is a new line.
    """
    fingerprint = hashlib.sha256(failed.error.encode()).hexdigest()[:16]
    return Change(
        event_id=f"reminders:{failed.client}:{fingerprint}",
        reviews=[
            {
                "problem": f"{FAILED} for client {failed.client} ({failed.error})",
                "client": failed.client,
                "invoice": failed.invoices[0] if failed.invoices else None,
                "invoices": list(failed.invoices),
                "error": failed.error,
                "day": today.isoformat(),
            }
        ],
    )


def record_failures(store: Store, failed: Iterable[ClientFailure], today: date) -> None:
    for one in failed:
        store.apply(failure_review(one, today))


def _row_order(row: ReminderRow) -> tuple[str, str, int]:
    return (row.client, row.invoice, row.instalment)


@dataclass
class _Outcome:
    """What one process did with its share of the day's clients."""

    sent: list[ReminderRow] = field(default_factory=list)
    already: list[ReminderRow] = field(default_factory=list)
    closed: int = 0
    waiting: int = 0
    problems: list[str] = field(default_factory=list)
    failed: list[ClientFailure] = field(default_factory=list)


def _settle(
    decider: _Decider, store: Store, groups: list[tuple[str, list[ReminderTrack]]], dry: bool
) -> _Outcome:
    """Decide the clients' reminders, then record them (each with its email) and the moves.

    Each client is decided into its own ``_Decided`` and kept only if the whole of it
    worked: a client that raises leaves nothing half decided, and no move, so its tracks
    stay due.
    """
    decided = _Decided()
    outcome = _Outcome()
    for client_id, tracks in groups:
        mine = _Decided()
        try:
            decider.client(client_id, tracks, store, mine)
        except Exception as exc:  # this client's data; the others' reminders still go
            outcome.failed.append(failure(client_id, (t.invoice for t in tracks), exc))
            continue
        decided.reminders += mine.reminders
        decided.moves += mine.moves
        decided.problems += mine.problems
    outcome.problems = decided.problems
    outcome.closed = sum(1 for m in decided.moves if m.next_date is None)
    outcome.waiting = len(decided.moves) - outcome.closed
    if dry:
        outcome.sent = [row for _, row in decided.reminders]
        return outcome
    for start in range(0, len(decided.reminders), BATCH):
        batch = decided.reminders[start : start + BATCH]
        # the store's own failure stops the run: nothing of this batch was written (one
        # transaction), and a rerun records the rest, each step once
        recorded = store.record_reminders([reminder for reminder, _ in batch])
        for (_, row), ok in zip(batch, recorded, strict=True):
            (outcome.sent if ok else outcome.already).append(row)
    store.move_reminders(decided.moves)
    return outcome


class PaymentSource(Protocol):
    def payments(self, invoice: str | None = None) -> list[Payment]: ...


@dataclass
class _Decided:
    reminders: list[tuple[Reminder, ReminderRow]] = field(default_factory=list)
    moves: list[TrackMove] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Work:
    decider: _Decider
    reopen: Callable[[], Store]
    dry_run: bool


_WORK: _Work | None = None  # set before the workers fork, so they inherit it
_WORKER_STORE: Store | None = None  # each worker's own connection


def _open_store() -> None:
    global _WORKER_STORE
    assert _WORK is not None
    # Ctrl-C is the parent's to handle: it stops the pool, whose workers then end quietly
    # (SIGTERM), instead of each printing its own KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_STORE = _WORK.reopen()


def _settle_chunk(groups: list[tuple[str, list[ReminderTrack]]]) -> _Outcome:
    assert _WORK is not None and _WORKER_STORE is not None
    return _settle(_WORK.decider, _WORKER_STORE, groups, _WORK.dry_run)


def _in_workers(
    work: _Work, groups: list[tuple[str, list[ReminderTrack]]], workers: int
) -> Iterator[_Outcome]:
    """Whole clients to each worker; their outcomes (rows, not emails) come back."""
    global _WORK
    _WORK = work
    try:
        size = max(16, len(groups) // (workers * 8))
        chunks = [groups[i : i + size] for i in range(0, len(groups), size)]
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_open_store) as pool:
            yield from pool.imap_unordered(_settle_chunk, chunks)
    finally:
        _WORK = None


@dataclass
class _Decider:
    snapshots: Snapshots
    theme: Theme
    today: date
    secret: str

    def client(
        self, client_id: str, tracks: list[ReminderTrack], store: PaymentSource, out: _Decided
    ) -> None:
        """Decide every due track of one client, from one read of its snapshot."""
        today, day = self.today, self.today.isoformat()
        wanted = {t.invoice for t in tracks}
        # only the invoices with a reminder due: the rest of the account is not needed
        bundle = self.snapshots.load(client_id, only=wanted)
        if bundle is None:
            out.problems.append(f"{client_id}: no snapshot in the build; run `portal build`")
            out.moves.extend(_later(tracks, today))  # looked at again on its next reminder day
            return
        priced = with_store_payments(bundle, store)  # type: ignore[arg-type]
        try:
            by_number = {a.invoice.number: a for a in accounts(priced, today)}
        except AccountErrors as exc:
            out.problems.append(f"{client_id}: {exc}")
            out.moves.extend(_later(tracks, today))
            return
        token = client_token(self.secret, client_id, bundle.client.token_version)
        automatic = _automatic(store, priced, by_number.values(), client_id, today)
        for track in tracks:
            account = by_number.get(track.invoice)
            entry = _entry(account, track.instalment)
            if account is None or entry is None:  # no longer issued, or its plan changed
                out.moves.append(TrackMove(track.invoice, track.instalment, day, None))
                continue
            due, status, amount_due = entry
            st = account.statement
            settled = status in SETTLED or amount_due <= 0
            decision = decide(
                cadence_from_text(track.cadence),
                due,
                st.issued,
                today,
                status=status,
                amount_due=amount_due,
                last_offset=track.last_offset,
                payment_pending=settled and _pending(store, track.invoice),
            )
            next_date = None if decision.next_date is None else decision.next_date.isoformat()
            replaced = (  # by the pre-charge notice and the charge itself (functions/autopay)
                decision.step is not None
                and decision.step.offset <= 0
                and (track.invoice, track.instalment) in automatic
            )
            if decision.action != "send" or decision.step is None or replaced:
                out.moves.append(TrackMove(track.invoice, track.instalment, day, next_date))
                continue
            step = decision.step
            last = None if track.last_sent is None else date.fromisoformat(track.last_sent)
            mail = reminder_mail(
                priced, account, track.instalment, step, today, token, self.theme, last_sent=last
            )
            key = reminder_key(track.invoice, track.instalment, step.name)
            reminder = Reminder(
                invoice=track.invoice,
                instalment=track.instalment,
                step=step.name,
                offset=step.offset,
                day=day,
                # "invoice" and "subject" beside the mail: what `portal status` shows of an
                # email that keeps failing
                email=OutboxItem(
                    key=key,
                    kind="email",
                    payload={
                        "mail": mail.as_payload(),
                        "invoice": track.invoice,
                        "subject": mail.subject,
                    },
                ),
                next_date=next_date,
            )
            contacts = bundle.client.contacts
            row = ReminderRow(
                invoice=track.invoice,
                instalment=track.instalment,
                step=step.name,
                tone=step.tone,
                client=client_id,
                locale=bundle.locale,
                to=tuple(c.email for c in contacts if c.role == "billing"),
                cc=tuple(
                    c.email for c in contacts if step.cc_leadership and c.role == "leadership"
                ),
                amount_due=format_money(amount_due, st.currency, bundle.locale),
                subject=mail.subject,
                key=key,
            )
            out.reminders.append((reminder, row))


def _entry(account: Account | None, instalment: int) -> tuple[date, str, int] | None:
    """(due, status, amount due today) of the track's entry; None if it has none."""
    if account is None:
        return None
    st = account.statement
    if instalment == 0:
        return (st.due, st.status, st.amount_due) if len(st.entries) == 1 else None
    entry = next((e for e in st.entries if e.n == instalment), None)
    if entry is None or len(st.entries) == 1:
        return None
    # the invoice's own status wins where it stops everything (void, disputed)
    status = st.status if st.status in SETTLED else entry.status
    return entry.due, status, entry.amount_due


def _automatic(
    store: PaymentSource, bundle: ClientBundle, figures: Iterable[Account], client: str, today: date
) -> set[tuple[str, int]]:
    """The client's parts an automatic charge takes care of today: no "due soon" or due-day
    reminder for them (``functions/autopay/charges.py``); after a failed charge, or with
    autopay off, none, and ordinary reminders go on."""
    method = getattr(store, "method", None)  # a store; a bare payment source has no autopay
    record = method(client) if callable(method) else None
    if record is None:
        return set()
    from functions.autopay.charges import automatic_parts

    return automatic_parts(bundle, figures, record, store.charges(client), today)  # type: ignore[attr-defined]


def _pending(payments: PaymentSource, invoice: str) -> bool:
    """A bank debit still settling counts as paid, but may yet fail and reopen the invoice."""
    return any(p.status == "pending" for p in payments.payments(invoice))


def _later(tracks: Iterable[ReminderTrack], today: date) -> list[TrackMove]:
    moves = []
    for track in tracks:
        upcoming = next_after(
            cadence_from_text(track.cadence),
            date.fromisoformat(track.due),
            date.fromisoformat(track.issued),
            today,
        )
        retry = upcoming or today + timedelta(days=1)
        moves.append(TrackMove(track.invoice, track.instalment, today.isoformat(), str(retry)))
    return moves


def still_wanted(key: str, store: Store, snapshots: Snapshots, today: date) -> bool:
    """Whether a queued reminder should still go out: for the outbox drain's email handler.

    A reminder waits in the outbox while the mail server is down; if a payment (or a
    dispute) was recorded meanwhile, sending it would ask for money already paid. The
    key is ``reminder:<invoice>:<instalment>:<step>``; anything else is always wanted.
    """
    kind, _, rest = key.partition(":")
    invoice, _, tail = rest.partition(":")
    instalment = tail.partition(":")[0]
    if kind != "reminder" or not invoice or not instalment.isdigit():
        return True
    entry = store.invoice(invoice)
    bundle = snapshots.load(entry["client"], only={invoice}) if entry else None
    if bundle is None:
        return True  # nothing known better than when it was decided
    try:
        priced = accounts(with_store_payments(bundle, store), today)
    except AccountErrors:
        return True
    figures = _entry(priced[0] if priced else None, int(instalment))
    if figures is None:
        return False
    _, status, amount_due = figures
    return status not in SETTLED and amount_due > 0


def remind_job(services: Services) -> dict[str, Any]:
    """The scheduled job on AWS (``{"job": "remind"}``): today's automatic charges, then
    today's reminders (which leave out the parts charged), in the agency's day."""
    from functions.autopay.charges import run as run_charges
    from functions.autopay.stripe_api import StripeObjects

    stripe = services.sessions if isinstance(services.sessions, StripeObjects) else None
    charges = run_charges(
        services.store,
        services.snapshots,
        _theme(),
        services.day(),
        secret=services.portal_secret,
        stripe=stripe,
    )
    report = run(
        services.store,
        services.snapshots,
        _theme(),
        services.day(),
        secret=services.portal_secret,
    )
    report.problems[:0] = charges.problems
    return {
        "autopay": charges.summary(),
        "job": "remind",
        "day": report.day.isoformat(),
        "queued": len(report.sent),
        "already": len(report.already),
        "statements": len(report.statements),
        "looked_at": report.looked_at,
        "problems": report.problems[:20],
    }


@cache
def _theme() -> Theme:
    return Theme()
