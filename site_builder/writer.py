"""Writers: output goes to a staging folder first and is swapped in only when whole.

A build that fails part-way (bad content, a template error, a crash while
rendering) leaves the previous ``public/`` exactly as it was: nothing is
written under ``public/`` until every page has been rendered.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path


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
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)

    @property
    def public(self) -> Path:
        return self.root / "public"

    def write(self, rel: str, data: bytes) -> str:
        """Write a public file into the staging area; returns its content hash."""
        # plain strings and a cache of made folders: this runs once per page
        folder, _, _ = rel.rpartition("/")
        if folder not in self._folders:
            os.makedirs(f"{self._public}/{folder}", exist_ok=True)
            self._folders.add(folder)
        with open(f"{self._public}/{rel}", "wb") as file:
            file.write(data)
        return digest(data)

    def write_private(self, rel: str, data: bytes) -> None:
        path = self.root / "build" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

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
        self._finish()

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

    def _finish(self) -> None:
        shutil.rmtree(self.trash, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)
