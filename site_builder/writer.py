"""Writers: output goes to a staging folder first and is swapped in only when whole.

A build that fails part-way (bad content, a template error, a crash while
rendering) leaves the previous ``public/`` exactly as it was: nothing is
written under ``public/`` until every page has been rendered.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Queue

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
_REMOVING = ".removing-"  # a retired site on its way out, in the background
_removers: list[subprocess.Popen[bytes]] = []


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]  # 64 bits: enough to notice a change


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename (readers see old or new, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # one temporary name per process and thread: two writers never share a half-written file
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


class Staging:
    """A private folder beside the output where one build's files are made."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.root = out / f".staging-{os.getpid()}"
        self.trash = out / f".trash-{os.getpid()}"
        self.retired = 0
        self._public = str(self.root / "public")
        self._folders: set[str] = set()
        self._queue: Queue[tuple[str, bytes] | None] | None = None  # while in_background
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)

    @property
    def public(self) -> Path:
        return self.root / "public"

    def write(self, rel: str, data: bytes) -> str:
        """Write a public file into the staging area; returns its content hash."""
        # plain strings and a cache of made folders: this runs once per page
        path = f"{self._public}/{rel}"
        self._write(path, data)
        return digest(data)

    def write_private(self, rel: str, data: bytes) -> None:
        self._write(f"{self.root}/build/{rel}", data)

    def _write(self, path: str, data: bytes) -> None:
        if self._queue is not None:
            self._queue.put((path, data))
        else:
            self._create(path, data)

    @contextmanager
    def in_background(self) -> Iterator[None]:
        """Files written meanwhile are created by a thread, while the caller renders on.

        Creating a file on this disk waits on the filesystem (28 µs to 500 µs, more when other
        work writes too) with the GIL released: a worker process renders its next page in that
        time instead of waiting. Every file is on disk when the block ends, and the first
        error of the thread is raised there.
        """
        queue: Queue[tuple[str, bytes] | None] = Queue(maxsize=512)  # bounds memory
        failed: list[BaseException] = []

        def drain() -> None:
            while (item := queue.get()) is not None:
                if not failed:
                    try:
                        self._create(*item)
                    except BaseException as exc:  # raised in the caller's thread below
                        failed.append(exc)

        thread = threading.Thread(target=drain, name="staging-writer", daemon=True)
        thread.start()
        self._queue = queue
        try:
            yield
        finally:
            self._queue = None
            queue.put(None)
            thread.join()
        if failed:
            raise failed[0]

    def _create(self, path: str, data: bytes) -> None:
        # a fresh folder of this build's own: no temporary name, no fsync (the swap into
        # place is the atomic step), and os.open/os.write rather than a buffered file object
        folder = path.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        fd = os.open(path, _NEW_FILE, 0o666)
        try:
            view = memoryview(data)
            while view:  # a regular file takes it in one call; a short write goes on
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _retire(self, path: Path) -> None:
        if path.exists():
            self.trash.mkdir(exist_ok=True)
            self.retired += 1
            os.replace(path, self.trash / str(self.retired))

    def commit_full(self) -> None:
        """Swap the whole new site and snapshots in place of the old ones."""
        for name, staged in (
            ("public", self.public),
            ("build/clients", self.root / "build" / "clients"),
        ):
            target = self.out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.mkdir(parents=True, exist_ok=True)
            self._retire(target)
            os.replace(staged, target)
        self._finish(background=True)

    def commit_clients(self, rendered: dict[str, str], retired_tokens: set[str]) -> None:
        """Swap in each re-rendered client's folder (client id -> token) and its snapshot."""
        public = self.out / "public"
        for token in retired_tokens:
            self._retire(public / "c" / token)
        for client_id, token in rendered.items():
            target = public / "c" / token
            target.parent.mkdir(parents=True, exist_ok=True)
            self._retire(target)
            os.replace(self.public / "c" / token, target)
            snapshot = self.root / "build" / "clients" / f"{client_id}.json"
            (self.out / "build" / "clients").mkdir(parents=True, exist_ok=True)
            os.replace(snapshot, self.out / "build" / "clients" / f"{client_id}.json")
        for path in self.public.iterdir() if self.public.exists() else ():
            if path.name != "c":  # assets and robots.txt: new names only, old ones stay
                self._merge(path, public / path.name)
        self._finish()

    def remove_snapshots(self, client_ids: set[str]) -> None:
        for client_id in client_ids:
            (self.out / "build" / "clients" / f"{client_id}.json").unlink(missing_ok=True)

    def _merge(self, source: Path, target: Path) -> None:
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            for child in source.iterdir():
                self._merge(child, target / child.name)
        else:
            os.replace(source, target)

    def _finish(self, background: bool = False) -> None:
        if background and self.trash.exists():
            _remove_in_background(self.trash, self.out)
        shutil.rmtree(self.trash, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)


def _remove_in_background(trash: Path, out: Path) -> None:
    """Remove a retired site without waiting for it: the new one is already in place, and
    deleting 234,000 files takes ~20 s on this disk, a quarter of a full build.

    The trash is renamed first, so a next build's trash is a folder of its own. ``rm`` runs
    in a session of its own (an interrupted build or a closed terminal does not stop it); a
    removal that was stopped anyway, its folder still there, is handed on with this one.
    """
    doomed = out / f"{_REMOVING}{os.getpid()}-{os.urandom(4).hex()}"
    os.replace(trash, doomed)
    paths = sorted(str(p) for p in out.glob(_REMOVING + "*"))
    _removers[:] = [p for p in _removers if p.poll() is None]  # the finished ones reaped
    try:
        _removers.append(
            subprocess.Popen(
                ["rm", "-rf", "--", *paths],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    except OSError:  # no rm here: removed now, then
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)
