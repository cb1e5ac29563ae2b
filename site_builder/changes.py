"""Which content files changed since the last build, for as little as the kernel allows.

The truth is a stat of every content file: a file edited in place changes its own
modification time and size, not its folder's, so no cheaper look at the folders can see it.
What is saved is the rest of ``content.scan``'s work. Each content folder's names are
recorded with the folder's change time (``st_ctime_ns``, which moves whenever a name is
added, removed or renamed there, and which no one can set back); a folder whose change time
is the recorded one holds the same names, so it is not listed at all, and one whose time
moved (an editor saving by rename) is listed and its names compared. When every folder holds
the names it held, the files are the ones the last build recorded, so only their stats are
taken, in one tight loop (in two processes when there are many), and compared with the
recorded ones column against column. Only when a name was added or removed is the content
scanned again in full.

Below that floor only someone who watched the edits can go: ``portal serve``'s watcher hands
the build the paths it saw change (``hint``), and then only those are looked at. The hint
must cover every change since the last build that succeeded; a path it names that the last
build did not read (a new file, a folder) sends the build back to the listing.
"""

from __future__ import annotations

import hashlib
import os
import time
from array import array
from collections.abc import Iterable
from pathlib import Path

from site_builder.manifest import Files, Listing

# the folders content.scan reads below the content root (agency.yaml is in the settings key)
FOLDERS = ("clients", "invoices", "payments", "notes")
# A change time this close to when it was read may be shared by a change made just after
# (timestamps come from a clock that ticks every few milliseconds): such a folder is listed
# again by the next build, as git treats its "racily clean" index entries.
RACY_NS = 2_000_000_000
GONE = (-1, "-")  # a content folder that is not there
# From this many files the stats are taken in two processes: forking costs ~10 ms
SPLIT_FROM = 40_000


def listing(root: Path) -> Listing:
    """Every content folder's names (a digest) and change time, the folders below included."""
    found: Listing = {}
    stack = [f"{root}/{name}" for name in reversed(FOLDERS)]
    cut = len(str(root)) + 1
    while stack:
        folder = stack.pop()
        found[folder[cut:]], below = _look(folder)
        stack.extend(reversed(below))
    return found


def same_names(root: Path, recorded: Listing) -> Listing | None:
    """The listing now, if every folder holds the names it held at ``recorded``; else None."""
    now: Listing = {}
    for rel, (ctime, names) in recorded.items():
        try:
            st = os.stat(f"{root}/{rel}")
        except (FileNotFoundError, NotADirectoryError):
            if names != GONE[1]:
                return None
            now[rel] = GONE
            continue
        if ctime and st.st_ctime_ns == ctime:
            now[rel] = recorded[rel]
            continue
        now[rel], _ = _look(f"{root}/{rel}")  # touched, or recorded too soon to trust
        if now[rel][1] != names:
            return None
    return now


def _look(folder: str) -> tuple[tuple[int, str], list[str]]:
    """(the folder's change time, 0 while racy, and a digest of its names; its subfolders).

    The time is read before the names: a name added between the two moves the time past the
    recorded one, so the next build lists the folder again rather than trust it.
    """
    try:
        ctime = os.stat(folder).st_ctime_ns
        names, below = [], []
        with os.scandir(folder) as it:
            for entry in it:  # in the folder's order: sorting 100,000 names costs more
                if entry.is_dir():
                    names.append(entry.name + "/")
                    below.append(entry.path)
                else:
                    names.append(entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return GONE, []
    if time.time_ns() - ctime < RACY_NS:
        ctime = 0
    h = hashlib.blake2b("\0".join(names).encode("utf-8", "surrogateescape"), digest_size=16)
    return (ctime, h.hexdigest()), below


def stats(root: Path, rels: list[str]) -> tuple[array, array] | None:
    """(mtime_ns, size) of each file, or None if one is gone."""
    if len(rels) < SPLIT_FROM or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return _stats(root, rels)
    half = len(rels) // 2
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to spare: all of them here
        os.close(read)
        os.close(write)
        return _stats(root, rels)
    if pid == 0:  # the child: the second half's stats down the pipe, then gone at once
        try:
            os.close(read)
            part = _stats(root, rels[half:])
            with os.fdopen(write, "wb") as pipe:
                pipe.write(b"-" if part is None else b"+" + part[0].tobytes() + part[1].tobytes())
        finally:
            os._exit(0)
    os.close(write)
    mine = _stats(root, rels[:half])
    with os.fdopen(read, "rb") as pipe:
        theirs = pipe.read()
    os.waitpid(pid, 0)
    if mine is None or theirs == b"-":
        return None
    if not theirs:  # the child died before it answered: its half here, then
        rest = _stats(root, rels[half:])
        if rest is None:
            return None
    else:
        rest = array("q"), array("q")
        cut = 1 + (len(theirs) - 1) // 2
        rest[0].frombytes(theirs[1:cut])
        rest[1].frombytes(theirs[cut:])
    mine[0].extend(rest[0])
    mine[1].extend(rest[1])
    return mine


def _stats(root: Path, rels: list[str]) -> tuple[array, array] | None:
    # each name looked up in its open folder: one path step for the kernel, not four
    mtimes, sizes = array("q"), array("q")
    stat, add_m, add_s = os.stat, mtimes.append, sizes.append
    folder, fd = None, -1
    try:
        for rel in rels:
            where, _, name = rel.rpartition("/")
            if where != folder:
                if fd >= 0:
                    os.close(fd)
                    fd = -1
                fd, folder = os.open(f"{root}/{where}", os.O_RDONLY | os.O_DIRECTORY), where
            st = stat(name, dir_fd=fd)
            add_m(st.st_mtime_ns)
            add_s(st.st_size)
    except (FileNotFoundError, NotADirectoryError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    return mtimes, sizes


def changed(
    root: Path, files: Files, hint: Iterable[str] | None = None
) -> tuple[Listing, tuple[array, array]] | None:
    """The folders' listing and the files' stats now, if the same files are there as at the
    last build; else None.

    ``hint``: the paths (absolute, or relative to ``root``) known to be all that changed
    since the last build; only those are stat-ed. None: every file is.
    """
    if hint is not None:
        hinted = _hinted(root, files, hint)
        return None if hinted is None else (files.listing, hinted)
    now = same_names(root, files.listing)
    if now is None or (found := stats(root, files.rels)) is None:
        return None
    return now, found


def _hinted(root: Path, files: Files, hint: Iterable[str]) -> tuple[array, array] | None:
    base = os.path.join(os.path.abspath(root), "")
    index: dict[str, int] | None = None
    mtimes, sizes = array("q", files.mtimes), array("q", files.sizes)
    for path in hint:
        absolute = os.path.abspath(os.path.join(root, path))
        if not absolute.startswith(base):
            continue  # the theme's: it is in the settings key
        rel = absolute[len(base) :].replace(os.sep, "/")
        if rel == "agency.yaml":
            continue  # in the settings key
        if index is None:
            index = {r: i for i, r in enumerate(files.rels)}
        i = index.get(rel)
        if i is None:
            return None  # a new file or a folder: the listing tells
        try:
            st = os.stat(absolute)
        except (FileNotFoundError, NotADirectoryError):
            return None  # deleted
        mtimes[i], sizes[i] = st.st_mtime_ns, st.st_size
    return mtimes, sizes
