"""One bad client or outbox item stops only itself: the reminders job and the outbox drain.

The sample agency, built once; each test copies the build, loads its ledger into a fresh
SQLite store and poisons one client's snapshot the way a bad value that got past
``portal check`` would (a contact name with CR/LF), or a snapshot that no longer loads.
Mail goes through the real drain and SmtpMailer to aiosmtpd on loopback.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.app import Services
from functions.mailer import Mail
from functions.outbox import backoff, drain
from functions.reminders import job
from functions.snapshots import FolderSnapshots
from functions.store import Change, OutboxItem, Payment, SqliteStore
from functions.work import handlers
from site_builder.build import build
from site_builder.receivables.attention import attention
from site_builder.render import Theme
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.integration.conftest import SmtpServer

BAD = "xinghe"  # has a reminder due on the sample's day (INV-2026-0131, before-5)
BROKEN = "yantar"  # its snapshot is cut short: it no longer loads at all


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    return out


class Copy:
    """A copy of the build with its own store, as `portal remind` finds them."""

    def __init__(self, built: Path, root: Path) -> None:
        self.out = root / "site"
        shutil.copytree(built, self.out)
        self.store = SqliteStore(root / "store.sqlite3")
        ledger = json.loads((self.out / "build" / "ledger.json").read_bytes())
        self.store.put_invoices(ledger["invoices"])
        self.ledger = ledger["invoices"]

    @property
    def snapshots(self) -> FolderSnapshots:
        return FolderSnapshots(self.out / "build" / "clients")

    def snapshot(self, client: str) -> Path:
        return self.out / "build" / "clients" / f"{client}.json"

    def run(self, day: Any = SAMPLE_TODAY, **options: Any) -> job.RemindReport:
        return job.run(self.store, self.snapshots, Theme(), day, secret=SECRET, **options)

    def services(self, **more: Any) -> Services:
        return Services(
            store=self.store,
            snapshots=self.snapshots,
            sessions=None,  # type: ignore[arg-type]  # the jobs open no checkout
            portal_secret=SECRET,
            webhook_secret="",
            today=lambda: SAMPLE_TODAY,
            **more,
        )


def poison_contact(copy: Copy, client: str) -> bytes:
    """A billing contact's name with CR/LF in it, as the reported bug had; returns the original."""
    path = copy.snapshot(client)
    original = path.read_bytes()
    data = json.loads(original)
    data["client"]["contacts"][0]["name"] += "\r\nBcc: someone@else.example"
    path.write_text(json.dumps(data))
    return original


def keys(rows: Sequence[job.ReminderRow]) -> set[str]:
    return {row.key for row in rows}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


def test_a_bad_client_stops_only_its_own_reminders(built: Path, tmp_path: Path) -> None:
    clean = Copy(built, tmp_path / "clean").run()
    everyone = {row.client for row in clean.sent}
    assert {BAD, BROKEN} <= everyone and clean.problems == []

    copy = Copy(built, tmp_path / "poisoned")
    original = poison_contact(copy, BAD)
    copy.snapshot(BROKEN).write_bytes(copy.snapshot(BROKEN).read_bytes()[:200])
    report = copy.run()

    # every other client's reminders are queued as on a clean day, with their emails
    others = {row.key for row in clean.sent if row.client not in (BAD, BROKEN)}
    assert keys(report.sent) == others
    assert {i.key for i in copy.store.unsent()} == others
    assert [f.client for f in report.failed] == [BAD, BROKEN]
    assert all("tried again on the next run" in p for p in report.problems)
    bad = report.failed[0]
    assert bad.invoices and "\n" not in bad.error

    # the agency sees each one in `portal status`, with the client and what went wrong
    reviews = attention(copy.store, copy.ledger).reviews
    assert [r["client"] for r in reviews] == [BAD, BROKEN]
    assert reviews[0]["problem"].startswith(f"reminders not prepared for client {BAD} (")
    assert attention(copy.store, copy.ledger, client=BAD).reviews == reviews[:1]

    # no permanent poison: the tracks stay due, and a rerun records the problem once
    due = {t.client for t in copy.store.reminders_due(SAMPLE_TODAY.isoformat())}
    assert {BAD, BROKEN} <= due
    again = copy.run()
    assert again.sent == [] and [f.client for f in again.failed] == [BAD, BROKEN]
    assert len(copy.store.reviews()) == 2

    # fixed (the next build wrote a good snapshot): the next day's run sends its reminders
    copy.snapshot(BAD).write_bytes(original)
    shutil.copy(built / "build" / "clients" / f"{BROKEN}.json", copy.snapshot(BROKEN))
    tomorrow = copy.run(SAMPLE_TODAY + timedelta(days=1))
    assert tomorrow.failed == []
    assert {BAD, BROKEN} <= {row.client for row in tomorrow.sent}


