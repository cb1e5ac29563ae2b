"""The reminders job end to end: the sample agency, the local store, a real SMTP server.

The sample is built once for the module; each test copies it and loads its ledger into
a fresh store. Emails go through the outbox drain and SmtpMailer to aiosmtpd on loopback.
"""

from __future__ import annotations

import json
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
from site_builder.bundle import accounts
from site_builder.cli import app
from site_builder.render import Theme
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.integration.test_mailer import SmtpServer

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


def deliver(store: Store, smtp: SmtpServer, now: float = 0.0) -> DrainReport:
    """Drain the outbox through SMTP until nothing is due at ``now`` (every pass, bounded)."""
    mailer = smtp.mailer(timeout=3.0)
    handlers = {
        "email": lambda p: mailer.send(Mail.from_payload(p["mail"])),
        "publish": lambda p: None,
    }
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
# (1 Dec); INV-2026-0130 pauses while a bank debit settles (2-8 Dec: no overdue-7) and picks
# up at overdue-14 when it fails; INV-2026-0122 instalment 2 stops when paid (3 Dec) while
# instalment 3 has its own sequence; INV-2026-0131 stops when paid (10 Dec).
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
    ("2026-12-08", "INV-2026-0132", 0, "due", False),
    ("2026-12-08", "INV-2026-0134", 0, "overdue-7", False),
    ("2026-12-09", "INV-2026-0129", 0, "overdue-7", False),
    ("2026-12-09", "INV-2026-0132", 0, "overdue-1", False),
    ("2026-12-09", "INV-2026-0135", 0, "overdue-7", False),
    ("2026-12-09", "INV-2026-0137", 0, "due", False),
    ("2026-12-10", "INV-2026-0130", 0, "overdue-14", True),
    ("2026-12-10", "INV-2026-0136", 0, "overdue-7", False),
    ("2026-12-10", "INV-2026-0137", 0, "overdue-1", False),
    ("2026-12-14", "INV-2026-0133", 2, "overdue-14", True),
    ("2026-12-15", "INV-2026-0132", 0, "overdue-7", False),
    ("2026-12-15", "INV-2026-0134", 0, "overdue-14", True),
    ("2026-12-15", "RET-2026-YANTAR-2026-11", 0, "overdue-30", True),
    ("2026-12-16", "INV-2026-0135", 0, "overdue-14", True),
    ("2026-12-16", "INV-2026-0137", 0, "overdue-7", False),
    ("2026-12-17", "INV-2026-0136", 0, "overdue-14", True),
    ("2026-12-18", "INV-2026-0121", 0, "overdue-60", True),
    ("2026-12-18", "INV-2026-0122", 3, "before-10", False),
    ("2026-12-18", "INV-2026-0126", 0, "overdue-30", True),
    ("2026-12-21", "INV-2026-0127", 0, "overdue-30", True),
    ("2026-12-22", "INV-2026-0132", 0, "overdue-14", True),
    ("2026-12-23", "INV-2026-0122", 3, "before-5", False),
    ("2026-12-23", "INV-2026-0128", 0, "overdue-30", True),
    ("2026-12-23", "INV-2026-0129", 0, "overdue-21", False),
    ("2026-12-23", "INV-2026-0137", 0, "overdue-14", True),
    ("2026-12-28", "INV-2026-0120", 0, "overdue-75", True),
    ("2026-12-28", "INV-2026-0122", 3, "due", False),
    ("2026-12-28", "INV-2026-0123", 0, "overdue-60", True),
    ("2026-12-28", "INV-2026-0130", 0, "overdue-30", True),
    ("2026-12-29", "INV-2026-0122", 3, "overdue-1", False),
    ("2026-12-30", "INV-2026-0133", 2, "overdue-30", True),
    ("2026-12-31", "INV-2026-0134", 0, "overdue-30", True),
    ("2027-01-04", "INV-2026-0122", 3, "overdue-7", False),
    ("2027-01-04", "INV-2026-0125", 0, "overdue-60", True),
    ("2027-01-04", "INV-2026-0135", 0, "overdue-30", True),
    ("2027-01-04", "INV-2026-0136", 0, "overdue-30", True),
    ("2027-01-05", "INV-2026-0116", 0, "overdue-90", True),
    ("2027-01-07", "INV-2026-0132", 0, "overdue-30", True),
    ("2027-01-08", "INV-2026-0137", 0, "overdue-30", True),
    ("2027-01-11", "INV-2026-0122", 3, "overdue-14", True),
    ("2027-01-14", "RET-2026-YANTAR-2026-11", 0, "overdue-60", True),
    ("2027-01-18", "INV-2026-0121", 0, "overdue-90", True),
    ("2027-01-18", "INV-2026-0126", 0, "overdue-60", True),
    ("2027-01-18", "INV-2026-0127", 0, "overdue-60", True),
    ("2027-01-18", "INV-2026-0129", 0, "overdue-45", True),
    ("2027-01-22", "INV-2026-0128", 0, "overdue-60", True),
    ("2027-01-25", "INV-2026-0120", 0, "overdue-105", True),
    ("2027-01-25", "INV-2026-0130", 0, "overdue-60", True),
    ("2027-01-27", "INV-2026-0122", 3, "overdue-30", True),
    ("2027-01-27", "INV-2026-0123", 0, "overdue-90", True),
    ("2027-01-29", "INV-2026-0133", 2, "overdue-60", True),
    ("2027-02-01", "INV-2026-0134", 0, "overdue-60", True),
    ("2027-02-01", "INV-2026-0135", 0, "overdue-60", True),
    ("2027-02-01", "INV-2026-0136", 0, "overdue-60", True),
    ("2027-02-03", "INV-2026-0125", 0, "overdue-90", True),
    ("2027-02-04", "INV-2026-0116", 0, "overdue-120", True),
    ("2027-02-08", "INV-2026-0132", 0, "overdue-60", True),
    ("2027-02-08", "INV-2026-0137", 0, "overdue-60", True),
    ("2027-02-15", "INV-2026-0129", 0, "overdue-75", True),
    ("2027-02-15", "RET-2026-YANTAR-2026-11", 0, "overdue-90", True),
    ("2027-02-16", "INV-2026-0121", 0, "overdue-120", True),
    ("2027-02-16", "INV-2026-0126", 0, "overdue-90", True),
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
    clients = {
        number: e["client"]
        for number, e in json.loads((site.out / "build" / "ledger.json").read_bytes())[
            "invoices"
        ].items()
    }
    got: list[tuple[str, Received]] = []
    for i in range(90):
        day = SAMPLE_TODAY + timedelta(days=i)
        for invoice, fields in PAYMENTS.get(day, []):
            pay(store, site, invoice, day, **dict(fields))
        site.remind(day)
        start = len(smtp.handler.envelopes)
        report = deliver(store, smtp)
        assert not report.retried
        got += [(day.isoformat(), r) for r in received(smtp, start)]

    assert store.pending() == 0
    keys = [(r.invoice, r.instalment, r.step) for _, r in got]
    assert len(keys) == len(set(keys))  # no step twice
    for _, r in got:  # recipients and language are the client's
        to, cc, language = CLIENTS[clients[r.invoice]]
        assert r.to == to and r.cc in (frozenset(), cc) and r.language == language
        assert re.match(SUBJECT_WORDS[language], r.subject), r.subject
    assert sorted((d, r.invoice, r.instalment, r.step, bool(r.cc)) for d, r in got) == EXPECTED_WALK
