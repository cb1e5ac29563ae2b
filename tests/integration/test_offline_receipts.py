"""Offline payments (``content/payments/``) get one receipt email through the local store:
``portal build --store``, then ``portal serve`` on the same store, a rebuild while serving,
a restart and another build. (The deployed stack's side is in test_deploy.py.)"""

from __future__ import annotations

import sqlite3
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from typer.testing import CliRunner

from portal.cli import app
from tests.conftest import SAMPLE_TODAY, SECRET
from tests.integration.test_serve import make_system, wait_until

INVOICE = "INV-2026-0130"  # harbor-light, open, $1,650.00


def cheque(content: Path, name: str, amount: str, day: str) -> str:
    (content / "payments" / f"{name}.yaml").write_text(
        f'invoice: {INVOICE}\namount: "{amount}"\ndate: {day}\nmethod: cheque\n'
        'reference: "Cheque no. 004519"\n',
        encoding="utf-8",
    )
    return name


def build_with_store(root: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "build",
            *("--content", str(root / "content"), "--out", str(root / "out")),
            *("--today", SAMPLE_TODAY.isoformat()),
            *("--store", str(root / ".portal" / "store.sqlite3")),
        ],
        env={"PORTAL_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output


def receipts(root: Path) -> list[str]:
    """Every receipt the store ever queued, sent or not."""
    with sqlite3.connect(root / ".portal" / "store.sqlite3") as db:
        rows = db.execute("SELECT key FROM outbox WHERE key LIKE 'receipt:%' ORDER BY key")
        return [key for (key,) in rows]


def mails(root: Path) -> list[EmailMessage]:
    folder = root / ".portal" / "outbox"
    found = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in found]  # type: ignore[misc]


def test_each_offline_payment_is_mailed_once_by_the_local_store(tmp_path: Path) -> None:
    root = tmp_path
    system, _ = make_system(root)  # copies the sample into root/content
    content = system.options.content
    build_with_store(root)
    assert receipts(root) == []  # a new store takes the sample's payments as history

    first = cheque(content, "pay-2026-11-21-harbor-light-cheque", "500.00", "2026-11-21")
    build_with_store(root)
    build_with_store(root)  # a second build of the same content queues nothing more
    assert receipts(root) == [f"receipt:{first}"]

    system.start()  # serve on the same store: it drains the receipt, queues no other
    try:
        wait_until(lambda: len(mails(root)) == 1)
        second = cheque(content, "pay-2026-11-22-harbor-light-cheque", "250.00", "2026-11-22")
        wait_until(lambda: len(mails(root)) == 2)  # the watcher's rebuild queued it
    finally:
        system.stop()
    again, _ = make_system(root)
    again.start()  # a restart loads the whole ledger again
    again.stop()
    build_with_store(root)
    assert receipts(root) == [f"receipt:{first}", f"receipt:{second}"]

    letters = {m["Subject"]: m.get_body(("plain",)).get_content() for m in mails(root)}  # type: ignore[union-attr]
    assert len(letters) == 2
    for amount in ("$500.00", "$250.00"):  # the method named as the content wrote it
        (text,) = [t for t in letters.values() if amount in t]
        assert INVOICE in text and "Cheque" in text, text
    assert all(INVOICE in subject for subject in letters)
