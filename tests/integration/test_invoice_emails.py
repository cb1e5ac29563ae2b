"""The invoice emails through the local store and ``portal serve``: a new invoice file is one
email with its PDF in the mailbox, a rerun sends none, a future-dated invoice is published and
sent on its day (a walk across the day through serve's own new-day step), a changed total is
one update, a void invoice one notice, and a client with ``notify:`` off gets none.
(The deployed stack's side is in test_deploy.py.)"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from typer.testing import CliRunner

from portal.cli import app
from tests.conftest import SAMPLE_TODAY, SECRET
from tests.integration.test_serve import make_system, wait_until

NEW = "INV-2026-0900"  # harbor-light (en), issued on the sample's day
LATER = "INV-2026-0901"  # harbor-light, issued two days later
QUIET = "INV-2026-0902"  # xinghe, whose client file turns new-invoice emails off
CHINESE = "INV-2026-0903"  # xinghe's again, once it wants them: in Chinese


def invoice(content: Path, number: str, client: str, issued: str, price: str) -> None:
    (content / "invoices" / f"{number}.yaml").write_text(
        f"client: {client}\nissued: {issued}\ntitle: Espresso bar photography\n"
        f'items:\n  - {{description: "Photography", quantity: 2, unit_price: "{price}"}}\n',
        encoding="utf-8",
    )


def build(root: Path, day: str = SAMPLE_TODAY.isoformat()) -> None:
    result = CliRunner().invoke(
        app,
        [
            "build",
            *("--content", str(root / "content"), "--out", str(root / "out")),
            *("--today", day),
            *("--store", str(root / ".portal" / "store.sqlite3")),
        ],
        env={"PORTAL_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output


def queued(root: Path) -> list[str]:
    """Every invoice email the store ever queued, sent or not."""
    with sqlite3.connect(root / ".portal" / "store.sqlite3") as db:
        rows = db.execute("SELECT key FROM outbox WHERE key LIKE 'invoice:%' ORDER BY key")
        return [key for (key,) in rows]


def mails(root: Path) -> dict[str, EmailMessage]:
    """The invoice emails in serve's mailbox, by subject."""
    folder = root / ".portal" / "outbox"
    found = sorted(folder.glob("invoice*.eml")) if folder.exists() else []
    parsed = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in found]
    return {str(m["Subject"]): m for m in parsed}  # type: ignore[misc]


def in_ledger(build: Path, number: str) -> bool:
    ledger = json.loads((build / "ledger.json").read_text("utf-8"))
    return number in ledger["invoices"]


def test_invoice_emails_through_the_local_store_and_serve(tmp_path: Path) -> None:
    root = tmp_path
    system, said = make_system(root)  # copies the sample into root/content
    content = system.options.content
    client_file = content / "clients" / "xinghe.yaml"
    client_file.write_text(
        client_file.read_text("utf-8") + "notify: {new_invoice: false}\n", encoding="utf-8"
    )
    build(root)
    assert queued(root) == []  # a new store takes the sample's invoices as history

    later = (SAMPLE_TODAY + timedelta(days=2)).isoformat()
    invoice(content, NEW, "harbor-light", SAMPLE_TODAY.isoformat(), "600.00")
    invoice(content, LATER, "harbor-light", later, "150.00")
    invoice(content, QUIET, "xinghe", SAMPLE_TODAY.isoformat(), "90.00")
    build(root)
    build(root)  # a rerun of the same content queues nothing more
    assert queued(root) == [f"invoice:{NEW}", f"invoice:{QUIET}"]
    # the future-dated one is not published: no page, no ledger entry
    assert not in_ledger(root / "out" / "build", LATER)
    assert not list((root / "out" / "public").rglob(f"{LATER}.*"))

    system.start()  # serve on the same store drains them
    try:
        subject = f"Invoice {NEW} from Northwind Studio"
        wait_until(lambda: subject in mails(root))
        message = mails(root)[subject]
        assert "accounts@harborlight.example" in str(message["To"])
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "Espresso bar photography" in text and "$1,200.00" in text
        assert f"/invoices/{NEW}.html" in text and "— in 21 days" not in text
        (pdf,) = [a for a in message.iter_attachments() if a.get_filename() == f"{NEW}.pdf"]
        data = pdf.get_payload(decode=True)
        assert data.startswith(b"%PDF")
        words = subprocess.run(
            ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
        assert NEW in words and "1,200.00" in words
        wait_until(lambda: not system.store.unsent())  # xinghe's dropped: notify is off
        assert list(mails(root)) == [subject]

        # the walk across the day, as serve's midnight does it
        system.new_day(SAMPLE_TODAY + timedelta(days=1))
        assert not in_ledger(system.build_dir, LATER)
        system.new_day(SAMPLE_TODAY + timedelta(days=2))
        assert in_ledger(system.build_dir, LATER), said
        later_subject = f"Invoice {LATER} from Northwind Studio"
        wait_until(lambda: later_subject in mails(root))
        system.new_day(SAMPLE_TODAY + timedelta(days=2))  # the same day again: no second
        assert queued(root).count(f"invoice:{LATER}") == 1
    finally:
        system.stop()

    # a changed total: one update, saying what changed; the same build again, none more
    day = (SAMPLE_TODAY + timedelta(days=2)).isoformat()
    invoice(content, NEW, "harbor-light", SAMPLE_TODAY.isoformat(), "700.00")
    build(root, day)
    build(root, day)
    updates = [k for k in queued(root) if k.startswith(f"invoice:{NEW}:update:")]
    assert len(updates) == 1
    # voided: one notice
    path = content / "invoices" / f"{LATER}.yaml"
    path.write_text(path.read_text("utf-8") + "status: void\n", encoding="utf-8")
    build(root, day)
    build(root, day)
    assert queued(root).count(f"invoice:{LATER}:void") == 1
    # xinghe turns the emails on again: its next invoice comes in its own language
    client_file.write_text(
        client_file.read_text("utf-8").replace("notify: {new_invoice: false}\n", ""), "utf-8"
    )
    invoice(content, CHINESE, "xinghe", day, "90.00")
    build(root, day)

    again, _ = make_system(root)
    again.start()  # a restart loads the whole ledger again: nothing new is queued
    try:
        wait_until(lambda: len(mails(root)) == 5)
        sent = mails(root)
        update = sent[f"Invoice {NEW} has been updated"]
        body = update.get_body(preferencelist=("plain",)).get_content()
        assert "Total: $1,200.00 → $1,400.00" in body
        assert f"Invoice {LATER} has been cancelled" in sent
        chinese = sent[f"来自 Northwind Studio 的发票 {CHINESE}"]
        assert "finance@xinghe-tech.example" in str(chinese["To"])
    finally:
        again.stop()
    assert len(mails(root)) == 5
