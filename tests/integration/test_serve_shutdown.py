"""Stopping `portal serve` (Ctrl-C, SIGTERM) ends it cleanly: exit 0, no traceback.

It runs as a subprocess, started and read by the browser tests' ``Serve`` helper. A
terminal's Ctrl-C reaches the whole process group, so the signal goes to the group, as a
terminal sends it. One run forks the first build's worker processes (the sample is below
the size at which the build forks, so the threshold is lowered in the child): a worker
must neither print a traceback when the build's pool is stopped nor when Ctrl-C reaches it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import Serve

# `portal serve` as `python -m portal.cli serve` runs it, with the build's forking threshold
# lowered first (a test hook that lives here, not in the product)
FORKING = (
    "import sys, site_builder.generators as g; g.PARALLEL_FROM = 0; "
    "from portal.cli import app; sys.argv[0] = 'portal'; app()"
)


def stop_with(serve: Serve, signum: int) -> int:
    assert serve.process is not None
    os.killpg(serve.process.pid, signum)  # the whole group, as a terminal's Ctrl-C
    try:
        return serve.process.wait(20)
    except subprocess.TimeoutExpired:
        serve.kill()
        raise AssertionError("portal serve did not stop:\n" + serve.output()) from None


@pytest.mark.parametrize(
    ("signum", "launcher"),
    [
        (signal.SIGINT, Serve.launcher),
        (signal.SIGTERM, Serve.launcher),
        (signal.SIGINT, ("-c", FORKING)),
    ],
    ids=["ctrl-c", "sigterm", "ctrl-c-after-a-forked-build"],
)
def test_stopping_serve_exits_cleanly(
    tmp_path: Path, signum: int, launcher: tuple[str, ...]
) -> None:
    serve = Serve(tmp_path, launcher=launcher).start()
    try:
        assert serve.site and serve.portals
        status = stop_with(serve, signum)
    finally:
        serve.stop()
    output = serve.output()
    assert status == 0, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert output.rstrip().endswith("Stopping."), output[-500:]
