"""The daily automatic charges: each due invoice part charged off-session once, never twice.

Run by the daily job before the reminders (``{"job": "remind"}`` on AWS, ``portal remind``
locally), for each client on autopay (``Store.methods``):

1. The client's snapshot is priced with the store's payments (``with_store_payments``), as
   the reminders are, and the rules (``site_builder.billing.autopay.planned_charges``) give
   each part still owed with its charge day; ``decide`` (pure) says what today brings for it:
   the pre-charge notice, an attempt (the first on the charge day, the retries on the
   ``retry_days``), the follow-up of a failed one, or nothing.
2. An attempt is claimed in the store (``Store.claim_charge``) under ``(invoice, n,
   attempt)`` BEFORE Stripe is called, then Stripe is called with the idempotency key
   ``autopay:<invoice>:<n>:<attempt>``, at the amount the rules give today
   (``amount_due_on``). A second run, or a second process, finds the claim and moves on.
3. What Stripe answered is recorded: the payment (``payments.plan_autopay``, the same
   ``Change`` a Checkout payment makes: receipt number, receipt email, re-publish) or the
   failure's follow-up (the email with the reason and the next retry; after the last retry,
   the method detached and dropped and the client told), and then the attempt's result.

Never twice: a run killed between the claim and the result leaves a claim with no result;
after ``LEASE`` a later run the same day takes it again and calls Stripe with the same key,
which answers what it answered the first time (one PaymentIntent), and records that. A claim
left from an earlier day is not taken again (Stripe forgets idempotency keys after 24 hours):
it is listed for a person, who looks it up at Stripe. The webhook records the same payment
by its PaymentIntent id, so the two paths meet in one record and one receipt.

Never at all: a client whose autopay is off (no method in the store, read again before each
attempt), an invoice that is paid (a bank debit settling included), void, a draft or
disputed, an amount of zero or less, a part whose charge day was before the client turned
autopay on (it was due already: the portal and the reminders ask for it).

A bulkhead per client, as the reminders': whatever one client's charges raise is recorded
as a review and the others are charged as usual.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from functions.autopay.mail import failed_mail, notice_mail
from functions.autopay.stripe_api import StripeObjects
from functions.mailer import Mail
from functions.methods import method_of
from functions.payments import plan_autopay
from functions.recorded import with_store_payments
from functions.snapshots import Snapshots
from functions.store.base import Change, ChargeAttempt, OutboxItem, Store
from site_builder.autopay_words import method_name
from site_builder.billing.autopay import (
    AutopayPolicy,
    Charge,
    amount_due_on,
    attempt_days,
    autopay_policy,
    planned_charges,
)
from site_builder.bundle import Account, ClientBundle, accounts
from site_builder.formatting import format_money
from site_builder.model import SavedMethod
from site_builder.money import stripe_problem, to_stripe
from site_builder.render import Theme
from site_builder.tokens import client_token

log = logging.getLogger(__name__)

LEASE = 600.0  # seconds a claim is a run's own; after it, a run the same day may take it again
# A retry is never pointless to try except this one: only the client can confirm the payment
AUTHENTICATION_REQUIRED = "authentication_required"
ERROR_CHARS = 300
FAILED = "automatic charges not prepared"


def idempotency_key(invoice: str, instalment: int, attempt: int) -> str:
    return f"autopay:{invoice}:{instalment}:{attempt}"


def notice_key(invoice: str, instalment: int, day: date) -> str:
    return f"autopay-notice:{invoice}:{instalment}:{day.isoformat()}"


def failure_key(invoice: str, instalment: int, attempt: int) -> str:
    return f"autopay-failed:{invoice}:{instalment}:{attempt}"


# --- the decision: pure ------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What today brings for one planned part."""

    notice: bool = False  # queue the pre-charge notice (once: its outbox key)
    attempt: int | None = None  # the attempt to make today
    follow_up: ChargeAttempt | None = None  # a failed attempt whose email is not queued yet
    automatic: bool = False  # on autopay: its before-due and due-day reminders are replaced


def method_since(record: Mapping[str, Any]) -> date | None:
    """The day the client's method was saved (the store's ``since``), if it can be read."""
    since = record.get("since")
    try:
        if isinstance(since, int | float):
            return datetime.fromtimestamp(since).date()
        return date.fromisoformat(str(since)[:10])
    except (TypeError, ValueError, OverflowError):
        return None


