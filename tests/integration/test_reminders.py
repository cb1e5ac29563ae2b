"""The reminders job end to end: the sample agency, the local store, a real SMTP server.

The sample is built once for the module; each test copies it and loads its ledger into
a fresh store. Emails go through the outbox drain and SmtpMailer to aiosmtpd on loopback.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.mailer import Mail
from functions.outbox import DrainReport, drain
from functions.recorded import with_store_payments
from functions.reminders import job
from functions.snapshots import FolderSnapshots
from functions.store import Change, Payment, SqliteStore, Store
from portal.cli import app
from site_builder.bundle import accounts
from site_builder.render import Theme
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.integration.conftest import SmtpServer

ENV = {"PORTAL_SECRET": SECRET, "CI": "1"}
MESSAGE_ID = re.compile(r"<reminder%3A(?P<invoice>[^%]+)%3A(?P<n>\d+)%3A(?P<step>[^@]+)@")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample, built once (as `portal build --today 2026-11-23` would)."""
    out = tmp_path_factory.mktemp("built")
    result = CliRunner().invoke(
        app,
        [
            "build",
            "--out",
            str(out),
            "--store",
            str(out / "unused.sqlite3"),
            "--today",
            SAMPLE_TODAY.isoformat(),
        ],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    return out


@dataclass
class Site:
    out: Path
    store_path: Path

    @property
    def store(self) -> SqliteStore:
        return SqliteStore(self.store_path)

    @property
    def snapshots(self) -> FolderSnapshots:
        return FolderSnapshots(self.out / "build" / "clients")

    def remind(self, day: date, *more: str) -> str:
        args = ["remind", "--content", str(SAMPLE), "--out", str(self.out)]
        args += ["--store", str(self.store_path), "--today", day.isoformat(), *more]
        result = CliRunner().invoke(app, args, env={**ENV, "COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return result.output

    def run(self, day: date, store: Store | None = None) -> job.RemindReport:
        return job.run(store or self.store, self.snapshots, Theme(), day, secret=SECRET)


def fresh_site(built: Path, tmp_path: Path) -> Site:
    out = tmp_path / "site"
    shutil.copytree(built, out, ignore=shutil.ignore_patterns("*.sqlite3*"))
    site = Site(out, tmp_path / "store.sqlite3")
    ledger = json.loads((out / "build" / "ledger.json").read_bytes())
    site.store.put_invoices(ledger["invoices"])
    return site


@pytest.fixture
def site(built: Path, tmp_path: Path) -> Site:
    return fresh_site(built, tmp_path)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


def deliver(
    store: Store, smtp: SmtpServer, now: float = 0.0, announced: list[str] | None = None
) -> DrainReport:
    """Drain the outbox through SMTP until nothing is due at ``now`` (every pass, bounded).

    Reminders carry their rendered mail; other emails (a new invoice's, rendered from the
    snapshot by functions.work) are only named in ``announced``: this file is about reminders.
    """
    mailer = smtp.mailer(timeout=3.0)

    def email(payload: dict[str, Any]) -> None:
        if "mail" in payload:
            mailer.send(Mail.from_payload(payload["mail"]))
        elif announced is not None:
            announced.append(f"{payload['template']}:{payload['invoice']}")
        else:
            raise AssertionError(f"an email this test did not expect: {payload}")

    handlers = {"email": email, "publish": lambda p: None}
    total = DrainReport()
    for _ in range(20):
        report = drain(store, handlers, now=lambda: now)
        total.done += report.done
        total.retried.update(report.retried)
        if len(report.done) + len(report.retried) < 50:
            break
    return total


@dataclass(frozen=True)
class Received:
    invoice: str
    instalment: int
    step: str
    to: frozenset[str]
    cc: frozenset[str]
    language: str
    subject: str


def received(smtp: SmtpServer, start: int = 0) -> list[Received]:
    """The reminders the server accepted (from envelope ``start`` on)."""
    mails = []
    for _, _, data in smtp.handler.envelopes[start:]:
        msg = message_from_bytes(data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        match = MESSAGE_ID.match(msg["Message-ID"])
        assert match, msg["Message-ID"]
        mails.append(
            Received(
                match["invoice"],
                int(match["n"]),
                match["step"],
                frozenset(a.addr_spec for a in msg["To"].addresses),
                frozenset(a.addr_spec for a in msg["Cc"].addresses) if msg["Cc"] else frozenset(),
                msg["Content-Language"],
                str(msg["Subject"]),
            )
        )
    return mails


def pay(store: Store, site: Site, invoice: str, day: date, **fields: Any) -> None:
    """A payment the functions recorded, of what the invoice (or instalment) owes that day."""
    entry = store.invoice(invoice)
    assert entry is not None
    bundle = site.snapshots.load(entry["client"])
    assert bundle is not None
    (account,) = [
        a for a in accounts(with_store_payments(bundle, store), day) if a.invoice.number == invoice
    ]
    n = fields.get("instalment")
    owed = (
        next(e.amount_due for e in account.statement.entries if e.n == n)
        if n
        else (account.statement.amount_due)
    )
    payment = Payment(
        id=fields.pop("id", f"pi_{invoice}_{day}"),
        invoice=invoice,
        client=entry["client"],
        amount=fields.pop("amount", owed),
        currency=entry["currency"],
        received=day.isoformat(),
        method=fields.pop("method", "card"),
        status=fields.pop("status", "succeeded"),
        **fields,
    )
    assert store.apply(Change(f"evt_{payment.id}_{payment.status}_{day}", payments=[payment]))


# --- the 90-day walk -------------------------------------------------------------------------

# Every client's billing contacts (To), leadership (Cc on escalation steps) and language.
CLIENTS = {
    "batik-warisan": (
        {"akaun@batikwarisan.example", "siti.hajar@batikwarisan.example"},
        {"faiz@batikwarisan.example"},
        "ms",
    ),
    "guanghua-tokyo": (
        {"accounting@guanghua-digital.example", "yichun.huang@guanghua-digital.example"},
        {"meiling.chen@guanghua-digital.example"},
        "zh-Hant",
    ),
    "harbor-light": (
        {"accounts@harborlight.example"},
        {"daniel.reyes@harborlight.example"},
        "en",
    ),
    "open-trails": ({"treasurer@opentrails.example"}, {"marcus.lee@opentrails.example"}, "en"),
    "thames-rowe": (
        {"accounts.payable@thamesrowe.example", "james.whitfield@thamesrowe.example"},
        {"oliver.bennett@thamesrowe.example"},
        "en-GB",
    ),
    "wislane-smaki": (
        {"ksiegowosc@wislanesmaki.example", "m.dabrowska@wislanesmaki.example"},
        {"l.krawczyk@wislanesmaki.example"},
        "pl",
    ),
    "xinghe": (
        {"finance@xinghe-tech.example", "liu.yang@xinghe-tech.example"},
        {"zhang.wei@xinghe-tech.example"},
        "zh-Hans",
    ),
    "yantar": ({"buh@yantarny-bereg.example"}, {"d.volkov@yantarny-bereg.example"}, "ru"),
}
SUBJECT_WORDS = {
    "en": r"^(Invoice|The balance of invoice) ",
    "en-GB": r"^Invoice ",
    "zh-Hans": r"^发票 ",
    "zh-Hant": r"^帳單 ",
    "ru": r"^(Срок оплаты|Оплата счёта|Сегодня срок)",
    "pl": r"^(Termin płatności|Faktura|Dziś mija)",
    "ms": r"^Invois ",
}
# Every email the SMTP server receives in the walk below, in order: (day, invoice,
# instalment (0: the invoice as a whole), step, leadership copied?). Reading it: steps on a
# weekend or holiday (26-27 Nov, 25 Dec, 1 Jan) go out the next working day, and when two
# land on one day only the later is sent; the first run (23 Nov) sends each open invoice its
# current step, not its missed ones; leadership is copied from 14 days overdue (open-trails:
# 30); after 30 days overdue a reminder every 30 days. INV-2026-0119 stops when disputed
# (1 Dec); INV-2026-0130 pauses while a bank debit settles (2-8 Dec: no overdue-7 on the 3rd)
# and, the day the debit fails, gets its current step (overdue-7), then overdue-14;
# INV-2026-0122 instalment 2 stops when paid (3 Dec) while instalment 3 has its own
# sequence; INV-2026-0131 stops when paid (10 Dec). Each run builds for its own day, so the
# yantar retainer's December, January and February invoices exist from their first day and
# have their own reminders.
EXPECTED_WALK: list[tuple[str, str, int, str, bool]] = [
    ("2026-11-23", "INV-2026-0116", 0, "overdue-30", True),
    ("2026-11-23", "INV-2026-0119", 0, "overdue-30", True),
    ("2026-11-23", "INV-2026-0120", 0, "overdue-21", False),
    ("2026-11-23", "INV-2026-0121", 0, "overdue-30", True),
    ("2026-11-23", "INV-2026-0122", 2, "before-10", False),
    ("2026-11-23", "INV-2026-0123", 0, "overdue-14", True),
    ("2026-11-23", "INV-2026-0125", 0, "overdue-14", True),
    ("2026-11-23", "INV-2026-0126", 0, "overdue-1", False),
    ("2026-11-23", "INV-2026-0127", 0, "overdue-1", False),
    ("2026-11-23", "INV-2026-0128", 0, "due", False),
    ("2026-11-23", "INV-2026-0130", 0, "before-3", False),
    ("2026-11-23", "INV-2026-0131", 0, "before-5", False),
    ("2026-11-23", "INV-2026-0133", 2, "before-10", False),
    ("2026-11-23", "INV-2026-0134", 0, "before-10", False),
    ("2026-11-23", "INV-2026-0135", 0, "before-10", False),
    ("2026-11-23", "INV-2026-0136", 0, "before-10", False),
    ("2026-11-23", "RET-2026-YANTAR-2026-11", 0, "overdue-7", False),
    ("2026-11-24", "INV-2026-0128", 0, "overdue-1", False),
    ("2026-11-25", "INV-2026-0122", 2, "before-5", False),
    ("2026-11-25", "INV-2026-0126", 0, "overdue-7", False),
    ("2026-11-25", "INV-2026-0129", 0, "before-7", False),
    ("2026-11-25", "INV-2026-0131", 0, "before-3", False),
    ("2026-11-25", "INV-2026-0133", 2, "before-5", False),
    ("2026-11-30", "INV-2026-0120", 0, "overdue-45", True),
    ("2026-11-30", "INV-2026-0122", 2, "due", False),
    ("2026-11-30", "INV-2026-0123", 0, "overdue-30", True),
    ("2026-11-30", "INV-2026-0127", 0, "overdue-7", False),
    ("2026-11-30", "INV-2026-0128", 0, "overdue-7", False),
    ("2026-11-30", "INV-2026-0129", 0, "before-3", False),
    ("2026-11-30", "INV-2026-0130", 0, "overdue-1", False),
    ("2026-11-30", "INV-2026-0131", 0, "overdue-1", False),
    ("2026-11-30", "INV-2026-0132", 0, "before-10", False),
    ("2026-11-30", "INV-2026-0133", 2, "due", False),
    ("2026-11-30", "INV-2026-0134", 0, "before-3", False),
    ("2026-11-30", "INV-2026-0135", 0, "before-3", False),
    ("2026-11-30", "INV-2026-0136", 0, "before-3", False),
    ("2026-11-30", "INV-2026-0137", 0, "before-10", False),
    ("2026-11-30", "RET-2026-YANTAR-2026-11", 0, "overdue-14", True),
    ("2026-12-01", "INV-2026-0122", 2, "overdue-1", False),
    ("2026-12-01", "INV-2026-0133", 2, "overdue-1", False),
    ("2026-12-01", "INV-2026-0134", 0, "due", False),
    ("2026-12-02", "INV-2026-0126", 0, "overdue-14", True),
    ("2026-12-02", "INV-2026-0129", 0, "due", False),
    ("2026-12-02", "INV-2026-0134", 0, "overdue-1", False),
    ("2026-12-02", "INV-2026-0135", 0, "due", False),
    ("2026-12-03", "INV-2026-0127", 0, "overdue-14", True),
    ("2026-12-03", "INV-2026-0132", 0, "before-5", False),
    ("2026-12-03", "INV-2026-0135", 0, "overdue-1", False),
    ("2026-12-03", "INV-2026-0136", 0, "due", False),
    ("2026-12-04", "INV-2026-0136", 0, "overdue-1", False),
    ("2026-12-04", "INV-2026-0137", 0, "before-5", False),
    ("2026-12-07", "INV-2026-0116", 0, "overdue-60", True),
    ("2026-12-07", "INV-2026-0125", 0, "overdue-30", True),
    ("2026-12-07", "INV-2026-0128", 0, "overdue-14", True),
    ("2026-12-07", "INV-2026-0131", 0, "overdue-7", False),
    ("2026-12-07", "INV-2026-0132", 0, "before-3", False),
    ("2026-12-07", "INV-2026-0133", 2, "overdue-7", False),
    ("2026-12-07", "INV-2026-0137", 0, "before-3", False),
    ("2026-12-07", "RET-2026-YANTAR-2026-12", 0, "before-10", False),
    ("2026-12-08", "INV-2026-0130", 0, "overdue-7", False),
    ("2026-12-08", "INV-2026-0132", 0, "due", False),
    ("2026-12-08", "INV-2026-0134", 0, "overdue-7", False),
    ("2026-12-09", "INV-2026-0129", 0, "overdue-7", False),
    ("2026-12-09", "INV-2026-0132", 0, "overdue-1", False),
    ("2026-12-09", "INV-2026-0135", 0, "overdue-7", False),
    ("2026-12-09", "INV-2026-0137", 0, "due", False),
    ("2026-12-10", "INV-2026-0130", 0, "overdue-14", True),
    ("2026-12-10", "INV-2026-0136", 0, "overdue-7", False),
    ("2026-12-10", "INV-2026-0137", 0, "overdue-1", False),
    ("2026-12-10", "RET-2026-YANTAR-2026-12", 0, "before-5", False),
    ("2026-12-14", "INV-2026-0133", 2, "overdue-14", True),
    ("2026-12-14", "RET-2026-YANTAR-2026-12", 0, "before-3", False),
    ("2026-12-15", "INV-2026-0132", 0, "overdue-7", False),
    ("2026-12-15", "INV-2026-0134", 0, "overdue-14", True),
    ("2026-12-15", "RET-2026-YANTAR-2026-11", 0, "overdue-30", True),
    ("2026-12-15", "RET-2026-YANTAR-2026-12", 0, "due", False),
    ("2026-12-16", "INV-2026-0135", 0, "overdue-14", True),
    ("2026-12-16", "INV-2026-0137", 0, "overdue-7", False),
    ("2026-12-16", "RET-2026-YANTAR-2026-12", 0, "overdue-1", False),
    ("2026-12-17", "INV-2026-0136", 0, "overdue-14", True),
    ("2026-12-18", "INV-2026-0121", 0, "overdue-60", True),
    ("2026-12-18", "INV-2026-0122", 3, "before-10", False),
    ("2026-12-18", "INV-2026-0126", 0, "overdue-30", True),
    ("2026-12-21", "INV-2026-0127", 0, "overdue-30", True),
    ("2026-12-22", "INV-2026-0132", 0, "overdue-14", True),
    ("2026-12-22", "RET-2026-YANTAR-2026-12", 0, "overdue-7", False),
    ("2026-12-23", "INV-2026-0122", 3, "before-5", False),
    ("2026-12-23", "INV-2026-0128", 0, "overdue-30", True),
    ("2026-12-23", "INV-2026-0129", 0, "overdue-21", False),
    ("2026-12-23", "INV-2026-0137", 0, "overdue-14", True),
    ("2026-12-28", "INV-2026-0120", 0, "overdue-75", True),
    ("2026-12-28", "INV-2026-0122", 3, "due", False),
    ("2026-12-28", "INV-2026-0123", 0, "overdue-60", True),
    ("2026-12-28", "INV-2026-0130", 0, "overdue-30", True),
    ("2026-12-29", "INV-2026-0122", 3, "overdue-1", False),
    ("2026-12-29", "RET-2026-YANTAR-2026-12", 0, "overdue-14", True),
    ("2026-12-30", "INV-2026-0133", 2, "overdue-30", True),
    ("2026-12-31", "INV-2026-0134", 0, "overdue-30", True),
    ("2027-01-04", "INV-2026-0122", 3, "overdue-7", False),
    ("2027-01-04", "INV-2026-0125", 0, "overdue-60", True),
    ("2027-01-04", "INV-2026-0135", 0, "overdue-30", True),
    ("2027-01-04", "INV-2026-0136", 0, "overdue-30", True),
    ("2027-01-05", "INV-2026-0116", 0, "overdue-90", True),
    ("2027-01-05", "RET-2026-YANTAR-2027-01", 0, "before-10", False),
    ("2027-01-07", "INV-2026-0132", 0, "overdue-30", True),
    ("2027-01-08", "INV-2026-0137", 0, "overdue-30", True),
    ("2027-01-11", "INV-2026-0122", 3, "overdue-14", True),
    ("2027-01-11", "RET-2026-YANTAR-2027-01", 0, "before-5", False),
    ("2027-01-12", "RET-2026-YANTAR-2027-01", 0, "before-3", False),
    ("2027-01-14", "RET-2026-YANTAR-2026-11", 0, "overdue-60", True),
    ("2027-01-14", "RET-2026-YANTAR-2026-12", 0, "overdue-30", True),
    ("2027-01-15", "RET-2026-YANTAR-2027-01", 0, "due", False),
    ("2027-01-18", "INV-2026-0121", 0, "overdue-90", True),
    ("2027-01-18", "INV-2026-0126", 0, "overdue-60", True),
    ("2027-01-18", "INV-2026-0127", 0, "overdue-60", True),
    ("2027-01-18", "INV-2026-0129", 0, "overdue-45", True),
    ("2027-01-18", "RET-2026-YANTAR-2027-01", 0, "overdue-1", False),
    ("2027-01-22", "INV-2026-0128", 0, "overdue-60", True),
    ("2027-01-22", "RET-2026-YANTAR-2027-01", 0, "overdue-7", False),
    ("2027-01-25", "INV-2026-0120", 0, "overdue-105", True),
    ("2027-01-25", "INV-2026-0130", 0, "overdue-60", True),
    ("2027-01-27", "INV-2026-0122", 3, "overdue-30", True),
    ("2027-01-27", "INV-2026-0123", 0, "overdue-90", True),
    ("2027-01-29", "INV-2026-0133", 2, "overdue-60", True),
    ("2027-01-29", "RET-2026-YANTAR-2027-01", 0, "overdue-14", True),
    ("2027-02-01", "INV-2026-0134", 0, "overdue-60", True),
    ("2027-02-01", "INV-2026-0135", 0, "overdue-60", True),
    ("2027-02-01", "INV-2026-0136", 0, "overdue-60", True),
    ("2027-02-03", "INV-2026-0125", 0, "overdue-90", True),
    ("2027-02-04", "INV-2026-0116", 0, "overdue-120", True),
    ("2027-02-05", "RET-2026-YANTAR-2027-02", 0, "before-10", False),
    ("2027-02-08", "INV-2026-0132", 0, "overdue-60", True),
    ("2027-02-08", "INV-2026-0137", 0, "overdue-60", True),
    ("2027-02-10", "RET-2026-YANTAR-2027-02", 0, "before-5", False),
    ("2027-02-12", "RET-2026-YANTAR-2027-02", 0, "before-3", False),
    ("2027-02-15", "INV-2026-0129", 0, "overdue-75", True),
    ("2027-02-15", "RET-2026-YANTAR-2026-11", 0, "overdue-90", True),
    ("2027-02-15", "RET-2026-YANTAR-2026-12", 0, "overdue-60", True),
    ("2027-02-15", "RET-2026-YANTAR-2027-01", 0, "overdue-30", True),
    ("2027-02-15", "RET-2026-YANTAR-2027-02", 0, "due", False),
    ("2027-02-16", "INV-2026-0121", 0, "overdue-120", True),
    ("2027-02-16", "INV-2026-0126", 0, "overdue-90", True),
    ("2027-02-16", "RET-2026-YANTAR-2027-02", 0, "overdue-1", False),
    ("2027-02-17", "INV-2026-0127", 0, "overdue-90", True),
]

# What happens during the walk, before that day's run.
PAYMENTS: dict[date, list[tuple[str, dict[str, Any]]]] = {
    # a card payment the client disputes with its bank: a person must look, reminders stop
    date(2026, 12, 1): [("INV-2026-0119", {"id": "pi_0119", "amount": 100000, "disputed": True})],
    # a bank debit still settling counts as paid ...
    date(2026, 12, 2): [
        ("INV-2026-0130", {"id": "pi_0130", "method": "bank_debit", "status": "pending"})
    ],
    # the second instalment is paid: its sequence stops, the third's goes on
    date(2026, 12, 3): [("INV-2026-0122", {"instalment": 2})],
    # ... until it fails: the reminders pick up again at the next step
    date(2026, 12, 8): [
        ("INV-2026-0130", {"id": "pi_0130", "method": "bank_debit", "status": "failed"})
    ],
    # paid in full mid-way through its overdue reminders
    date(2026, 12, 10): [("INV-2026-0131", {})],
}


def test_ninety_days_of_the_sample_agency(site: Site, smtp: SmtpServer) -> None:
    store = site.store
    got: list[tuple[str, Received]] = []
    announced: dict[str, list[str]] = {}
    for i in range(90):
        day = SAMPLE_TODAY + timedelta(days=i)
        for invoice, fields in PAYMENTS.get(day, []):
            pay(store, site, invoice, day, **dict(fields))
        site.remind(day)
        start = len(smtp.handler.envelopes)
        report = deliver(store, smtp, announced=announced.setdefault(day.isoformat(), []))
        assert not report.retried
        got += [(day.isoformat(), r) for r in received(smtp, start)]

    # the retainer's periods are new invoices on their first days, each announced once
    assert {d: a for d, a in announced.items() if a} == {
        "2026-12-01": ["invoice:RET-2026-YANTAR-2026-12"],
        "2027-01-01": ["invoice:RET-2026-YANTAR-2027-01"],
        "2027-02-01": ["invoice:RET-2026-YANTAR-2027-02"],
    }

    assert store.pending() == 0
    keys = [(r.invoice, r.instalment, r.step) for _, r in got]
    assert len(keys) == len(set(keys))  # no step twice
    # each run builds for its day: a retainer's new period is an invoice from its first day
    ledger = json.loads((site.out / "build" / "ledger.json").read_bytes())["invoices"]
    clients = {number: e["client"] for number, e in ledger.items()}
    for _, r in got:  # recipients and language are the client's
        to, cc, language = CLIENTS[clients[r.invoice]]
        assert r.to == to and r.cc in (frozenset(), cc) and r.language == language
        assert re.match(SUBJECT_WORDS[language], r.subject), r.subject
    assert sorted((d, r.invoice, r.instalment, r.step, bool(r.cc)) for d, r in got) == EXPECTED_WALK


# --- exactly once -------------------------------------------------------------------------


def outbox_keys(store: Store) -> list[str]:
    return sorted(i.key for i in store.unsent())


def test_rerunning_a_day_sends_nothing_new(site: Site, smtp: SmtpServer) -> None:
    first = site.remind(SAMPLE_TODAY)
    assert "17 reminders queued" in first
    queued = outbox_keys(site.store)
    assert len(queued) == 17
    again = site.remind(SAMPLE_TODAY)
    assert "0 reminders queued" in again and "0 looked at" in again  # the index offers nothing
    # even when every track is offered again (a stale index, a build in between)
    store = site.store
    ledger = json.loads((site.out / "build" / "ledger.json").read_bytes())["invoices"]
    store.put_invoices(ledger)
    with store._tx() as db:  # set every track back to today, as a lagging index might
        db.execute(
            "UPDATE reminder_tracks SET next_date = ? WHERE next_date IS NOT NULL",
            (SAMPLE_TODAY.isoformat(),),
        )
    report = site.run(SAMPLE_TODAY)
    assert report.looked_at > 17 and report.sent == [] and report.already == []
    assert outbox_keys(store) == queued
    deliver(store, smtp)
    site.remind(SAMPLE_TODAY)
    deliver(store, smtp)
    assert len(smtp.handler.envelopes) == 17


def _run_days(path: str, out: str, days: list[date], start: Any, results: Any) -> None:
    """One of two processes running the same days at the same time."""
    site = Site(Path(out), Path(path))
    store = site.store
    for day in days:
        start.wait(timeout=60)  # both processes on the same day together
        report = job.run(store, site.snapshots, Theme(), day, secret=SECRET)
        results.put(([r.key for r in report.sent], [r.key for r in report.already]))


def test_two_processes_on_the_same_days_send_each_reminder_once(
    built: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    days = [SAMPLE_TODAY + timedelta(days=i) for i in range(14)]
    reference = fresh_site(built, tmp_path / "reference")
    expected = sorted(r.key for day in days for r in reference.run(day).sent)

    site = fresh_site(built, tmp_path / "shared")
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(
            target=_run_days, args=(str(site.store_path), str(site.out), days, start, results)
        )
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * len(days))]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    sent = [key for keys, _ in outcomes for key in keys]
    refused = [key for _, keys in outcomes for key in keys]
    assert sorted(sent) == expected  # each once, between them
    assert set(refused) <= set(expected)  # what the slower one decided too, refused
    assert outbox_keys(site.store) == expected
    logged = [
        r.key
        for number in {k.split(":")[1] for k in expected}
        for r in site.store.reminders(number)
    ]
    assert sorted(logged) == expected
    deliver(site.store, smtp)
    ids = [r.invoice + ":" + str(r.instalment) + ":" + r.step for r in received(smtp)]
    assert sorted(f"reminder:{i}" for i in ids) == expected


class Crash(RuntimeError):
    pass


class CrashingStore(SqliteStore):
    """Dies in the middle of a run: before (or just after) the ``at``-th batch is written."""

    def __init__(self, path: Path, at: int, after_write: bool) -> None:
        super().__init__(path)
        self.at, self.after_write, self.calls = at, after_write, 0

    def record_reminders(self, reminders: Any) -> list[bool]:
        self.calls += 1
        if self.calls == self.at and not self.after_write:
            raise Crash("killed before the write")
        done = super().record_reminders(reminders)
        if self.calls == self.at:
            raise Crash("killed after the write, before anyone heard of it")
        return done


@pytest.mark.parametrize("after_write", [False, True])
def test_a_crash_mid_run_then_a_rerun_sends_each_reminder_once(
    site: Site, after_write: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job, "BATCH", 4)  # 17 reminders: five batches
    with pytest.raises(Crash):
        site.run(SAMPLE_TODAY, CrashingStore(site.store_path, at=3, after_write=after_write))
    written = len(outbox_keys(site.store))
    assert written == (12 if after_write else 8)
    rerun = site.run(SAMPLE_TODAY)
    assert len(rerun.sent) == 17 - written and rerun.already == []
    assert len(set(outbox_keys(site.store))) == 17
    assert site.run(SAMPLE_TODAY).sent == []


# --- delivery -------------------------------------------------------------------------------


def test_a_day_of_smtp_refusals_loses_nothing_and_repeats_nothing(
    site: Site, smtp: SmtpServer
) -> None:
    store = site.store
    smtp.handler.rcpt_reply = "451 4.3.0 mailbox busy, try again later"
    clock = 1_800_000_000.0  # the drain's clock: a day of tries, every hour
    site.remind(SAMPLE_TODAY)
    for hour in range(24):
        report = deliver(store, smtp, now=clock + hour * 3600)
        assert report.done == []
    site.remind(SAMPLE_TODAY + timedelta(days=1))  # the next day's run, server still refusing
    deliver(store, smtp, now=clock + 24 * 3600)
    unsent = store.unsent()
    assert len(unsent) == 18 and smtp.handler.envelopes == []
    assert all(i.attempts >= 1 and "451" in i.last_error for i in unsent)
    shown = site.remind(SAMPLE_TODAY + timedelta(days=1), "--dry-run")  # the failure is visible
    assert "18 reminder emails in the outbox" in shown and "not sent yet" in shown
    from site_builder.receivables.attention import attention

    ledger = json.loads((site.out / "build" / "ledger.json").read_bytes())["invoices"]
    failed = attention(store, ledger, client="xinghe").failed_emails  # as `portal status` shows
    assert {(f["invoice"], f["subject"]) for f in failed} >= {
        ("INV-2026-0131", "发票 INV-2026-0131 将在 5 天后到期")
    }

    smtp.handler.rcpt_reply = None  # the server is back
    later = clock + 24 * 3600 + 6 * 3600  # past the longest back-off
    report = deliver(store, smtp, now=later)
    assert len(report.done) == 18 and store.pending() == 0
    assert deliver(store, smtp, now=later + 10**6).done == []
    keys = [(r.invoice, r.instalment, r.step) for r in received(smtp)]
    assert len(keys) == 18 == len(set(keys))


# --- the same job on DynamoDB ------------------------------------------------------------------


def test_the_job_on_dynamodb_queues_what_it_queues_on_sqlite(
    site: Site, moto_endpoint: str
) -> None:
    import threading
    import uuid

    from functions.store import DynamoStore
    from functions.store.dynamodb import create_table
    from tests.integration.conftest import aws_client

    name = f"remind-{uuid.uuid4().hex[:12]}"
    create_table(aws_client("dynamodb", moto_endpoint), name)
    dynamo = DynamoStore(name, aws_client("dynamodb", moto_endpoint))
    dynamo.put_invoices(json.loads((site.out / "build" / "ledger.json").read_bytes())["invoices"])
    days = [SAMPLE_TODAY + timedelta(days=i) for i in range(8)]
    for day in days[:-1]:
        site.run(day)
        site.run(day, dynamo)
    # the last day: two writers at once on DynamoDB, each with its own client
    site.run(days[-1])
    start = threading.Barrier(2)
    reports: list[job.RemindReport] = []

    def run(store: DynamoStore) -> None:
        start.wait()
        reports.append(site.run(days[-1], store))

    writers = [
        threading.Thread(
            target=run, args=(DynamoStore(name, aws_client("dynamodb", moto_endpoint)),)
        )
        for _ in range(2)
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=120)
    assert len(reports) == 2
    sent = [r.key for report in reports for r in report.sent]
    assert len(sent) == len(set(sent))

    def outbox(store: Store) -> dict[str, Any]:
        return {i.key: i.payload for i in store.unsent()}

    assert outbox(dynamo) == outbox(site.store) and len(outbox(dynamo)) > 20
    assert site.run(days[-1], dynamo).sent == []  # a rerun: nothing new
    number = "INV-2026-0131"
    assert [(r.step, r.day) for r in dynamo.reminders(number)] == [
        (r.step, r.day) for r in site.store.reminders(number)
    ]


# --- the command -------------------------------------------------------------------------------


def test_dry_run_prints_the_table_and_changes_nothing(site: Site) -> None:
    store = site.store
    tracks = store.reminders_due("2099-01-01")
    shown = site.remind(SAMPLE_TODAY, "--dry-run")
    assert "Would send on 2026-11-23" in shown
    assert "17 reminders would be queued" in shown
    for words in ("INV-2026-0125", "overdue-14", "faiz@batikwarisan.example", "帳單 INV-2026-0128"):
        assert words in shown
    assert store.unsent() == [] and store.reminders_due("2099-01-01") == tracks
    assert store.reminders("INV-2026-0125") == []


def as_json(output: str) -> dict[str, Any]:
    """The JSON document at the start of the command's output (the summary follows it)."""
    return json.JSONDecoder().raw_decode(output)[0]


def test_a_dry_run_on_any_day_lists_what_the_real_run_then_queues(site: Site) -> None:
    """Both build up to the day (the dry run in memory and in a copy of the store): a
    retainer's new period and fees that fell due since the last build are in both."""
    manifest = (site.out / "build" / "manifest.json").read_bytes()
    site.remind(SAMPLE_TODAY)
    for day in (SAMPLE_TODAY + timedelta(days=9), date(2026, 12, 15), date(2027, 1, 15)):
        before = (outbox_keys(site.store), (site.out / "build" / "manifest.json").read_bytes())
        planned = as_json(site.remind(day, "--dry-run", "--format", "json"))
        assert (outbox_keys(site.store), (site.out / "build" / "manifest.json").read_bytes()) == (
            before
        )  # the dry run changed nothing
        done = as_json(site.remind(day, "--format", "json"))
        assert [r["key"] for r in planned["reminders"]] == [r["key"] for r in done["reminders"]]
        assert planned["reminders"], day
        assert [r["amount_due"] for r in planned["reminders"]] == [
            r["amount_due"] for r in done["reminders"]
        ]
    assert (site.out / "build" / "manifest.json").read_bytes() != manifest
    assert any("RET-2026-YANTAR-2026-12" in k for k in outbox_keys(site.store))


def test_remind_builds_first_when_there_is_no_build(tmp_path: Path) -> None:
    site = Site(tmp_path / "fresh", tmp_path / "store.sqlite3")
    runner = CliRunner()
    base = ["remind", "--content", str(SAMPLE), "--out", str(site.out)]
    base += ["--store", str(site.store_path), "--today", SAMPLE_TODAY.isoformat()]
    nothing = runner.invoke(app, [*base, "--dry-run"], env=ENV)
    assert nothing.exit_code == 2 and "run `portal build` first" in nothing.output
    assert "17 reminders queued" in site.remind(SAMPLE_TODAY)
    assert (site.out / "build" / "ledger.json").exists()
    bad = runner.invoke(app, [*base[:-1], "23/11/2026"], env=ENV)
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_a_big_day_decided_in_worker_processes_queues_the_same(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = fresh_site(built, tmp_path / "serial")
    forked = fresh_site(built, tmp_path / "forked")
    for day in (SAMPLE_TODAY, SAMPLE_TODAY + timedelta(days=7)):
        serial.run(day)
        monkeypatch.setattr(job, "PARALLEL_FROM", 1)  # the sample's days are small
        report = job.run(forked.store, forked.snapshots, Theme(), day, secret=SECRET, workers=2)
        monkeypatch.undo()
        assert report.sent and report.problems == []

    def outbox(store: Store) -> dict[str, Any]:
        return {i.key: i.payload for i in store.unsent()}

    assert outbox(forked.store) == outbox(serial.store)


def test_a_queued_reminder_is_no_longer_wanted_once_the_invoice_is_paid(site: Site) -> None:
    store = site.store
    site.run(SAMPLE_TODAY)
    key = "reminder:INV-2026-0131:0:before-5"
    assert key in outbox_keys(store)
    assert job.still_wanted(key, store, site.snapshots, SAMPLE_TODAY)
    pay(store, site, "INV-2026-0131", SAMPLE_TODAY)
    assert not job.still_wanted(key, store, site.snapshots, SAMPLE_TODAY)
    assert job.still_wanted("receipt:pi_1", store, site.snapshots, SAMPLE_TODAY)
    instalment = "reminder:INV-2026-0122:2:before-10"
    assert job.still_wanted(instalment, store, site.snapshots, SAMPLE_TODAY)
    pay(store, site, "INV-2026-0122", SAMPLE_TODAY, instalment=2)
    assert not job.still_wanted(instalment, store, site.snapshots, SAMPLE_TODAY)


def test_the_scheduled_job_runs_for_the_services_day(site: Site) -> None:
    from functions.app import Services

    services = Services(
        store=site.store,
        snapshots=site.snapshots,
        sessions=None,  # type: ignore[arg-type]  # the job opens no checkout
        portal_secret=SECRET,
        webhook_secret="",
        today=lambda: SAMPLE_TODAY,
    )
    result = job.remind_job(services)
    assert result["queued"] == 17 and result["day"] == "2026-11-23" and result["problems"] == []
    assert job.remind_job(services)["queued"] == 0


def test_republishing_after_a_payment_takes_the_invoice_out_of_the_reminder_index(
    site: Site,
) -> None:
    from functions.publish import republish
    from functions.site import FolderSite

    store = site.store

    def due(invoice: str) -> list[str | None]:
        return [t.next_date for t in store.reminders_due("2099-01-01") if t.invoice == invoice]

    assert due("INV-2026-0131") == ["2026-11-18"]  # 10 days before 28 Nov, never looked at
    pay(store, site, "INV-2026-0131", SAMPLE_TODAY)
    republish(
        "xinghe",
        snapshots=site.snapshots,
        store=store,
        site=FolderSite(site.out / "public"),
        theme=Theme(),
        secret=SECRET,
        today=SAMPLE_TODAY,
    )
    assert due("INV-2026-0131") == []
    assert "INV-2026-0131" not in {r.invoice for r in site.run(SAMPLE_TODAY).sent}


def test_the_drain_drops_a_reminder_whose_invoice_was_paid_while_it_waited(
    site: Site, smtp: SmtpServer
) -> None:
    from functions.app import Services
    from functions.work import handlers

    site.run(SAMPLE_TODAY)
    paid_meanwhile = "reminder:INV-2026-0131:0:before-5"
    pay(site.store, site, "INV-2026-0131", SAMPLE_TODAY)
    services = Services(
        store=site.store,
        snapshots=site.snapshots,
        sessions=None,  # type: ignore[arg-type]  # the drain opens no checkout
        portal_secret=SECRET,
        webhook_secret="",
        today=lambda: SAMPLE_TODAY,
        mailer=smtp.mailer(),
    )
    work = {**handlers(services), "publish": lambda payload: None}
    report = drain(site.store, work, limit=500)
    assert paid_meanwhile in report.done  # done, not retried: nobody is asked to pay twice
    sent = {(r.invoice, r.instalment, r.step) for r in received(smtp)}
    assert ("INV-2026-0131", 0, "before-5") not in sent
    assert len(sent) == 16  # the day's other reminders went out
