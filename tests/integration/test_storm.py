"""The money path under a webhook storm and a mail outage, on SQLite and on DynamoDB.

1,000 deliveries over HTTP to the app under uvicorn: 600 distinct genuine events
for 300 payments (cards: ``completed`` + an unhandled ``payment_intent.succeeded``;
bank debits: ``completed`` unpaid + ``async_payment_succeeded``), 300 duplicate
deliveries, 100 forged or stale ones, in shuffled order from eight senders at
once, and one payment's event delivered 50 times concurrently. Then the drain
sends the receipts to a real SMTP server: exactly 300, none for a forged event.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.generate import generate
from functions.app import Services
from functions.outbox import backoff, drain
from functions.site import FolderSite
from functions.snapshots import FolderSnapshots
from functions.store import CheckoutSession, DynamoStore, SqliteStore, Store
from functions.store.dynamodb import create_table
from functions.work import handlers
from local.stripe_server.webhooks import sign_payload
from site_builder.build import build
from tests.conftest import SECRET
from tests.integration.conftest import SmtpServer, app_server, aws_client

TODAY = date(2026, 11, 23)
WEBHOOK_SECRET = "whsec_storm"
PAYMENTS = 300


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A synthetic agency of 30 clients x 10 invoices, built: one payment per invoice."""
    root = tmp_path_factory.mktemp("storm")
    generate(root / "content", clients=30, invoices=10, seed=7, today=TODAY)
    build(root / "content", root, TODAY, secret=SECRET)
    ledger = json.loads((root / "build" / "ledger.json").read_text())["invoices"]
    assert len(ledger) == PAYMENTS
    return {"root": root, "ledger": ledger}


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, agency: dict[str, Any]) -> Iterator[Store]:
    if request.param == "sqlite":
        store: Store = SqliteStore(agency["root"] / f"store-{time.monotonic_ns()}.sqlite3")
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        client, name = aws_client("dynamodb", endpoint), f"storm-{time.monotonic_ns()}"
        create_table(client, name)
        store = DynamoStore(name, client)
    store.put_invoices(agency["ledger"])
    yield store


@pytest.fixture
def system(store: Store, agency: dict[str, Any]) -> Iterator[dict[str, Any]]:
    smtp = SmtpServer()
    services = Services(
        store=store,
        snapshots=FolderSnapshots(agency["root"] / "build" / "clients"),
        sessions=None,  # type: ignore[arg-type]  # no checkout here: sessions are saved directly
        portal_secret=SECRET,
        webhook_secret=WEBHOOK_SECRET,
        today=lambda: TODAY,
        mailer=smtp.mailer(),
        site=FolderSite(agency["root"] / "public"),
    )
    with app_server(services) as url:
        yield {"url": url, "services": services, "smtp": smtp}
    smtp.stop()


def open_sessions(store: Store, ledger: dict[str, dict[str, Any]]) -> list[CheckoutSession]:
    sessions = []
    for n, (number, entry) in enumerate(sorted(ledger.items())):
        amount = entry["amount_due"] or entry["total"]
        session = CheckoutSession(
            f"cs_{n}", number, entry["client"], None, amount, entry["currency"], "u", 2**31
        )
        store.save_session(session)
        sessions.append(session)
    return sessions


def event(event_id: str, kind: str, session: CheckoutSession, **fields: Any) -> dict[str, Any]:
    obj = {
        "id": session.id,
        "object": "checkout.session",
        "payment_intent": f"pi_{session.id[3:]}",
        "amount_total": session.amount,
        "currency": session.currency.lower(),
        "payment_status": "paid",
        "payment_method_types": ["card"],
        **fields,
    }
    return {"id": event_id, "type": kind, "created": int(time.time()), "data": {"object": obj}}


def genuine_events(sessions: list[CheckoutSession]) -> list[dict[str, Any]]:
    events = []
    for n, s in enumerate(sessions):
        if n % 2:  # a bank debit: settles days later
            debit = {"payment_status": "unpaid", "payment_method_types": ["us_bank_account"]}
            events.append(event(f"evt_{n}a", "checkout.session.completed", s, **debit))
            events.append(
                event(f"evt_{n}b", "checkout.session.async_payment_succeeded", s, **debit)
            )
        else:
            events.append(event(f"evt_{n}a", "checkout.session.completed", s))
            events.append(event(f"evt_{n}b", "payment_intent.succeeded", s))
    return events