def decide(
    charge: Charge,
    policy: AutopayPolicy,
    attempts: Sequence[ChargeAttempt],
    today: date,
    since: date | None,
) -> Plan:
    """What today brings for ``charge`` given its attempts so far (all of its part).

    - charge day before the method was saved, and no attempt yet: nothing automatic (it was
      due already);
    - an attempt succeeded or is processing, or one is claimed: nothing more;
    - no attempt yet: the notice from ``notice_days`` before the charge day up to the day,
      the first attempt from the charge day;
    - the last attempt failed: its follow-up if not queued; the next attempt on its retry
      day (never the same day as the last), none after ``authentication_required`` or the
      last retry. Reminders resume for the part the day after a failure.
    """
    if not policy.offered:
        return Plan()
    mine = sorted(
        (a for a in attempts if a.invoice == charge.invoice and a.instalment == _n(charge)),
        key=lambda a: a.attempt,
    )
    if not mine and since is not None and charge.day < since:
        return Plan()  # (a part tried already goes on with a method saved since: retried)
    if any(a.state in ("succeeded", "processing", "claimed") for a in mine):
        return Plan(automatic=True)
    failed = [a for a in mine if a.state == "failed"]
    if not failed:
        notice = charge.day - timedelta(days=policy.notice_days) <= today <= charge.day
        return Plan(notice=notice, attempt=1 if today >= charge.day else None, automatic=True)
    last = failed[-1]
    follow_up = None if last.notified else last
    days = attempt_days(charge.day, policy)
    # the failure's email of today stands for today's reminder; from tomorrow they resume
    automatic = last.day == today.isoformat()
    if last.reason == AUTHENTICATION_REQUIRED or last.attempt >= len(days):
        return Plan(follow_up=follow_up, automatic=automatic)
    due = max(days[last.attempt], date.fromisoformat(last.day) + timedelta(days=1))
    attempt = last.attempt + 1 if today >= due else None
    return Plan(attempt=attempt, follow_up=follow_up, automatic=automatic)


def next_retry(
    charge_day: date, policy: AutopayPolicy, attempt: int, reason: str | None
) -> date | None:
    """The day the part is tried again after ``attempt`` failed; None when it is not."""
    days = attempt_days(charge_day, policy)
    if reason == AUTHENTICATION_REQUIRED or attempt >= len(days):
        return None
    return days[attempt]


def automatic_parts(
    bundle: ClientBundle,
    figures: Iterable[Account],
    record: Mapping[str, Any] | None,
    attempts: Sequence[ChargeAttempt],
    today: date,
) -> set[tuple[str, int]]:
    """The parts (invoice, n or 0) whose before-due and due-day reminders the automatic
    charge replaces today: what the reminders job leaves out."""
    if record is None:
        return set()
    policy = autopay_policy(bundle.agency, bundle.client)
    since = method_since(record)
    return {
        (c.invoice, _n(c))
        for account in figures
        for c in planned_charges(account, policy)
        if decide(c, policy, attempts, today, since).automatic
    }


def _n(charge: Charge) -> int:
    return charge.instalment or 0


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeRow:
    """One automatic charge (or notice) of a run, for the report and the dry-run table."""

    client: str
    invoice: str
    instalment: int
    attempt: int
    amount: str  # as the client reads it
    method: str  # "Visa •••• 4242"
    outcome: str  # charged, processing, failed, would charge, notice, in progress, off
    reason: str | None = None
    payment_intent: str | None = None


@dataclass
class ChargeReport:
    day: date
    dry_run: bool = False
    clients: int = 0  # on autopay
    charged: list[ChargeRow] = field(default_factory=list)  # succeeded (dry: would be charged)
    processing: list[ChargeRow] = field(default_factory=list)  # bank debits, settling
    failed: list[ChargeRow] = field(default_factory=list)
    notices: list[ChargeRow] = field(default_factory=list)  # pre-charge emails queued
    turned_off: list[str] = field(default_factory=list)  # clients whose method was dropped
    already: int = 0  # claimed by another run
    problems: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """Every row, for ``portal remind --format json``."""
        rows = {
            name: [asdict(r) for r in getattr(self, name)]
            for name in ("charged", "processing", "failed", "notices")
        }
        return {**self.summary(), **rows, "turned_off_clients": self.turned_off}

    def summary(self) -> dict[str, Any]:
        return {
            "on_autopay": self.clients,
            "charged": len(self.charged),
            "processing": len(self.processing),
            "failed": len(self.failed),
            "notices": len(self.notices),
            "turned_off": len(self.turned_off),
            "already": self.already,
        }