def test_portal_status_shows_the_client_whose_reminders_failed(built: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from portal.cli import app

    copy = Copy(built, tmp_path)
    poison_contact(copy, BAD)
    copy.run()
    args = ["status", "--out", str(copy.out), "--store", str(tmp_path / "store.sqlite3")]
    args += ["--today", SAMPLE_TODAY.isoformat()]
    env = {"PORTAL_SECRET": SECRET, "COLUMNS": "250"}
    found = CliRunner().invoke(app, [*args, "--format", "json"], env=env)
    assert found.exit_code == 0, found.output
    (review,) = json.loads(found.stdout)["attention"]["reviews"]
    assert review["client"] == BAD and review["event"].startswith(f"reminders:{BAD}:")
    table = CliRunner().invoke(app, args, env=env)
    assert table.exit_code == 0 and f"Reminders not prepared for client {BAD}" in table.output


def test_a_dry_run_reports_a_bad_client_and_records_nothing(built: Path, tmp_path: Path) -> None:
    copy = Copy(built, tmp_path)
    poison_contact(copy, BAD)
    report = copy.run(dry_run=True)
    assert [f.client for f in report.failed] == [BAD] and report.sent
    assert copy.store.reviews() == [] and copy.store.unsent() == []


def test_the_bulkhead_holds_in_worker_processes(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = Copy(built, tmp_path / "serial")
    forked = Copy(built, tmp_path / "forked")
    for copy in (serial, forked):
        poison_contact(copy, BAD)
    expected = serial.run()
    monkeypatch.setattr(job, "PARALLEL_FROM", 1)  # the sample's day is small
    report = forked.run(workers=2)
    assert keys(report.sent) == keys(expected.sent) and report.sent
    assert report.failed == expected.failed and [f.client for f in report.failed] == [BAD]


def test_one_poisoned_item_among_good_ones_never_stops_the_drain(
    built: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    copy = Copy(built, tmp_path)
    good = Mail(
        to=("anna@acme.example",),
        subject="A good letter",
        text="Hello",
        html="<p>Hello</p>",
        sender="billing@northwind.example",
        message_id="letter:good",
    )
    # a payment of the client whose snapshot no longer loads: its receipt cannot be rendered
    copy.snapshot(BROKEN).write_bytes(b'{"agency": ')
    copy.store.apply(
        Change(
            "evt_paid",
            payments=[
                Payment(
                    id="pi_broken",
                    invoice=next(n for n, e in copy.ledger.items() if e["client"] == BROKEN),
                    client=BROKEN,
                    amount=100,
                    currency="EUR",
                    received=SAMPLE_TODAY.isoformat(),
                    method="card",
                    status="succeeded",
                )
            ],
        )
    )
    copy.store.apply(
        Change(
            "evt_work",
            outbox=[
                OutboxItem("a:receipt", "email", {"template": "receipt", "payment": "pi_broken"}),
                OutboxItem("b:unreadable", "email", {"mail": {"to": 5, "subject": None}}),
                OutboxItem("c:publish-broken", "publish", {"client": BROKEN}),
                OutboxItem("d:fax", "fax", {"to": "+1 555 0100"}),
                OutboxItem("e:good-mail", "email", {"mail": good.as_payload()}),
                OutboxItem("f:publish-good", "publish", {"client": "harbor-light"}),
            ],
        )
    )
    services = copy.services(mailer=smtp.mailer(), site=_folder_site(copy))
    now = time.time()
    report = drain(copy.store, handlers(services), now=lambda: now)

    assert sorted(report.done) == ["e:good-mail", "f:publish-good"]
    assert sorted(report.retried) == ["a:receipt", "b:unreadable", "c:publish-broken", "d:fax"]
    assert len(smtp.handler.envelopes) == 1
    left = {item.key: item for item in copy.store.unsent()}
    # a broken snapshot may be fixed by the next build: retried with back-off
    for key in ("a:receipt", "c:publish-broken"):
        assert left[key].attempts == 1
        assert left[key].next_attempt == pytest.approx(now + backoff(1))
        assert not left[key].last_error.startswith("permanent:")
    # a payload that can never be read, a kind no one handles: kept for a person
    assert left["b:unreadable"].last_error.startswith("permanent: mail not understood")
    assert left["d:fax"].last_error == "permanent: no handler for 'fax' work"

    found = attention(copy.store, copy.ledger)
    assert {e["key"] for e in found.failed_emails} == {"a:receipt", "b:unreadable"}
    assert [(p["client"], p["attempts"]) for p in found.pending_publish] == [(BROKEN, 1)]

    # the next pass, once due, fails them again with a longer wait; nothing good is held up
    later = now + backoff(1)
    copy.store.apply(
        Change(
            "evt_more", outbox=[OutboxItem("g:good-again", "email", {"mail": good.as_payload()})]
        )
    )
    again = drain(copy.store, handlers(services), now=lambda: later)
    assert again.done == ["g:good-again"]
    assert sorted(again.retried) == ["a:receipt", "c:publish-broken"]
    receipt = next(i for i in copy.store.unsent() if i.key == "a:receipt")
    assert receipt.attempts == 2 and receipt.next_attempt == pytest.approx(later + backoff(2))


def _folder_site(copy: Copy) -> Any:
    from functions.site import FolderSite

    return FolderSite(copy.out / "public")
