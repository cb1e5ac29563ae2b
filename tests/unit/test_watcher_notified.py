"""Whether serve's build is told what changed: only when the OS, not polling, says so."""

from __future__ import annotations

import platform

import pytest

from local.serve.watcher import notified


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("1", False), ("true", False), ("yes", False), ("false", True), ("disabled", True)],
)
def test_forced_polling_is_read_as_watchfiles_reads_it(
    monkeypatch: pytest.MonkeyPatch, setting: str, expected: bool
) -> None:
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", setting)
    assert notified() is expected


def test_wsl_polls_so_the_build_looks_for_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHFILES_FORCE_POLLING", raising=False)
    wsl = platform.uname()._replace(system="Linux", release="5.15.90.1-microsoft-standard-WSL2")
    monkeypatch.setattr(platform, "uname", lambda: wsl)
    assert notified() is False
    linux = wsl._replace(release="6.1.0-18-amd64")
    monkeypatch.setattr(platform, "uname", lambda: linux)
    assert notified() is True
