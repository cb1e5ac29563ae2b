"""Which content files changed since the last build, for as little as the kernel allows.

The truth is a stat of every content file: a file edited in place changes its own
modification time and size, not its folder's, so no cheaper look at the folders can see it.
What is saved is the rest of ``content.scan``'s work. The folders are listed (names and
types only, no stat); when that listing is the one the last build saw, the files are the
ones it recorded, so only their stats are taken, in one tight loop, and compared with the
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
from array import array
from collections.abc import Iterable
from pathlib import Path

from site_builder.manifest import Files

# the folders content.scan reads below the content root (agency.yaml is in the settings key)
FOLDERS = ("clients", "invoices", "payments", "notes")


def listing_key(root: Path) -> str:
    """A digest of every name (and whether it is a folder) below the content folders.

    In the order the folder gives them (unsorted: sorting 100,000 names costs more than the
    listing): a folder lists the same entries in the same order until one is added or
    removed, and were the order to change anyway, the build would only scan in full.
    """
    h = hashlib.sha256()
    stack = [f"{root}/{name}" for name in reversed(FOLDERS)]
    cut = len(str(root)) + 1
    while stack:
        folder = stack.pop()
        names = []
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir():
                        names.append(entry.name + "/")
                        stack.append(entry.path)
                    else:
                        names.append(entry.name)
        except (FileNotFoundError, NotADirectoryError):
            names.append("-")
        h.update(f"{folder[cut:]}:".encode("utf-8", "surrogateescape"))
        h.update("\0".join(names).encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()


def stats(root: Path, rels: list[str]) -> tuple[array, array] | None:
    """(mtime_ns, size) of each file, or None if one is gone."""
    mtimes, sizes = array("q"), array("q")
    stat, base = os.stat, f"{root}/"
    add_m, add_s = mtimes.append, sizes.append
    try:
        for rel in rels:
            st = stat(base + rel)
            add_m(st.st_mtime_ns)
            add_s(st.st_size)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return mtimes, sizes


def changed(
    root: Path, files: Files, hint: Iterable[str] | None = None
) -> tuple[array, array] | None:
    """The files' stats now, if the same files are there as at the last build; else None.

    ``hint``: the paths (absolute, or relative to ``root``) known to be all that changed
    since the last build; only those are stat-ed. None: every file is.
    """
    if hint is not None:
        return _hinted(root, files, hint)
    if listing_key(root) != files.listing:
        return None
    return stats(root, files.rels)


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
