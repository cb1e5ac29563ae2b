"""The monthly statement email end to end: the sample built on a statement day, the reminders
job queueing through the local store, the drain sending to a real SMTP server.

The agency turns statements on for the 1st; one client turns them off for itself.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from functions.app import Services
from functions.outbox import drain
from functions.reminders import job
from functions.snapshots import FolderSnapshots
from functions.store import SqliteStore
from functions.work import handlers
from site_builder.build import build
from site_builder.render import Theme
from site_builder.tokens import client_token
from tests.conftest import SECRET
from tests.integration.conftest import SmtpServer

DAY = date(2026, 12, 1)
OPTED_OUT = "xinghe"
MESSAGE_ID = re.compile(r"<statement%3A(?P<client>[^%]+)%3A(?P<month>\d{4}-\d{2})@")
CLOSING = re.compile(r'<tr class="closing">.*?<strong>(?P<amount>[^<]+)</strong>', re.S)


@pytest.fixture
def agency(content: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with (content / "agency.yaml").open("a") as f:
        f.write("\nstatements: {email: monthly, day: 1}\n")
    with (content / "clients" / f"{OPTED_OUT}.yaml").open("a") as f:
        f.write("\nstatements: {email: off}\n")
    out = tmp_path / "out"
    build(content, out, DAY, secret=SECRET)
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.put_invoices(json.loads((out / "build" / "ledger.json").read_text())["invoices"])
    smtp = SmtpServer()
    today = {"day": DAY}
    services = Services(
        store=store,
        snapshots=FolderSnapshots(out / "build" / "clients"),
        sessions=None,  # type: ignore[arg-type]  # no checkout here
        portal_secret=SECRET,
        webhook_secret="whsec_unused",
        today=lambda: today["day"],
        mailer=smtp.mailer(),
        site=None,
    )
    try:
        yield {"out": out, "store": store, "services": services, "smtp": smtp, "today": today}
    finally:
        smtp.stop()


def spaced(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def remind(agency: dict[str, Any], day: date, *, dry_run: bool = False) -> job.RemindReport:
    agency["today"]["day"] = day
    services = agency["services"]
    return job.run(services.store, services.snapshots, Theme(), day, secret=SECRET, dry_run=dry_run)


def test_one_statement_a_client_a_month(agency: dict[str, Any]) -> None:
    store = agency["store"]
    every = store.clients()
    assert OPTED_OUT in every

    dry = remind(agency, DAY, dry_run=True)
    first = remind(agency, DAY)
    queued = sorted(r.client for r in first.statements)
    assert [r.client for r in dry.statements] == queued  # the dry run listed the same
    assert OPTED_OUT not in queued
    assert queued and set(queued) < set(every)
    assert all(r.key == f"statement:{r.client}:2026-12" for r in first.statements)
    in_outbox = sorted(i.key for i in store.unsent() if i.key.startswith("statement:"))
    assert in_outbox == [f"statement:{c}:2026-12" for c in queued]

    again = remind(agency, DAY)  # a rerun, or an overlapping run: nothing new
    assert again.statements == [] and sorted(r.client for r in again.statements_before) == queued
    assert remind(agency, date(2026, 12, 2)).statements == []  # the day after: not the day
    assert remind(agency, date(2026, 12, 2)).statements_before == []
    in_outbox_after = sorted(i.key for i in store.unsent() if i.key.startswith("statement:"))
    assert in_outbox_after == in_outbox

    # the emails go out on the day, each naming the closing balance the page shows, with the
    # page's PDF attached
    agency["today"]["day"] = DAY
    report = drain(store, handlers(agency["services"]), limit=500)
    assert not report.retried
    sent = {}
    for _, _, data in agency["smtp"].handler.envelopes:
        mail = message_from_bytes(data, policy=policy.default)
        found = MESSAGE_ID.search(mail["Message-ID"])
        if found is not None:
            assert found["month"] == "2026-12"
            sent[found["client"]] = mail
    assert sorted(sent) == queued
    for client, mail in sent.items():
        snapshot = agency["services"].snapshots.load(client)
        token = client_token(SECRET, client, snapshot.client.token_version)
        page = (agency["out"] / "public" / "c" / token / "statement.html").read_text()
        closings = [html.unescape(m["amount"]) for m in CLOSING.finditer(page)]
        assert closings, client
        text = mail.get_body(("plain",)).get_content()
        for amount in closings:
            assert amount in text, (client, amount)
        assert f"/c/{token}/statement.html" in text
        (pdf,) = mail.iter_attachments()
        assert pdf.get_filename() == "statement.pdf"
        words = subprocess.run(
            ["pdftotext", "-", "-"],
            input=pdf.get_payload(decode=True),
            capture_output=True,
            check=True,
        ).stdout.decode()
        for amount in closings:  # pdftotext gives the figures' no-break spaces as spaces
            assert spaced(amount) in spaced(words), (client, amount)

    # the next month: again, once each
    january = remind(agency, date(2027, 1, 1))
    assert january.statements and OPTED_OUT not in {r.client for r in january.statements}
    assert all(r.key.endswith(":2027-01") for r in january.statements)
    assert remind(agency, date(2027, 1, 1)).statements == []
