"""Real local servers the integration tests share: moto's standalone AWS server, SMTP, and
the payment app itself (the sample built, uvicorn, a local Stripe) with its helpers."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller

from functions.app import Services, create_app
from functions.mailer.smtp import SmtpMailer
from functions.site import FolderSite
from functions.snapshots import FolderSnapshots
from functions.store import SqliteStore
from local.stripe_server.server import LocalStripe
from site_builder.build import build
from site_builder.tokens import client_token
from tests.conftest import ROOT, SAMPLE, SAMPLE_TODAY, SECRET


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's standalone server (see ``moto_server``) on a free local port, one per module."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.05)
        yield endpoint
    finally:
        server.kill()  # its state is in memory only; a polite SIGTERM spends ~2 s in the GC
        server.wait()


def aws_client(service: str, endpoint: str) -> Any:
    """A boto3 client for ``service`` on the local moto server, with dummy credentials."""
    import boto3

    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that records what it accepted and can be told to refuse."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.rcpt_reply: str | None = None  # e.g. "451 4.3.0 try later"
        self.refuse: set[str] = set()  # recipients answered 550
        self.data_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a free loopback port; ``stop`` and ``start`` again model an outage."""

    def __init__(self, **smtp_parameters: Any) -> None:
        self.handler = Recorder()
        self.port = free_port()
        self.parameters = smtp_parameters
        self.running = False
        self.start()

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=5.0, **self.parameters
        )
        self.controller.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False

    def mailer(self, **options: Any) -> SmtpMailer:
        options.setdefault("timeout", 3.0)
        return SmtpMailer("127.0.0.1", self.port, **options)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


# Currencies whose Stripe units are not ISO 4217's minor units: (client, currency, amount as
# written, what Stripe is sent, or None when Stripe cannot charge it exactly)
STRIPE_UNITS = {
    "INV-2026-0901": ("budapest", "HUF", "12700", 1270000),  # whole forints, counted in 1/100
    "INV-2026-0902": ("reykjavik", "ISK", "10000", 1000000),
    "INV-2026-0903": ("kuwait", "KWD", "10.490", 10490),
    # 10.490 KWD overdue since October: its late fees (3%, then 3% of the balance) make it
    # 11.129, which Stripe cannot charge (KWD in steps of 0.010): refused at Pay, not rounded
    "INV-2026-0904": ("kuwait", "KWD", "10.490", None),
}
OVERDUE = {"INV-2026-0904": ("2026-10-01", "2026-10-21")}  # issued, due


def _add_stripe_unit_invoices(content: Path) -> None:
    for number, (client, currency, amount, _) in STRIPE_UNITS.items():
        (content / "clients" / f"{client}.yaml").write_text(
            f"name: {client.title()} Ltd\nlocale: en\ncurrency: {currency}\n"
            f"contacts:\n  - {{name: Ana, email: ana@{client}.example, role: billing}}\n"
            "token_version: 1\n",
            encoding="utf-8",
        )
        issued, due = OVERDUE.get(number, ("2026-11-01", "2026-12-20"))
        (content / "invoices" / f"{number}.yaml").write_text(
            f"client: {client}\nissued: {issued}\ndue: {due}\ntitle: Retainer\n"
            f'items:\n  - {{description: Retainer, quantity: 1, unit_price: "{amount}"}}\n',
            encoding="utf-8",
        )


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The payment app under uvicorn on the built sample (plus the STRIPE_UNITS invoices), a
    local Stripe delivering its webhooks to it, SMTP for the outbox: one per test module."""
    out = tmp_path_factory.mktemp("site")
    content = out / "content"
    shutil.copytree(SAMPLE, content)
    _add_stripe_unit_invoices(content)
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    store = SqliteStore(out / "store.sqlite3")
    store.put_invoices(json.loads((out / "build" / "ledger.json").read_text())["invoices"])
    smtp = SmtpServer()
    with LocalStripe(duplicate_deliveries=2) as stripe_server:
        services = Services(
            store=store,
            snapshots=FolderSnapshots(out / "build" / "clients"),
            sessions=stripe_server.client().v1.checkout.sessions,
            portal_secret=SECRET,
            webhook_secret=stripe_server.webhook_secret,
            timezone="America/Los_Angeles",
            today=lambda: SAMPLE_TODAY,
            mailer=smtp.mailer(),
            site=FolderSite(out / "public"),
        )
        with app_server(services) as url:
            stripe_server.webhook_url = f"{url}/webhooks/stripe"
            yield {
                "url": url,
                "store": store,
                "stripe": stripe_server,
                "services": services,
                "smtp": smtp,
                "public": out / "public",
                "root": out,  # the build, the store and the site: where the app may write
            }
    smtp.stop()


@contextmanager
def app_server(services: Services) -> Iterator[str]:
    """The payment app under uvicorn on a free loopback port; yields its base URL."""
    config = uvicorn.Config(
        create_app(services), host="127.0.0.1", port=free_port(), log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started, 10)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def token(client: str = "harbor-light") -> str:
    return client_token(SECRET, client, 1)


def checkout(system: dict[str, Any], **form: str) -> httpx.Response:
    return httpx.post(f"{system['url']}/checkout", data=form, follow_redirects=False)


def session_of(system: dict[str, Any], location: str) -> dict[str, Any]:
    session_id = location.rsplit("/", 1)[1]
    return system["stripe"].client().v1.checkout.sessions.retrieve(session_id)
