"""Noticing edits to the content and the theme, with watchfiles.

watchfiles (what uvicorn's ``--reload`` uses) is told of changes by the OS (inotify, FSEvents,
ReadDirectoryChangesW), so a content folder of any size costs nothing while no one edits it (the
poller this replaces looked at every file each second, and less often at a large folder). Where
notifications are unavailable it polls: notify falls back by itself, watchfiles forces it on WSL,
and it reads WATCHFILES_FORCE_POLLING (and WATCHFILES_POLL_DELAY_MS) from the environment itself,
so ``force_polling`` is left unset here: passing it would override the variable. Polling compares
whole seconds of modification time: a second save of a file within the same second is missed.
"""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from watchfiles import Change, watch

# A batch is handed over once no new change has come for STEP_MS: a save (even an atomic
# writer's write-and-rename) is done well within it, so a half-saved file is not built.
STEP_MS = 250
# A burst that goes on (a git checkout, the importer writing hundreds of invoices) is still
# built every DEBOUNCE_MS; the next batch brings what came after.
DEBOUNCE_MS = 2_000
# How long watchfiles waits for a change before it yields nothing: its first such yield is how
# start() learns that the OS watch is in place (see Watcher.start).
READY_MS = 200
# Only where polling is forced (see above): the same one-second look the poller had.
POLL_DELAY_MS = 1_000


def notified() -> bool:
    """Whether changes come from the OS, not from polling, as watchfiles decides it.

    Polling compares whole seconds of modification time, so it can miss a second save within
    a second: the build is then not told what changed, and looks at every file itself.
    """
    if setting := os.environ.get("WATCHFILES_FORCE_POLLING"):  # read as watchfiles reads it
        return setting.lower() in ("false", "disable", "disabled")
    uname = platform.uname()  # watchfiles polls on WSL
    return not ("microsoft-standard" in uname.release.lower() and uname.system == "Linux")


def _ignored(name: str) -> bool:
    # hidden files and folders (.git, .DS_Store), and editors' and atomic writers' temporary
    # files: a half-written file must not be built, and the real file's own change follows
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".tmp"))


class ContentFilter:
    """watchfiles' filter: keeps a change unless a name below a watched folder is ignored.

    Not watchfiles' DefaultFilter: it looks at every part of the absolute path, so a content
    folder or theme somewhere under ``.venv`` or a hidden folder would never be seen to change.
    """

    def __init__(self, folders: Iterable[Path]) -> None:
        # notifications name absolute paths (symlinks kept), polling names them as given
        self.roots = tuple(
            {os.path.join(form, "") for folder in folders for form in (folder, folder.absolute())}
        )

    def __call__(self, change: Change, path: str) -> bool:
        below = next((path[len(root) :] for root in self.roots if path.startswith(root)), None)
        names = below.split(os.sep) if below is not None else [os.path.basename(path)]
        return not any(_ignored(name) for name in names)


class Watcher:
    """Calls ``on_change(paths)`` on a background thread when files under ``folders`` change.

    The paths are absolute and may name a folder: a folder created or moved in is reported
    once, not file by file (its files can be written before the OS watches it), and what
    ``on_change`` does with it, a build, reads the whole folder anyway.
    """

    def __init__(self, folders: Iterable[Path], on_change: Callable[[set[str]], None]) -> None:
        self.folders = list(folders)
        self.on_change = on_change
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Watcher:
        """Starts watching; returns once any change from now on will be reported."""
        self._thread = threading.Thread(target=self._run, name="portal-watcher", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failed is not None:  # a folder is missing, or the OS refused to watch
            raise self._failed
        return self

    def stop(self) -> None:
        """Returns within one step (or once a running ``on_change`` returns)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        try:
            for changes in watch(
                *self.folders,
                watch_filter=ContentFilter(self.folders),
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
                rust_timeout=READY_MS,
                yield_on_timeout=True,
                poll_delay_ms=POLL_DELAY_MS,
            ):
                self._ready.set()
                if changes:
                    self.on_change({path for _, path in changes})
        except BaseException as exc:
            if self._ready.is_set():
                raise
            self._failed = exc
        finally:
            self._ready.set()
