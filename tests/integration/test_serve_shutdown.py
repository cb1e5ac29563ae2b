"""Stopping `portal serve` (Ctrl-C, SIGTERM) ends it cleanly: exit 0, no traceback.

It runs as a subprocess, started and read by the browser tests' ``Serve`` helper. A
terminal's Ctrl-C reaches the whole process group, so the signal goes to the group, as a
terminal sends it. One run forks the first build's worker processes (the sample is below
the size at which the build forks, so the threshold is lowered in the child): a worker
must neither print a traceback when the build's pool is stopped nor when Ctrl-C reaches it.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.browser.conftest import Serve
from tests.conftest import ROOT, SAMPLE, SAMPLE_TODAY, SECRET

# `portal serve` as `python -m portal.cli serve` runs it, with the build's forking threshold
# lowered first (a test hook that lives here, not in the product)
FORKING = (
    "import sys, site_builder.generators as g; g.PARALLEL_FROM = 0; "
    "from portal.cli import app; sys.argv[0] = 'portal'; app()"
)


class ForkingServe(Serve):
    """``Serve`` with a command of our own: the same announcement is read from it."""

    def __init__(self, workdir: Path, code: str | None) -> None:
        super().__init__(workdir)
        self.code = code

    def start(self) -> ForkingServe:
        if self.code is None:
            super().start()
            return self
        if not self.content.exists():
            shutil.copytree(SAMPLE, self.content)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("STRIPE_", "MAIL_", "SMTP_", "PORTAL_", "AWS_"))
        }
        env.update(PORTAL_SECRET=SECRET, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
        command = [sys.executable, "-c", self.code, "serve", "--port", "0"]
        command += ["--content", str(self.content), "--today", SAMPLE_TODAY.isoformat()]
        self.process = subprocess.Popen(
            command,
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._queue = queue.Queue()
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        self._parse_announcement()
        return self


def stop_with(serve: Serve, signum: int) -> int:
    assert serve.process is not None
    os.killpg(serve.process.pid, signum)  # the whole group, as a terminal's Ctrl-C
    try:
        return serve.process.wait(20)
    except subprocess.TimeoutExpired:
        serve.kill()
        raise AssertionError("portal serve did not stop:\n" + serve.output()) from None


@pytest.mark.parametrize(
    ("signum", "code"),
    [
        (signal.SIGINT, None),
        (signal.SIGTERM, None),
        (signal.SIGINT, FORKING),
    ],
    ids=["ctrl-c", "sigterm", "ctrl-c-after-a-forked-build"],
)
def test_stopping_serve_exits_cleanly(tmp_path: Path, signum: int, code: str | None) -> None:
    serve = ForkingServe(tmp_path, code).start()
    try:
        assert serve.site and serve.portals
        status = stop_with(serve, signum)
    finally:
        serve.stop()
    output = serve.output()
    assert status == 0, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert output.rstrip().endswith("Stopping."), output[-500:]