def forged_events(sessions: list[CheckoutSession]) -> list[tuple[bytes, str]]:
    """Events for payments that never happened, each with a signature that must fail."""
    deliveries = []
    for n in range(100):
        body = json.dumps(
            event(
                f"evt_forged_{n}",
                "checkout.session.completed",
                sessions[n],
                payment_intent=f"pi_forged_{n}",
            )
        ).encode()
        kind = n % 3
        if kind == 0:
            signature = sign_payload(body, "whsec_someone_else")
        elif kind == 1:
            signature = sign_payload(body, WEBHOOK_SECRET, int(time.time()) - 301)  # stale
        else:
            signature = ""
        deliveries.append((body, signature))
    return deliveries


def post(client: httpx.Client, url: str, body: bytes, signature: str) -> int:
    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    return client.post(url, content=body, headers=headers).status_code


def test_a_webhook_storm_records_each_payment_once(system: dict[str, Any], store: Store) -> None:
    sessions = open_sessions(store, json.loads(json.dumps(_ledger(system))))
    events = genuine_events(sessions)
    rng = random.Random(1)
    genuine = [json.dumps(e).encode() for e in events]
    burst, rest = genuine[0], genuine[1:]
    duplicates = rng.sample(rest, 251)  # + 49 extra copies in the burst = 300 duplicates
    deliveries = [(body, None) for body in rest + duplicates] + forged_events(sessions)
    rng.shuffle(deliveries)
    assert len(deliveries) + 50 == 1000

    url = f"{system['url']}/webhooks/stripe"
    statuses: list[int] = []
    with httpx.Client(timeout=60) as client:

        def deliver(delivery: tuple[bytes, str | None]) -> int:
            body, signature = delivery
            if signature is None:
                signature = sign_payload(body, WEBHOOK_SECRET)
            return post(client, url, body, signature)

        start = threading.Barrier(50)

        def burst_one() -> int:
            start.wait()
            return deliver((burst, None))

        with ThreadPoolExecutor(58) as pool:
            burst_results = [pool.submit(burst_one) for _ in range(50)]
            statuses = list(pool.map(deliver, deliveries))
            statuses += [f.result() for f in burst_results]

    assert statuses.count(400) == 100 and statuses.count(200) == 900
    payments = store.payments()
    assert len(payments) == PAYMENTS
    assert {p.status for p in payments} == {"succeeded"}
    assert not any("forged" in p.id for p in payments)
    assert len({p.id for p in payments}) == PAYMENTS

    # the receipts: every one once, to a real SMTP server
    report = drain(store, handlers(system["services"]), limit=2000)
    assert not report.retried
    subjects = [
        message_from_bytes(data, policy=policy.default)["subject"]
        for _, _, data in system["smtp"].handler.envelopes
    ]
    assert len(subjects) == PAYMENTS
    # subjects are in each client's language; the receipt number is in every one, and the
    # storm took them in one gap-free sequence: R-2026-0001 to R-2026-0300, each once
    numbers = sorted(m.group() for s in subjects if (m := re.search(r"R-2026-\d{4}", s)))
    assert numbers == sorted(p.receipt for p in payments)  # type: ignore[type-var]
    assert numbers == [f"R-2026-{n:04d}" for n in range(1, PAYMENTS + 1)]
    assert store.pending() == 0


def test_mail_down_while_payments_arrive_loses_nothing(
    system: dict[str, Any], store: Store
) -> None:
    sessions = open_sessions(store, _ledger(system))[:50]
    system["smtp"].stop()  # the mail server is down
    url = f"{system['url']}/webhooks/stripe"
    with httpx.Client(timeout=60) as client:
        for n, s in enumerate(sessions):
            body = json.dumps(event(f"evt_{n}", "checkout.session.completed", s)).encode()
            assert post(client, url, body, sign_payload(body, WEBHOOK_SECRET)) == 200
    assert len(store.payments()) == 50

    work = handlers(system["services"])
    now = time.time()
    failed = drain(store, work, now=lambda: now, limit=200)
    receipts = [k for k in failed.retried if k.startswith("receipt:")]
    assert len(receipts) == 50 and system["smtp"].handler.envelopes == []

    system["smtp"].start()  # back, on the same port
    later = now + backoff(1)
    drain(store, work, now=lambda: later, limit=200)
    drain(store, work, now=lambda: later + backoff(2), limit=200)  # nothing left to do
    assert len(system["smtp"].handler.envelopes) == 50
    assert store.pending() == 0


def _ledger(system: dict[str, Any]) -> dict[str, dict[str, Any]]:
    root = Path(system["services"].snapshots.folder).parent.parent  # type: ignore[attr-defined]
    return json.loads((root / "build" / "ledger.json").read_text())["invoices"]