def run(
    store: Store,
    snapshots: Snapshots,
    theme: Theme,
    today: date,
    *,
    secret: str,
    stripe: StripeObjects | None,
    dry_run: bool = False,
    now: Callable[[], float] = time.time,
) -> ChargeReport:
    """Charge what is due on ``today`` (``dry_run``: list it, charge and queue nothing)."""
    report = ChargeReport(today, dry_run)
    records = store.methods()
    report.clients = len(records)
    if records and stripe is None and not dry_run:
        report.problems.append("automatic charges skipped: no Stripe client configured")
        return report
    for record in records:
        client = str(record["client"])
        try:
            _Client(store, snapshots, theme, today, secret, stripe, dry_run, now, report).run(
                record
            )
        except Exception as exc:  # this client's data; the others are charged as usual
            error = _one_line(exc)
            report.problems.append(f"{client}: {FAILED} ({error}); tried again on the next run")
            if not dry_run:
                store.apply(_review(client, error, today))
    return report


@dataclass
class _Client:
    store: Store
    snapshots: Snapshots
    theme: Theme
    today: date
    secret: str
    stripe: StripeObjects | None
    dry_run: bool
    now: Callable[[], float]
    report: ChargeReport

    def run(self, record: Mapping[str, Any]) -> None:
        client = str(record["client"])
        bundle = self.snapshots.load(client)
        if bundle is None:
            self.report.problems.append(f"{client}: no snapshot in the build; run `portal build`")
            return
        self.bundle, self.record = bundle, record
        self.policy = autopay_policy(bundle.agency, bundle.client)
        self.method = SavedMethod(
            type=str(record.get("type") or "card"),
            brand=record.get("brand"),
            last4=str(record.get("last4") or "????"),
            customer=record.get("customer"),
            id=record.get("payment_method"),
        )
        self.words = method_name(self.theme.translations(bundle.locale), self.method)
        self.token = client_token(self.secret, client, bundle.client.token_version)
        attempts = self.store.charges(client)
        self.priced = with_store_payments(bundle, self.store)
        self._resume(attempts)
        since = method_since(record)
        for account in accounts(self.priced, self.today):
            for charge in planned_charges(account, self.policy):
                plan = decide(charge, self.policy, attempts, self.today, since)
                if plan.follow_up is not None:
                    self._follow_up(account, charge, plan.follow_up)
                if plan.notice:
                    self._notice(account, charge)
                if plan.attempt is not None:
                    self._attempt(account, charge, plan.attempt)

    # --- the steps ---------------------------------------------------------------------

    def _row(self, a: ChargeAttempt, outcome: str, reason: str | None = None) -> ChargeRow:
        return ChargeRow(
            client=a.client,
            invoice=a.invoice,
            instalment=a.instalment,
            attempt=a.attempt,
            amount=format_money(a.amount, a.currency, self.bundle.locale),
            method=self.words,
            outcome=outcome,
            reason=reason,
            payment_intent=a.payment_intent,
        )

    def _notice(self, account: Account, charge: Charge) -> None:
        key = notice_key(charge.invoice, _n(charge), charge.day)
        row = ChargeRow(
            client=self.bundle.client.id,
            invoice=charge.invoice,
            instalment=_n(charge),
            attempt=0,
            amount=format_money(charge.amount, charge.currency, self.bundle.locale),
            method=self.words,
            outcome="notice",
        )
        if self.dry_run:
            self.report.notices.append(row)
            return
        mail = notice_mail(
            self.priced, account, charge, self.words, self.token, self.theme, key=key
        )
        if self.store.apply(Change(event_id=key, outbox=[_email(mail, charge.invoice, key)])):
            self.report.notices.append(row)

    def _attempt(self, account: Account, charge: Charge, number: int) -> None:
        amount = amount_due_on(account, charge.instalment, self.today)
        if amount <= 0:
            return
        attempt = ChargeAttempt(
            invoice=charge.invoice,
            instalment=_n(charge),
            attempt=number,
            client=self.bundle.client.id,
            amount=amount,
            currency=charge.currency,
            day=self.today.isoformat(),
            charge_day=charge.day.isoformat(),
            payment_method=str(self.record["payment_method"]),
        )
        if (problem := stripe_problem(amount, charge.currency)) is not None:
            self.report.problems.append(f"{charge.invoice}: not charged automatically: {problem}")
            return
        if self.dry_run:
            self.report.charged.append(self._row(attempt, "would charge"))
            return
        # autopay turned off since the run began (the portal's "off", another run giving up)
        current = self.store.method(attempt.client)
        if current is None or current.get("payment_method") != attempt.payment_method:
            return
        if not self.store.claim_charge(attempt, self.now(), LEASE):
            self.report.already += 1
            return
        self._charge(attempt, account, charge)

    def _resume(self, attempts: Sequence[ChargeAttempt]) -> None:
        """Claims of today whose run died before the result: taken again after the lease and
        asked of Stripe with the same key (which answers as it did); earlier days' are listed."""
        for a in attempts:
            if a.state != "claimed":
                continue
            if a.day != self.today.isoformat():
                self.report.problems.append(
                    f"{a.invoice}: automatic charge attempt {a.attempt} of {a.day} has no "
                    f"result; look for PaymentIntents with key "
                    f"{idempotency_key(a.invoice, a.instalment, a.attempt)} at Stripe"
                )
                continue
            if self.dry_run or a.claimed_at > self.now() - LEASE:
                continue  # another run's, still in its hands
            if self.store.claim_charge(a, self.now(), LEASE):
                self._charge(a, None, None)

    def _charge(
        self, attempt: ChargeAttempt, account: Account | None, charge: Charge | None
    ) -> None:
        assert self.stripe is not None
        customer = self.record.get("customer") or self.store.customer(attempt.client)
        outcome = call_stripe(self.stripe, attempt, str(customer))
        if outcome is None:  # Stripe not reached: the claim stays, a run after the lease retries
            self.report.problems.append(
                f"{attempt.invoice}: Stripe could not be reached for the automatic charge; "
                "tried again by a later run today"
            )
            return
        done = replace(attempt, payment_intent=outcome.payment_intent, reason=outcome.reason)
        if outcome.state in ("succeeded", "processing"):
            intent = {
                "id": outcome.payment_intent,
                "amount": to_stripe(attempt.amount, attempt.currency),
                "currency": attempt.currency.lower(),
                "metadata": metadata(attempt),
            }
            method = method_of(self.method.type)
            self.store.apply(
                plan_autopay(
                    idempotency_key(attempt.invoice, attempt.instalment, attempt.attempt),
                    intent,
                    None,
                    self.today.isoformat(),
                    method=method,
                    succeeded=outcome.state == "succeeded",
                    saved=self.record,  # the method charged, named on the receipt
                )
            )
            done = replace(done, state=outcome.state, notified=True)
            self.store.charge_result(done)
            rows = self.report.charged if outcome.state == "succeeded" else self.report.processing
            rows.append(
                self._row(done, "charged" if outcome.state == "succeeded" else "processing")
            )
            return
        done = replace(done, state="failed")
        self.store.charge_result(done)
        self.report.failed.append(self._row(done, "failed", outcome.reason))
        if account is None or charge is None:
            account, charge = self._part(done)
        if account is not None and charge is not None:
            self._follow_up(account, charge, done)

    def _part(self, a: ChargeAttempt) -> tuple[Account | None, Charge | None]:
        for account in accounts(self.priced, self.today):
            if account.invoice.number != a.invoice:
                continue
            for charge in planned_charges(account, self.policy):
                if _n(charge) == a.instalment:
                    return account, charge
        return None, None

    def _follow_up(self, account: Account, charge: Charge, failed: ChargeAttempt) -> None:
        """The failure's email (the reason, the next retry or none, the pay link); after the
        last retry, the method dropped and detached and the client's pages re-published."""
        if self.dry_run:
            return
        retry = next_retry(charge.day, self.policy, failed.attempt, failed.reason)
        final = False
        if retry is None and failed.reason != AUTHENTICATION_REQUIRED:
            # the method that kept failing is dropped; one the client saved since stays
            current = self.store.method(failed.client)
            final = current is None or current.get("payment_method") == failed.payment_method
        key = failure_key(failed.invoice, failed.instalment, failed.attempt)
        mail = failed_mail(
            self.priced,
            account,
            failed,
            self.words,
            retry,
            self.token,
            self.theme,
            key=key,
            turned_off=final,
        )
        outbox = [_email(mail, failed.invoice, key)]
        if final:
            client = failed.client
            outbox.append(
                OutboxItem(
                    key=f"publish:{client}:{key}", kind="publish", payload={"client": client}
                )
            )
            dropped = self.store.drop_method(
                client,
                f"charge failed: {failed.reason}",
                self.today.isoformat(),
                failed.payment_method,
            )
            if dropped is not None:
                self.report.turned_off.append(client)
                self._detach(failed.payment_method)
        self.store.apply(Change(event_id=key, outbox=outbox))
        self.store.charge_result(replace(failed, notified=True))

    def _detach(self, payment_method: str) -> None:
        try:
            assert self.stripe is not None
            self.stripe.detach_payment_method(payment_method)
        except Exception as exc:  # off in the store is what stops charges; Stripe's is tidiness
            self.report.problems.append(f"{payment_method} not detached at Stripe: {exc}")


