"""The browser tests' machinery: ``portal serve`` as a subprocess, and Debian's Chromium.

Chromium comes from Debian's package (``.ci/run`` installs it when missing);
Playwright for Python drives it, with no browser download of its own. A missing
Chromium fails these tests with a message saying how to install it: they are
never skipped.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, SAMPLE, SAMPLE_TODAY, SECRET

# Screenshots and the printed invoice: kept after the run (gitignored), for a person to look at.
ARTIFACTS = Path(os.environ.get("PORTAL_TEST_ARTIFACTS", ROOT / "tests" / "artifacts" / "browser"))
CHROMIUM_ARGS = [
    # the flags this machine needs (no sandbox as root, and no background connections,
    # which the closed network refuses by the dozen)
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP = 60.0  # seconds for `portal serve` to build and listen (a cold CI machine compiles .pyc)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "Chromium is not installed: the browser tests need Debian's chromium "
            "(`apt-get install -y chromium fonts-noto-cjk`, which .ci/run does when it is "
            "missing).",
            pytrace=False,
        )
    return found


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Serve:
    """``portal serve`` running in ``workdir`` on a scratch copy of the sample content."""

    workdir: Path
    port: int = 0
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    portals: dict[str, str] = field(default_factory=dict)  # client id -> portal URL
    agency_url: str = ""
    site: str = ""
    checkout: str = ""
    # what Python runs as the `portal` command (a test may run it through a hook of its own)
    launcher: tuple[str, ...] = ("-m", "portal.cli")
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @property
    def content(self) -> Path:
        return self.workdir / "content"

    def start(self) -> Serve:
        if not self.content.exists():
            shutil.copytree(SAMPLE, self.content)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("STRIPE_", "MAIL_", "SMTP_", "PORTAL_", "AWS_"))
        }
        env.update(PORTAL_SECRET=SECRET, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
        command = [sys.executable, *self.launcher, "serve", "--port", str(self.port)]
        command += ["--content", str(self.content), "--today", SAMPLE_TODAY.isoformat()]
        self.process = subprocess.Popen(
            command,
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a Ctrl-C in the terminal running pytest is ours alone
        )
        self._queue = queue.Queue()
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        self._parse_announcement()
        return self

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _parse_announcement(self) -> None:
        deadline = time.monotonic() + STARTUP
        self.portals, self.agency_url = {}, ""
        agency_next = False
        while True:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("portal serve did not start:\n" + self.output()) from None
            if line is None:
                raise AssertionError("portal serve exited:\n" + self.output())
            self.lines.append(line)
            if agency_next:
                self.agency_url, agency_next = line.strip(), False
            elif line.startswith("Agency page"):
                agency_next = True
            elif match := re.match(r"^  (\S+)\s+(http://\S+/index\.html)\s", line):
                self.portals[match[1]] = match[2]
            elif match := re.search(r"checkout at (http://\S+) ", line):
                self.checkout = match[1]
            elif "Press Ctrl-C" in line:
                break
        self.site = origin(self.agency_url)
        self.port = int(urlsplit(self.site).port or 0)

    def output(self) -> str:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return "\n".join(self.lines)

    def stop(self) -> None:
        """Ctrl-C, as a person stops it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush, as a crash or a pulled plug."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class Guard:
    """Records what the pages of one browser context did that they must not do."""

    def __init__(self, allowed_origins: set[str]) -> None:
        self.allowed = allowed_origins
        self.problems: list[str] = []

    def watch(self, context: Any, page: Any) -> None:
        context.on("request", self._request)  # the page's frames (a letter's, too) included
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location})")

    def _request(self, request: Any) -> None:
        target = origin(request.url)
        if target not in self.allowed:
            self.problems.append(f"request to another origin: {request.url}")
        elif not request.is_navigation_request():
            # a page loads only from its own origin (a navigation may go to the checkout)
            page_origin = origin(request.frame.url)
            if target != page_origin:
                self.problems.append(f"{request.frame.url} loaded {request.url}")

    def check(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def guarded(browser: Any) -> Iterator[Any]:
    """A function that opens a new page whose requests and console are checked at the end."""
    contexts: list[tuple[Any, Guard]] = []

    def open_page(serve: Serve, locale: str = "en-US") -> Any:
        context = browser.new_context(locale=locale, viewport={"width": 1100, "height": 900})
        guard = Guard({serve.site, serve.checkout})
        page = context.new_page()
        guard.watch(context, page)
        contexts.append((context, guard))
        return page

    yield open_page
    for context, guard in contexts:
        context.close()
        guard.check()
