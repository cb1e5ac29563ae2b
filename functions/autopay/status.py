"""Automatic payments for ``portal status``: who is on them, what is charged next, what failed.

Read from the store (saved methods, charge attempts) and the build's snapshots priced with
the store's payments, through the same rules and the same decision the daily job makes
(``charges.decide``), so the agency sees the charges the job will make, at the rules' amounts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from functions.autopay.charges import decide, method_since, next_retry
from functions.autopay.mail import reason_words
from functions.recorded import with_store_payments
from functions.snapshots import Snapshots
from functions.store.base import Store
from site_builder.autopay_words import method_name
from site_builder.billing.autopay import amount_due_on, autopay_policy, planned_charges
from site_builder.bundle import accounts
from site_builder.formatting import format_money
from site_builder.model import SavedMethod
from site_builder.render import Theme

HORIZON_DAYS = 14  # upcoming charges shown: the next two weeks
# failures of clients no longer on autopay (turned off after the last retry, or by the
# client) stay listed this long: the agency learns why, and that it is now the reminders' job
RECENT_DAYS = 30


@dataclass(frozen=True)
class OnAutopay:
    client: str
    method: str  # "Visa •••• 4242"
    since: str | None


@dataclass(frozen=True)
class Upcoming:
    day: str  # YYYY-MM-DD: the attempt's day
    client: str
    invoice: str
    instalment: int  # 0: the whole invoice
    attempt: int
    amount: int  # minor units: the rules' figure for that day
    currency: str
    shown: str  # the amount as the client's locale writes it
    method: str


@dataclass(frozen=True)
class Failure:
    client: str
    invoice: str
    instalment: int
    attempt: int
    day: str
    reason: str  # in words
    code: str | None  # Stripe's
    next_retry: str | None  # YYYY-MM-DD, None: no more automatic attempts


@dataclass
class AutopayStatus:
    on: list[OnAutopay] = field(default_factory=list)
    upcoming: list[Upcoming] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "on_autopay": [asdict(o) for o in self.on],
            "upcoming": [asdict(u) for u in self.upcoming],
            "failures": [asdict(f) for f in self.failures],
            "problems": self.problems,
        }


def autopay_status(
    store: Store, snapshots: Snapshots, today: date, theme: Theme | None = None
) -> AutopayStatus:
    theme = theme or Theme()
    words = theme.translations("en")
    status = AutopayStatus()
    end = today + timedelta(days=HORIZON_DAYS)
    for record in store.methods():
        client = str(record["client"])
        saved = SavedMethod(
            type=str(record.get("type") or "card"),
            brand=record.get("brand"),
            last4=str(record.get("last4") or "????"),
        )
        status.on.append(OnAutopay(client, method_name(words, saved), record.get("since")))
        bundle = snapshots.load(client)
        if bundle is None:
            status.problems.append(f"{client}: no snapshot in the build; run `portal build`")
            continue
        try:
            policy = autopay_policy(bundle.agency, bundle.client)
            attempts = store.charges(client)
            since = method_since(record)
            figures = accounts(with_store_payments(bundle, store), today)
        except Exception as exc:  # one client's data: the others are still shown
            status.problems.append(f"{client}: {type(exc).__name__}: {exc}")
            continue
        method = method_name(theme.translations(bundle.locale), saved)
        for account in figures:
            for charge in planned_charges(account, policy):
                n = charge.instalment or 0
                mine = [a for a in attempts if (a.invoice, a.instalment) == (charge.invoice, n)]
                failed = [a for a in mine if a.state == "failed"]
                if failed:
                    last = failed[-1]
                    retry = next_retry(charge.day, policy, last.attempt, last.reason)
                    status.failures.append(
                        Failure(
                            client,
                            charge.invoice,
                            n,
                            last.attempt,
                            last.day,
                            reason_words(words, last.reason).rstrip("."),
                            last.reason,
                            None if retry is None else retry.isoformat(),
                        )
                    )
                plan = decide(charge, policy, attempts, today, since)
                if not plan.automatic and not failed:
                    continue  # due before the client turned autopay on: not the job's
                if failed:
                    retry = next_retry(charge.day, policy, failed[-1].attempt, failed[-1].reason)
                    when, number = retry, failed[-1].attempt + 1
                elif any(a.state != "failed" for a in mine):
                    continue  # charged, settling or in a run's hands
                else:
                    when, number = max(charge.day, today), 1
                if when is None or when > end:
                    continue
                amount = amount_due_on(account, charge.instalment, when)  # fees by a retry day
                status.upcoming.append(
                    Upcoming(
                        when.isoformat(),
                        client,
                        charge.invoice,
                        n,
                        number,
                        amount,
                        charge.currency,
                        format_money(amount, charge.currency, bundle.locale),
                        method,
                    )
                )
    status.failures.extend(_off_since_failing(store, {o.client for o in status.on}, today, words))
    status.upcoming.sort(key=lambda u: (u.day, u.client, u.invoice, u.instalment))
    status.failures.sort(key=lambda f: (f.client, f.invoice, f.instalment))
    return status


def _off_since_failing(store: Store, on: set[str], today: date, words: Any) -> list[Failure]:
    """The last failed attempt of each part of clients no longer on autopay, from the last
    ``RECENT_DAYS``: with no next attempt (nothing will be charged automatically)."""
    recent = (today - timedelta(days=RECENT_DAYS)).isoformat()
    last: dict[tuple[str, str, int], Failure] = {}
    for a in store.charges():  # ordered by invoice, instalment, attempt: the last one wins
        if a.client in on or a.state != "failed" or a.day < recent:
            continue
        reason = reason_words(words, a.reason).rstrip(".")
        last[a.client, a.invoice, a.instalment] = Failure(
            a.client, a.invoice, a.instalment, a.attempt, a.day, reason, a.reason, None
        )
    return list(last.values())
