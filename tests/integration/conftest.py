"""Real local servers the integration tests share: moto's standalone AWS server, SMTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from functions.mailer.smtp import SmtpMailer
from tests.conftest import ROOT


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
