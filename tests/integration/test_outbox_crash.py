"""The outbox's crash window: a drain killed after the SMTP server took a mail, before "done".

A real process is killed with SIGKILL at that exact point: the drain runs in a subprocess
whose store's ``done`` kills its own process (a hook in the script below, written by this
test; the product has none). The mail went through the production handler
(``functions.work``) and ``SmtpMailer`` to aiosmtpd on loopback. Then a normal drain runs,
once the dead drain's lease is over. The promise (functions/outbox.py): the mail arrives at
most twice, both copies with the same Message-ID, and the item ends done.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

from functions.app import Services
from functions.mailer import Mail
from functions.outbox import LEASE, drain
from functions.snapshots import FolderSnapshots
from functions.store import Change, OutboxItem, SqliteStore
from functions.work import handlers
from tests.conftest import ROOT, SAMPLE_TODAY, SECRET
from tests.integration.conftest import SmtpServer

KEY = "receipt:pi_crash"
DIES_AT_DONE = """
import os, signal, sys
from functions.app import Services
from functions.mailer.smtp import SmtpMailer
from functions.outbox import drain
from functions.snapshots import FolderSnapshots
from functions.store import SqliteStore
from functions.work import handlers

store_path, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = SqliteStore(store_path)
store.done = lambda key: os.kill(os.getpid(), signal.SIGKILL)  # the crash, at the worst moment
services = Services(
    store=store,
    snapshots=FolderSnapshots(store_path + ".clients"),
    sessions=None,
    portal_secret=secret,
    webhook_secret="",
    mailer=SmtpMailer("127.0.0.1", port, timeout=5.0),
)
drain(store, handlers(services))
print("not killed")
"""


def message_ids(smtp: SmtpServer) -> list[str]:
    return [
        str(message_from_bytes(content, policy=policy.default)["Message-ID"])
        for _, _, content in smtp.handler.envelopes
    ]


def test_a_drain_killed_between_sending_and_done_repeats_the_mail_once(tmp_path: Path) -> None:
    smtp = SmtpServer()
    try:
        path = tmp_path / "store.sqlite3"
        store = SqliteStore(path)
        mail = Mail(
            to=("anna@acme.example",),
            subject="Receipt",
            text="Thank you",
            html="<p>Thank you</p>",
            sender="billing@northwind.example",
            message_id=KEY,
        )
        store.apply(Change("evt_1", outbox=[OutboxItem(KEY, "email", {"mail": mail.as_payload()})]))
        script = tmp_path / "dies_at_done.py"
        script.write_text(DIES_AT_DONE)
        started = time.time()
        killed = subprocess.run(
            [sys.executable, str(script), str(path), str(smtp.port), SECRET],
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        assert len(smtp.handler.envelopes) == 1  # the server had accepted it

        # not done, and held by the dead drain: nobody sends it again during its lease
        (item,) = store.unsent()
        assert item.key == KEY and item.next_attempt >= started + LEASE
        services = Services(
            store=store,
            snapshots=FolderSnapshots(tmp_path / "clients"),
            sessions=None,  # type: ignore[arg-type]  # the drain opens no checkout
            portal_secret=SECRET,
            webhook_secret="",
            today=lambda: SAMPLE_TODAY,
            mailer=smtp.mailer(),
        )
        assert drain(store, handlers(services)).done == []
        assert len(smtp.handler.envelopes) == 1

        # once the lease is over, the next drain sends it again, and marks it done
        after = time.time() + LEASE + 1
        assert drain(store, handlers(services), now=lambda: after).done == [KEY]
        assert store.unsent() == [] and store.pending() == 0
        assert drain(store, handlers(services), now=lambda: after + 10**6).done == []

        ids = message_ids(smtp)
        assert len(ids) == 2 and ids[0] == ids[1]  # one duplicate, recognisably the same mail
        assert ids[0].startswith("<receipt%3Api_crash@")
    finally:
        smtp.stop()
