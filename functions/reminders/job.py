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
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from functions.recorded import with_store_payments
from functions.reminders.mail import reminder_key, reminder_mail
from functions.snapshots import FolderSnapshots
from functions.store.base import OutboxItem, Reminder, ReminderTrack, Store, TrackMove
from site_builder.billing.reminders import SETTLED, cadence_from_text, decide, next_after
from site_builder.bundle import Account, AccountErrors, accounts
from site_builder.formatting import format_money
from site_builder.render import Theme
from site_builder.tokens import client_token

BATCH = 200  # reminders per store transaction: short write locks, few commits


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
    seconds: float = 0.0


def run(
    store: Store,
    snapshots: FolderSnapshots,
    theme: Theme,
    today: date,
    *,
    secret: str,
    dry_run: bool = False,
) -> RemindReport:
    """Decide and record the reminders due on ``today``; ``dry_run`` decides only."""
    started = time.perf_counter()
    report = RemindReport(today, dry_run)
    tracks = store.reminders_due(today.isoformat())
    report.looked_at = len(tracks)
    job = _Run(store, snapshots, theme, today, secret, report)
    for client_id, group in groupby(tracks, key=lambda t: t.client):
        job.client(client_id, list(group))
    decided, moves = job.decided, job.moves

    for move in moves:
        if move.next_date is None:
            report.closed += 1
        else:
            report.waiting += 1
    if dry_run:
        report.sent = [row for _, row in decided]
    else:
        for start in range(0, len(decided), BATCH):
            batch = decided[start : start + BATCH]
            recorded = store.record_reminders([reminder for reminder, _ in batch])
            for (_, row), ok in zip(batch, recorded, strict=True):
                (report.sent if ok else report.already).append(row)
        store.move_reminders(moves)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Run:
    store: Store
    snapshots: FolderSnapshots
    theme: Theme
    today: date
    secret: str
    report: RemindReport
    decided: list[tuple[Reminder, ReminderRow]] = field(default_factory=list)
    moves: list[TrackMove] = field(default_factory=list)

    def client(self, client_id: str, tracks: list[ReminderTrack]) -> None:
        """Decide every due track of one client, from one read of its snapshot."""
        today, day = self.today, self.today.isoformat()
        wanted = {t.invoice for t in tracks}
        # only the invoices with a reminder due: the rest of the account is not needed
        bundle = self.snapshots.load(client_id, only=wanted)
        if bundle is None:
            self.report.problems.append(
                f"{client_id}: no snapshot in the build; run `portal build`"
            )
            self.moves.extend(_later(tracks, today))  # looked at again on its next reminder day
            return
        priced = with_store_payments(bundle, self.store)
        try:
            by_number = {a.invoice.number: a for a in accounts(priced, today)}
        except AccountErrors as exc:
            self.report.problems.append(f"{client_id}: {exc}")
            self.moves.extend(_later(tracks, today))
            return
        token = client_token(self.secret, client_id, bundle.client.token_version)
        for track in tracks:
            account = by_number.get(track.invoice)
            entry = _entry(account, track.instalment)
            if account is None or entry is None:  # no longer issued, or its plan changed
                self.moves.append(TrackMove(track.invoice, track.instalment, day, None))
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
                payment_pending=settled and _pending(self.store, track.invoice),
            )
            next_date = None if decision.next_date is None else decision.next_date.isoformat()
            if decision.action != "send" or decision.step is None:
                self.moves.append(TrackMove(track.invoice, track.instalment, day, next_date))
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
                email=OutboxItem(key=key, kind="email", payload={"mail": mail.as_payload()}),
                next_date=next_date,
            )
            row = ReminderRow(
                invoice=track.invoice,
                instalment=track.instalment,
                step=step.name,
                tone=step.tone,
                client=client_id,
                locale=bundle.locale,
                to=tuple(c.email for c in bundle.client.contacts if c.role == "billing"),
                cc=tuple(
                    c.email
                    for c in bundle.client.contacts
                    if step.cc_leadership and c.role == "leadership"
                ),
                amount_due=format_money(amount_due, st.currency, bundle.locale),
                subject=mail.subject,
                key=key,
            )
            self.decided.append((reminder, row))


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


def _pending(store: Store, invoice: str) -> bool:
    """A bank debit still settling counts as paid, but may yet fail and reopen the invoice."""
    return any(p.status == "pending" for p in store.payments(invoice))


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
