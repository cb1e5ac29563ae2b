"""The daily automatic charges' decisions: which attempt on which day, and what is never charged.

``decide`` is pure: a planned charge, the policy, the part's attempts so far and the day. The
run is driven here against a real SQLite store (in a temporary file) with a recording stand-in
for Stripe (what it was asked, and a scripted answer): the integration tests use the local
Stripe-compatible server over sockets.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe

from functions.autopay import charges
from functions.autopay.charges import Plan, decide, next_retry
from functions.store.base import ChargeAttempt
from functions.store.sqlite import SqliteStore
from site_builder.billing.autopay import AutopayPolicy, Charge
from site_builder.bundle import ClientBundle
from site_builder.model import Agency, Client, Invoice, Payment
from site_builder.render import Theme

DAY = date(2026, 3, 31)  # the charge day: the invoice's due date
ON = AutopayPolicy(mode="allowed", when="due", notice_days=3, retry_days=(3, 7))
CHARGE = Charge("INV-1", None, DAY, 100000, "USD")


def attempt(n: int, day: date, state: str = "failed", **fields: Any) -> ChargeAttempt:
    return ChargeAttempt(
        invoice="INV-1",
        instalment=0,
        attempt=n,
        client="acme",
        amount=100000,
        currency="USD",
        day=day.isoformat(),
        charge_day=DAY.isoformat(),
        payment_method="pm_1",
        state=state,  # type: ignore[arg-type]
        **fields,
    )


# --- decide: pure ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (DAY - timedelta(days=4), Plan(automatic=True)),
        (DAY - timedelta(days=3), Plan(notice=True, automatic=True)),
        (DAY - timedelta(days=1), Plan(notice=True, automatic=True)),
        (DAY, Plan(notice=True, attempt=1, automatic=True)),
        # a run missed on the day: charged on the next, without a notice naming a past day
        (DAY + timedelta(days=1), Plan(attempt=1, automatic=True)),
    ],
)
def test_before_any_attempt_the_notice_then_the_first_attempt(today: date, expected: Plan) -> None:
    assert decide(CHARGE, ON, [], today, since=None) == expected


def test_a_failed_first_attempt_is_retried_on_the_retry_days_then_no_more() -> None:
    first = attempt(1, DAY, reason="insufficient_funds", notified=True)
    assert decide(CHARGE, ON, [first], DAY, None) == Plan(automatic=True)  # today's email
    assert decide(CHARGE, ON, [first], DAY + timedelta(days=1), None) == Plan()
    assert decide(CHARGE, ON, [first], DAY + timedelta(days=2), None).attempt is None
    assert decide(CHARGE, ON, [first], DAY + timedelta(days=3), None).attempt == 2
    second = attempt(2, DAY + timedelta(days=3), reason="insufficient_funds", notified=True)
    assert decide(CHARGE, ON, [first, second], DAY + timedelta(days=6), None).attempt is None
    assert decide(CHARGE, ON, [first, second], DAY + timedelta(days=7), None).attempt == 3
    third = attempt(3, DAY + timedelta(days=7), reason="insufficient_funds", notified=True)
    for later in range(8, 40):
        plan = decide(CHARGE, ON, [first, second, third], DAY + timedelta(days=later), None)
        assert plan == Plan()  # no fourth attempt, and the reminders go on
    assert next_retry(DAY, ON, 1, "insufficient_funds") == DAY + timedelta(days=3)
    assert next_retry(DAY, ON, 2, "card_declined") == DAY + timedelta(days=7)
    assert next_retry(DAY, ON, 3, "card_declined") is None


def test_a_retry_is_never_made_the_day_of_a_late_attempt() -> None:
    late = attempt(1, DAY + timedelta(days=3), reason="card_declined", notified=True)
    assert decide(CHARGE, ON, [late], DAY + timedelta(days=3), None).attempt is None
    assert decide(CHARGE, ON, [late], DAY + timedelta(days=4), None).attempt == 2


def test_authentication_required_is_never_retried_automatically() -> None:
    first = attempt(1, DAY, reason="authentication_required")
    plan = decide(CHARGE, ON, [first], DAY + timedelta(days=3), None)
    assert plan.attempt is None and plan.follow_up == first  # its email, once
    assert next_retry(DAY, ON, 1, "authentication_required") is None


def test_a_failure_whose_email_is_not_queued_is_followed_up() -> None:
    first = attempt(1, DAY, reason="card_declined", notified=False)
    assert decide(CHARGE, ON, [first], DAY + timedelta(days=1), None).follow_up == first


@pytest.mark.parametrize("state", ["claimed", "succeeded", "processing"])
def test_nothing_more_while_an_attempt_is_claimed_settling_or_done(state: str) -> None:
    plan = decide(CHARGE, ON, [attempt(1, DAY, state)], DAY + timedelta(days=3), None)
    assert plan == Plan(automatic=True)


def test_a_part_due_before_the_client_turned_autopay_on_is_not_charged() -> None:
    assert decide(CHARGE, ON, [], DAY + timedelta(days=5), since=DAY + timedelta(days=1)) == Plan()
    assert decide(CHARGE, ON, [], DAY, since=DAY).attempt == 1


def test_mode_off_decides_nothing() -> None:
    assert decide(CHARGE, replace(ON, mode="off"), [], DAY, None) == Plan()


def test_another_part_s_attempts_do_not_count() -> None:
    other = replace(attempt(1, DAY, "succeeded"), instalment=2)
    assert decide(CHARGE, ON, [other], DAY, None).attempt == 1


# --- the run: what is charged, and what never is ----------------------------------------------


class Recorder:
    """Stands in for Stripe in this unit test: records each request, answers as scripted."""

    def __init__(self, answer: str = "succeeded") -> None:
        self.answer = answer
        self.created: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.detached: list[str] = []

    def create_payment_intent(self, params: dict[str, Any], options: dict[str, Any]) -> Any:
        self.created.append((params, options))
        pid = f"pi_{len(self.created)}"
        if self.answer == "declined":
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "payment_intent": {"id": pid, "status": "requires_payment_method"},
            }
            raise stripe.CardError(
                "Your card has insufficient funds.",
                None,
                "card_declined",
                json_body={"error": error},
            )
        return {"id": pid, "status": self.answer}

    def detach_payment_method(self, method: str) -> Any:
        self.detached.append(method)
        return {"id": method}


class Snapshots:
    def __init__(self, bundle: ClientBundle) -> None:
        self.bundle = bundle

    def load(self, client: str, only: Any = None) -> ClientBundle | None:
        return self.bundle if client == self.bundle.client.id else None


def bundle(
    *, mode: str = "allowed", invoice: dict[str, Any] | None = None, **more: Any
) -> ClientBundle:
    agency = Agency.model_validate(
        {
            "name": "Studio",
            "email": "billing@studio.example",
            "address": ["1 Road"],
            "portal_url": "https://portal.example",
            "api_url": "https://api.example",
            "terms": {"net_days": 30},
            "autopay": {"mode": mode},
        }
    )
    client = Client.model_validate(
        {
            "id": "acme",
            "name": "Acme",
            "contacts": [{"name": "Ann", "email": "ann@acme.example", "role": "billing"}],
        }
    )
    data = {
        "number": "INV-1",
        "client": "acme",
        "issued": "2026-03-01",
        "currency": "USD",
        "items": [{"description": "Work", "unit_price": "1000.00"}],
        **(invoice or {}),
    }
    return ClientBundle(
        agency=agency,
        client=client,
        invoices=[Invoice.model_validate(data)],
        payments=more.get("payments", []),
        notes=[],
    )


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.save_customer("acme", "cus_1")
    record = {"customer": "cus_1", "payment_method": "pm_1", "type": "card", "brand": "visa"}
    store.save_method("acme", {**record, "last4": "4242"}, "2026-03-01")
    return store


def run(
    store: SqliteStore, b: ClientBundle, day: date, stripe_api: Recorder, **kw: Any
) -> charges.ChargeReport:
    return charges.run(store, Snapshots(b), Theme(), day, secret="s" * 32, stripe=stripe_api, **kw)


def test_the_charge_day_charges_once_at_the_rules_amount(store: SqliteStore) -> None:
    stripe_api = Recorder()
    report = run(store, bundle(), DAY, stripe_api)
    assert [r.outcome for r in report.charged] == ["charged"]
    ((params, options),) = stripe_api.created
    assert params["amount"] == 100000 and params["currency"] == "usd"
    assert params["off_session"] is True and params["confirm"] is True
    assert params["customer"] == "cus_1" and params["payment_method"] == "pm_1"
    assert params["metadata"]["autopay"] == "1" and params["metadata"]["invoice"] == "INV-1"
    assert options == {"idempotency_key": "autopay:INV-1:0:1"}
    (payment,) = store.payments("INV-1")
    assert (payment.id, payment.status, payment.method) == ("pi_1", "succeeded", "card")
    assert payment.receipt is not None  # numbered as a Checkout payment is
    assert {i.key for i in store.unsent()} >= {"receipt:pi_1", "autopay-notice:INV-1:0:2026-03-31"}
    # the same day again, and the next: nothing more is asked of Stripe
    run(store, bundle(payments=[]), DAY, stripe_api)
    assert len(stripe_api.created) == 1


def test_a_dry_run_lists_the_charge_and_asks_nothing(store: SqliteStore) -> None:
    stripe_api = Recorder()
    report = run(store, bundle(), DAY, stripe_api, dry_run=True)
    assert [r.outcome for r in report.charged] == ["would charge"]
    assert stripe_api.created == [] and store.charges() == [] and store.unsent() == []


@pytest.mark.parametrize(
    "case",
    ["autopay off", "mode off", "void", "draft", "disputed", "paid", "not yet due"],
)
def test_never_charged(store: SqliteStore, case: str) -> None:
    b = bundle()
    if case == "autopay off":
        store.drop_method("acme", "turned off", "2026-03-20")
    elif case == "mode off":
        b = bundle(mode="off")
    elif case in ("void", "draft"):
        b = bundle(invoice={"status": case})
    elif case in ("disputed", "paid"):
        paid = Payment.model_validate(
            {
                "id": "p1",
                "invoice": "INV-1",
                "amount": "1000.00",
                "currency": "USD",
                "date": "2026-03-10",
                "method": "card",
                "disputed": case == "disputed",
            }
        )
        b = bundle(payments=[paid])
    day = DAY - timedelta(days=1) if case == "not yet due" else DAY
    stripe_api = Recorder()
    report = run(store, b, day, stripe_api)
    assert stripe_api.created == [] and report.charged == [] and store.charges() == []


def test_a_decline_emails_once_and_the_last_retry_turns_autopay_off(store: SqliteStore) -> None:
    stripe_api = Recorder("declined")
    for offset in range(0, 12):
        run(store, bundle(), DAY + timedelta(days=offset), stripe_api)
    keys = [o["idempotency_key"] for _, o in stripe_api.created]
    assert keys == ["autopay:INV-1:0:1", "autopay:INV-1:0:2", "autopay:INV-1:0:3"]
    assert [a.reason for a in store.charges()] == ["insufficient_funds"] * 3
    failures = sorted(i.key for i in store.unsent() if i.key.startswith("autopay-failed:"))
    assert failures == [f"autopay-failed:INV-1:0:{n}" for n in (1, 2, 3)]
    assert store.method("acme") is None and stripe_api.detached == ["pm_1"]
    last = next(i for i in store.unsent() if i.key == "autopay-failed:INV-1:0:3")
    assert last.payload["subject"] == "Automatic payments are turned off"
    assert "insufficient funds" not in last.payload["mail"]["text"]  # plain words instead
    assert "not enough funds" in last.payload["mail"]["text"]
    assert store.payments("INV-1") == []  # nothing was paid


def test_a_claim_taken_by_another_run_is_left_alone(store: SqliteStore) -> None:
    taken = attempt(1, DAY, "claimed")
    assert store.claim_charge(taken, 1000.0, charges.LEASE)
    stripe_api = Recorder()
    report = run(store, bundle(), DAY, stripe_api, now=lambda: 1000.0 + 60)
    assert stripe_api.created == [] and report.charged == []
    # after the lease, the same day: taken again, asked with the same key
    report = run(store, bundle(), DAY, stripe_api, now=lambda: 1000.0 + charges.LEASE + 1)
    assert [o for _, o in stripe_api.created] == [{"idempotency_key": "autopay:INV-1:0:1"}]
    assert [a.state for a in store.charges()] == ["succeeded"]


def test_a_stale_claim_answered_with_a_decline_is_followed_up_once(store: SqliteStore) -> None:
    assert store.claim_charge(attempt(1, DAY, "claimed"), 1000.0, charges.LEASE)
    stripe_api = Recorder("declined")
    run(store, bundle(), DAY, stripe_api, now=lambda: 1000.0 + charges.LEASE + 1)
    (a,) = store.charges()
    assert (a.state, a.reason, a.notified) == ("failed", "insufficient_funds", True)
    failures = [i.key for i in store.unsent() if i.key.startswith("autopay-failed:")]
    assert failures == ["autopay-failed:INV-1:0:1"]
    run(store, bundle(), DAY + timedelta(days=1), stripe_api)  # the next day: no second email
    assert len(stripe_api.created) == 1
    assert [i.key for i in store.unsent() if i.key.startswith("autopay-failed:")] == failures


def test_the_retries_go_on_with_a_method_saved_after_a_failure(store: SqliteStore) -> None:
    stripe_api = Recorder("declined")
    for offset in (0, 3):
        run(store, bundle(), DAY + timedelta(days=offset), stripe_api)
    new = {"customer": "cus_1", "payment_method": "pm_2", "type": "card", "last4": "1111"}
    store.save_method("acme", new, (DAY + timedelta(days=5)).isoformat())
    run(store, bundle(), DAY + timedelta(days=7), stripe_api)  # the last retry, on pm_2
    assert [p["payment_method"] for p, _ in stripe_api.created] == ["pm_1", "pm_1", "pm_2"]
    assert store.method("acme") is None and stripe_api.detached == ["pm_2"]