# --- Stripe ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    state: str  # succeeded, processing, failed
    payment_intent: str | None
    reason: str | None = None


def metadata(a: ChargeAttempt) -> dict[str, str]:
    return {
        "invoice": a.invoice,
        "client": a.client,
        "instalment": str(a.instalment or ""),
        "amount": str(a.amount),  # our minor units: the webhook checks Stripe's against it
        "autopay": str(a.attempt),
        "charge_day": a.charge_day,
    }


def call_stripe(stripe: StripeObjects, a: ChargeAttempt, customer: str) -> Outcome | None:
    """One off-session PaymentIntent for the attempt; None when Stripe was not reached (or
    answered with its own trouble): the attempt then has no result yet."""
    import stripe as sdk  # the errors only; the job pays for the SDK only when it charges

    params = {
        "amount": to_stripe(a.amount, a.currency),
        "currency": a.currency.lower(),
        "customer": customer,
        "payment_method": a.payment_method,
        "off_session": True,
        "confirm": True,
        "metadata": metadata(a),
    }
    options = {"idempotency_key": idempotency_key(a.invoice, a.instalment, a.attempt)}
    try:
        intent = _plain(stripe.create_payment_intent(params, options))
    except sdk.CardError as exc:
        error = _plain(getattr(exc, "error", None) or {})
        failed = _plain(error.get("payment_intent") or {})
        reason = error.get("decline_code") or error.get("code") or getattr(exc, "code", None)
        return Outcome("failed", failed.get("id"), str(reason or "card_declined"))
    except sdk.InvalidRequestError as exc:  # a method detached meanwhile, a currency refused
        return Outcome("failed", None, str(getattr(exc, "code", None) or "invalid_request"))
    except (sdk.APIConnectionError, sdk.RateLimitError, sdk.APIError) as exc:
        log.warning("automatic charge %s: Stripe not reached: %s", options, exc)
        return None
    status = intent.get("status")
    if status in ("succeeded", "processing"):
        return Outcome(str(status), intent.get("id"))
    last_error = _plain(intent.get("last_payment_error") or {})
    reason = last_error.get("decline_code") or last_error.get("code") or status
    return Outcome("failed", intent.get("id"), str(reason))


def _plain(value: Any) -> dict[str, Any]:
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    return dict(value) if isinstance(value, Mapping) else {}


# --- the store's records ---------------------------------------------------------------------


def _email(mail: Mail, invoice: str, key: str) -> OutboxItem:
    # "invoice" and "subject" beside the mail: what `portal status` shows of a failing email
    return OutboxItem(
        key=key,
        kind="email",
        payload={"mail": mail.as_payload(), "invoice": invoice, "subject": mail.subject},
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def _review(client: str, error: str, today: date) -> Change:
    fingerprint = hashlib.sha256(error.encode()).hexdigest()[:16]
    return Change(
        event_id=f"autopay:{client}:{fingerprint}",
        reviews=[
            {
                "problem": f"{FAILED} for client {client} ({error})",
                "client": client,
                "error": error,
                "day": today.isoformat(),
            }
        ],
    )
