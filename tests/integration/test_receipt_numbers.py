"""Receipt numbers (R-<year>-<NNNN>): given once, gap-free, atomically, on SQLite and DynamoDB.

The store contract first (every store passes the same tests), then the whole path under load:
50 card payments and 10 bank debits that fail, each event delivered twice, all at once, over
HTTP to the webhook under uvicorn, signed as the local Stripe signs them. Exactly R-2026-0001
to R-2026-0050 come out, each payment its own, the failed debits none; the drain mails each
receipt with its number to a real SMTP server and re-publishes the pages under it, and a build
from the store shows the same numbers.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.generate import generate
from functions.app import Services
from functions.outbox import drain
from functions.recorded import by_client
from functions.site import FolderSite
from functions.snapshots import FolderSnapshots
from functions.store import Change, CheckoutSession, DynamoStore, Payment, SqliteStore, Store
from functions.store.base import OfflineReceipt
from functions.store.dynamodb import create_table
from functions.work import handlers
from local.stripe_server.webhooks import sign_payload
from site_builder.build import build
from site_builder.errors import ContentInvalid
from tests.conftest import SECRET
from tests.integration.conftest import SmtpServer, app_server, aws_client

TODAY = date(2026, 11, 23)
WEBHOOK_SECRET = "whsec_numbers"
CARDS, DEBITS = 50, 10


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield SqliteStore(tmp_path / "store.sqlite3")
    else:
        endpoint = request.getfixturevalue("moto_endpoint")  # moto only when needed
        client, name = aws_client("dynamodb", endpoint), f"numbers-{uuid.uuid4().hex[:12]}"
        create_table(client, name)
        yield DynamoStore(name, client)
        client.delete_table(TableName=name)


def paid(pi: str, status: str = "succeeded", received: str = "2026-04-01", **more: Any) -> Payment:
    return Payment(
        id=pi,
        invoice=f"INV-{pi}",
        client="acme",
        amount=103000,
        currency="USD",
        received=received,
        method="card",
        status=status,  # type: ignore[arg-type]
        **more,
    )


def numbers(store: Store) -> dict[str, str | None]:
    return {p.id: p.receipt for p in store.payments()}


# --- the store contract ----------------------------------------------------------------------


def test_receipts_are_numbered_in_order_per_year(store: Store) -> None:
    assert store.apply(Change("evt_1", payments=[paid("pi_a", received="2026-12-31")]))
    assert store.apply(Change("evt_2", payments=[paid("pi_b", received="2026-12-31")]))
    assert store.apply(Change("evt_3", payments=[paid("pi_c", received="2027-01-01")]))
    # two payments in one change: two numbers, one counter write
    assert store.apply(Change("evt_4", payments=[paid("pi_d"), paid("pi_e")]))
    assert numbers(store) == {
        "pi_a": "R-2026-0001",
        "pi_b": "R-2026-0002",
        "pi_c": "R-2027-0001",
        "pi_d": "R-2026-0003",
        "pi_e": "R-2026-0004",
    }


def test_a_number_is_given_once_whatever_comes_after(store: Store) -> None:
    first = Change("evt_1", payments=[paid("pi_1")])
    assert store.apply(first)
    assert not store.apply(first)  # redelivered: nothing new
    assert store.apply(Change("evt_2", payments=[paid("pi_1")]))  # another event, same payment
    assert store.apply(Change("evt_3", payments=[paid("pi_1", refunded=500)]))  # a refund
    assert store.apply(Change("evt_4", payments=[paid("pi_1", disputed=True)]))  # a dispute
    assert store.apply(Change("evt_5", payments=[paid("pi_1", status="pending")]))  # late, stale
    (payment,) = store.payments()
    assert (payment.receipt, payment.refunded, payment.disputed) == ("R-2026-0001", 500, True)
    assert store.payment("pi_1") == payment
    assert store.payments(payment.invoice) == [payment]  # both DynamoDB copies agree
    # the refund took nothing back: the next receipt is the next number
    assert store.apply(Change("evt_6", payments=[paid("pi_2")]))
    assert store.payment("pi_2").receipt == "R-2026-0002"  # type: ignore[union-attr]


def test_a_bank_debit_is_numbered_when_it_settles_and_a_failed_one_never(store: Store) -> None:
    assert store.apply(Change("evt_1", payments=[paid("pi_debit", "pending", "2026-12-30")]))
    assert store.apply(Change("evt_2", payments=[paid("pi_lost", "pending", "2026-12-30")]))
    assert numbers(store) == {"pi_debit": None, "pi_lost": None}  # processing: no receipt yet
    assert store.apply(Change("evt_3", payments=[paid("pi_lost", "failed", "2027-01-02")]))
    assert store.apply(Change("evt_4", payments=[paid("pi_card", received="2027-01-02")]))
    # settled in the new year: numbered in it, on the day it succeeded
    assert store.apply(Change("evt_5", payments=[paid("pi_debit", received="2027-01-04")]))
    assert numbers(store) == {
        "pi_card": "R-2027-0001",
        "pi_debit": "R-2027-0002",
        "pi_lost": None,
    }
    assert store.payment("pi_debit").received == "2027-01-04"  # type: ignore[union-attr]


def test_numbers_grow_past_four_digits(store: Store) -> None:
    assert store.apply(Change("evt_1", payments=[paid("pi_1")]))
    _set_counter(store, 9998)  # as if 9,997 more receipts had been given this year
    assert store.apply(Change("evt_2", payments=[paid("pi_2")]))
    assert store.apply(Change("evt_3", payments=[paid("pi_3")]))
    assert numbers(store) == {"pi_1": "R-2026-0001", "pi_2": "R-2026-9999", "pi_3": "R-2026-10000"}


def test_offline_receipts_share_the_counter_and_are_numbered_once(store: Store) -> None:
    cheque = OfflineReceipt("pay-cheque", "acme", "2026-05-02")
    wire = OfflineReceipt("pay-wire", "globex", "2026-05-03")
    assert store.apply(Change("evt_1", payments=[paid("pi_1")]))
    assert store.apply(Change("offline:pay-cheque", offline_receipts=[cheque]))
    assert store.apply(Change("evt_2", payments=[paid("pi_2")]))
    # named again by another change (a second build, a deploy after a serve): kept as it was
    assert store.apply(Change("offline:again", offline_receipts=[cheque, wire, wire]))
    assert store.offline_receipt_numbers() == {
        "pay-cheque": "R-2026-0002",
        "pay-wire": "R-2026-0004",
    }
    assert store.offline_receipt_numbers("globex") == {"pay-wire": "R-2026-0004"}
    assert store.offline_receipt_numbers("nobody") == {}
    assert numbers(store) == {"pi_1": "R-2026-0001", "pi_2": "R-2026-0003"}
    assert not store.apply(Change("offline:pay-cheque", offline_receipts=[cheque]))  # seen


def _set_counter(store: Store, last: int) -> None:
    """The year's counter set through each store's own table: writing 10,000 payments one by
    one would take minutes and prove nothing more."""
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store.path) as db:
            db.execute("UPDATE receipt_counters SET last = ? WHERE year = '2026'", (last,))
    else:
        assert isinstance(store, DynamoStore)
        store.client.update_item(
            TableName=store.table,
            Key={"pk": {"S": "RECEIPTS"}, "sk": {"S": "2026"}},
            UpdateExpression="SET #last = :last",
            ExpressionAttributeNames={"#last": "last"},
            ExpressionAttributeValues={":last": {"N": str(last)}},
        )


def test_an_old_sqlite_store_numbers_its_receipts_when_opened(tmp_path: Path) -> None:
    """A store made before receipt numbers: its receipts take numbers in the order received."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE payments (id TEXT PRIMARY KEY, invoice TEXT NOT NULL, client TEXT NOT "
            "NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, received TEXT NOT NULL, "
            "method TEXT NOT NULL, status TEXT NOT NULL, instalment INTEGER, refunded INTEGER "
            "NOT NULL, session TEXT, disputed INTEGER NOT NULL DEFAULT 0)"
        )
        rows = [
            ("pi_late", "2026-05-02", "succeeded"),
            ("pi_early", "2026-03-01", "succeeded"),
            ("pi_same_day", "2026-03-01", "succeeded"),
            ("pi_settling", "2026-05-01", "pending"),
            ("pi_failed", "2026-04-01", "failed"),
            ("pi_last_year", "2025-12-30", "succeeded"),
        ]
        db.executemany(
            "INSERT INTO payments VALUES (?, 'INV-1', 'acme', 100, 'USD', ?, 'card', ?, NULL, "
            "0, NULL, 0)",
            rows,
        )
    store = SqliteStore(path)
    assert numbers(store) == {
        "pi_early": "R-2026-0001",
        "pi_same_day": "R-2026-0002",  # same day: by id
        "pi_late": "R-2026-0003",
        "pi_last_year": "R-2025-0001",
        "pi_settling": None,
        "pi_failed": None,
    }
    assert numbers(SqliteStore(path)) == numbers(store)  # opened again: nothing renumbered
    assert store.apply(Change("evt_1", payments=[paid("pi_settling", received="2026-06-01")]))
    assert store.payment("pi_settling").receipt == "R-2026-0004"  # type: ignore[union-attr]


