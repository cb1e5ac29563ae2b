"""Noticing edits to the content and the theme, by polling modification times.

Polling a few hundred files a second costs nothing measurable and needs no
dependency or OS notification API; an edit is acted on once it has settled
(two polls see the same state), so a half-saved file is not built.
"""

from __future__ import annotations

import stat
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

Stamp = dict[str, tuple[int, int]]  # path -> (mtime_ns, size)


def _ignored(path: Path) -> bool:
    # hidden folders, editors' and writers' temporary files
    name = path.name
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".tmp"))


def stamp(folders: Iterable[Path]) -> Stamp:
    """Every file under ``folders`` with its modification time and size."""
    found: Stamp = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if any(_ignored(Path(part)) for part in path.relative_to(folder).parts):
                continue
            try:
                info = path.stat()
            except OSError:  # removed while we looked
                continue
            if stat.S_ISREG(info.st_mode):
                found[str(path)] = (info.st_mtime_ns, info.st_size)
    return found


class Watcher:
    """Calls ``on_change(paths)`` on a background thread when files under ``folders`` change."""

    def __init__(
        self,
        folders: Iterable[Path],
        on_change: Callable[[set[str]], None],
        interval: float = 1.0,
    ) -> None:
        self.folders = list(folders)
        self.on_change = on_change
        self.interval = interval
        self._last = stamp(self.folders)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> set[str]:
        """The paths added, changed or removed since the last poll that saw a settled state."""
        now = stamp(self.folders)
        if now == self._last:
            return set()
        self._stop.wait(min(self.interval, 0.25))  # let a save finish
        settled = stamp(self.folders)
        if settled != now:
            return set()  # still moving: the next poll looks again
        changed = {p for p in now.keys() | self._last.keys() if now.get(p) != self._last.get(p)}
        self._last = now
        return changed

    def start(self) -> Watcher:
        self._thread = threading.Thread(target=self._run, name="portal-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        pause = self.interval
        while not self._stop.wait(pause):
            started = time.monotonic()
            changed = self.poll()
            # a very large content folder takes a while to look at: look less often, so the
            # watcher never uses more than a fifth of a core
            pause = max(self.interval, 4 * (time.monotonic() - started))
            if changed:
                self.on_change(changed)