def test_a_content_payment_cannot_write_its_own_number(tmp_path: Path, content: Path) -> None:
    payment = next((content / "payments").glob("*.yaml"))
    payment.write_text(payment.read_text() + "receipt: R-2026-0001\n", encoding="utf-8")
    with pytest.raises(ContentInvalid) as raised:
        build(content, tmp_path, TODAY, secret=SECRET, check_only=True)
    (error,) = [e for e in raised.value.errors if e.field == "receipt"]
    assert error.path.endswith(payment.name) and error.line == len(payment.read_text().splitlines())
    assert "given by the payment store" in error.message


def _apply_share(path: str, writer: int, writers: int) -> None:
    store = SqliteStore(path)
    for n in range(writer, 50, writers):
        store.apply(Change(f"evt_{n}", payments=[paid(f"pi_{n}")]))


def test_writers_in_separate_processes_share_one_gap_free_sequence(tmp_path: Path) -> None:
    path = str(tmp_path / "store.sqlite3")
    SqliteStore(path)
    workers = [
        multiprocessing.get_context("fork").Process(target=_apply_share, args=(path, w, 5))
        for w in range(5)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * 5
    given = sorted(p.receipt for p in SqliteStore(path).payments())  # type: ignore[type-var]
    assert given == [f"R-2026-{n:04d}" for n in range(1, 51)]


def test_writers_with_their_own_clients_share_one_gap_free_sequence_in_dynamodb(
    moto_endpoint: str,
) -> None:
    """Five writers, as five Lambda instances would be: no lock in common, only the table.
    They collide on the year's counter and retry; every number is still given exactly once."""
    name = f"numbers-{uuid.uuid4().hex[:12]}"
    create_table(aws_client("dynamodb", moto_endpoint), name)
    start = threading.Barrier(5)
    failures: list[BaseException] = []

    def apply_share(store: DynamoStore, writer: int) -> None:
        start.wait()
        try:
            for n in range(writer, 50, 5):
                store.apply(Change(f"evt_{n}", payments=[paid(f"pi_{n}")]))
        except BaseException as exc:  # a thread's failure is the test's
            failures.append(exc)

    workers = [  # one client per writer, made here: making boto3 clients is not thread-safe
        threading.Thread(
            target=apply_share,
            args=(DynamoStore(name, aws_client("dynamodb", moto_endpoint)), w),
        )
        for w in range(5)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert failures == []
    store = DynamoStore(name, aws_client("dynamodb", moto_endpoint))
    given = sorted(p.receipt for p in store.payments())  # type: ignore[type-var]
    assert given == [f"R-2026-{n:04d}" for n in range(1, 51)]
    by_invoice = sorted(q.receipt for p in store.payments() for q in store.payments(p.invoice))
    assert by_invoice == given  # each payment's second copy carries the same number


# --- 60 payments at once, through the webhook -------------------------------------------------


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 clients x 10 invoices, built: one payment per invoice."""
    root = tmp_path_factory.mktemp("numbers")
    generate(root / "content", clients=6, invoices=10, seed=13, today=TODAY)
    build(root / "content", root, TODAY, secret=SECRET)
    return root


@pytest.fixture
def system(store: Store, agency: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path / "site"  # each store its own copy: the drain re-publishes into it
    shutil.copytree(agency, root)
    ledger = json.loads((root / "build" / "ledger.json").read_text())["invoices"]
    store.put_invoices(ledger)
    smtp = SmtpServer()
    services = Services(
        store=store,
        snapshots=FolderSnapshots(root / "build" / "clients"),
        sessions=None,  # type: ignore[arg-type]  # no checkout here: sessions are saved directly
        portal_secret=SECRET,
        webhook_secret=WEBHOOK_SECRET,
        today=lambda: TODAY,
        mailer=smtp.mailer(),
        site=FolderSite(root / "public"),
    )
    with app_server(services) as url:
        yield {
            "url": f"{url}/webhooks/stripe",
            "services": services,
            "smtp": smtp,
            "root": root,
            "ledger": ledger,
        }
    smtp.stop()


def event(event_id: str, kind: str, session: CheckoutSession, **fields: Any) -> bytes:
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
    body = {"id": event_id, "type": kind, "created": int(time.time()), "data": {"object": obj}}
    return json.dumps(body).encode()


def test_sixty_payments_at_once_take_fifty_numbers_with_no_gap(
    system: dict[str, Any], store: Store
) -> None:
    sessions = []
    for n, (number, entry) in enumerate(sorted(system["ledger"].items())):
        amount = entry["amount_due"] or entry["total"]
        session = CheckoutSession(
            f"cs_{n}", number, entry["client"], None, amount, entry["currency"], "u", 2**31
        )
        store.save_session(session)
        sessions.append(session)
    assert len(sessions) == CARDS + DEBITS
    cards, debits = sessions[:CARDS], sessions[CARDS:]
    bodies = [event(f"evt_{s.id[3:]}", "checkout.session.completed", s) for s in cards]
    unpaid = {"payment_status": "unpaid", "payment_method_types": ["us_bank_account"]}
    for s in debits:  # a bank debit that fails: it must never take a number
        bodies.append(event(f"evt_{s.id[3:]}a", "checkout.session.completed", s, **unpaid))
        bodies.append(
            event(f"evt_{s.id[3:]}b", "checkout.session.async_payment_failed", s, **unpaid)
        )
    deliveries = bodies * 2  # every event delivered twice, as Stripe may

    start = threading.Barrier(len(deliveries))
    with httpx.Client(timeout=120) as client:

        def deliver(body: bytes) -> int:
            headers = {"Stripe-Signature": sign_payload(body, WEBHOOK_SECRET)}
            start.wait()  # all at once
            return client.post(system["url"], content=body, headers=headers).status_code

        with ThreadPoolExecutor(len(deliveries)) as pool:
            statuses = list(pool.map(deliver, deliveries))
    assert statuses == [200] * len(deliveries)

    payments = store.payments()
    expected = [f"R-2026-{n:04d}" for n in range(1, CARDS + 1)]
    assert sorted(p.receipt for p in payments if p.status == "succeeded") == expected  # type: ignore[type-var]
    assert {p.id: p.receipt for p in payments if p.status != "succeeded"} == {
        f"pi_{s.id[3:]}": None for s in debits
    }
    receipt_of = {p.id: p.receipt for p in payments}

    # each receipt mailed once, with its own payment's number
    report = drain(store, handlers(system["services"]), limit=500)
    assert not report.retried
    mailed, attached = {}, {}
    for _, _, data in system["smtp"].handler.envelopes:
        mail = message_from_bytes(data, policy=policy.default)
        payment_id = re.fullmatch(r"<receipt%3A(\w+)@clientportal>", mail["Message-ID"])
        assert payment_id is not None, mail["Message-ID"]
        mailed[payment_id.group(1)] = str(mail["Subject"])
        (pdf,) = mail.iter_attachments()  # the receipt page as a document
        attached[payment_id.group(1)] = (pdf.get_filename(), pdf.get_payload(decode=True))
    assert len(system["smtp"].handler.envelopes) == CARDS == len(mailed)
    for payment_id, subject in mailed.items():
        number = receipt_of[payment_id]
        assert number is not None and number in subject
        assert re.findall(r"R-\d{4}-\d{4,}", subject) == [number]
        name, data = attached[payment_id]
        words = subprocess.run(
            ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
        assert name == f"{number}.pdf" and number in words

    # the pages re-published after the payments: a receipt page under each number
    public = system["root"] / "public"
    pages = {p.stem: p for p in public.glob("c/*/receipts/R-*.html")}
    assert sorted(pages) == expected
    page = pages["R-2026-0007"].read_text()
    assert "R-2026-0007" in page and "pi_" not in page  # the number, never Stripe's id
    assert not list(public.glob("c/*/receipts/pi_*"))

    # a build from the store shows the same numbers, and each portal links its receipts by them
    # (the snapshots hold the content only: a re-render overlays the store's numbered payments)
    build(
        system["root"] / "content",
        system["root"],
        TODAY,
        secret=SECRET,
        recorded=by_client(store),
    )
    assert sorted(p.stem for p in public.glob("c/*/receipts/R-*.html")) == expected
    links = "".join(p.read_text() for p in public.glob("c/*/index.html"))
    assert sorted(set(re.findall(r'href="receipts/(R-2026-\d{4})\.html"', links))) == expected

    # and the next payment takes the next number: the failed debits left no gap
    later = replace(cards[0], id="cs_later", invoice=cards[1].invoice)
    store.save_session(later)
    body = event("evt_later", "checkout.session.completed", later)
    with httpx.Client() as client:
        headers = {"Stripe-Signature": sign_payload(body, WEBHOOK_SECRET)}
        assert client.post(system["url"], content=body, headers=headers).status_code == 200
    assert store.payment("pi_later").receipt == f"R-2026-{CARDS + 1:04d}"  # type: ignore[union-attr]
