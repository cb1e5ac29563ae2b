"""The build's memory between runs: what it read, what it made, and the ledger it wrote.

Four files under ``build/``, each shaped for how it is used, so a build that finds little
or nothing changed reads and writes little:

- ``manifest.json``: the settings key, and per client its token, invoice count, the payments
  the store recorded and the days its pages hold for. Small (about 140 bytes a client), read
  by every build, by ``portal deploy`` and by tools.
- ``files.bin``: per content file its stat, content hash, kind, key and owning client, as
  columns (a cache of this build's own making, read only by the same code: a file written by
  another Python or another version is not trusted), each in a segment of its own: the stats
  as raw arrays, the rest in Python's ``marshal`` format. A build that finds nothing changed
  reads only the names and the stats; one that finds the same names writes the segments
  that did not change back as they were read.
- ``outputs.jsonl``: per client the hash of every file it wrote, one client a line; a build
  appends the lines of the clients it re-rendered (the last line of a client wins) and
  writes the file anew once it holds twice as many lines as clients.
- ``ledger.json``: the contract with the payment functions, written one client per line so
  an incremental build replaces lines instead of parsing 80 MB of JSON. It stays one valid
  JSON document. The manifest records each line's length, so an incremental build copies
  the unchanged runs of lines from the old file to the new one in the kernel
  (``copy_file_range``) and writes only the re-rendered clients' lines.

``manifest.json`` is written last and names the ``files.bin`` it goes with (``stamp``): a
build stopped between the two leaves a pair that does not match, and the next build is a
full one.
"""

from __future__ import annotations

import errno
import marshal
import os
import sys
from array import array
from collections.abc import Callable, Collection, Iterable
from itertools import compress
from pathlib import Path
from typing import Any

import orjson

from site_builder.writer import write_atomic

VERSION = 7

# path -> [mtime_ns, size, content hash, owning client id or None]
FileRecord = list[Any]
# content folder -> (its st_ctime_ns, 0 when read too soon to trust; a digest of its names)
Listing = dict[str, tuple[int, str]]

_PYTHON = sys.version  # marshal's format is the interpreter's own
_OUTPUTS = "outputs.jsonl"
# files.bin's segments, in the file's order; mtimes and sizes are raw arrays of "q"
_SEGMENTS = ("rels", "mtimes", "sizes", "kinds", "keys", "shas", "owners")


class _Lazy:
    """Reads a part of the previous build's record the first time a build asks for it."""

    def __init__(
        self,
        build_dir: Path,
        order: list[str],
        clients: set[str],
        sizes: list[int] | None = None,
        head: int = 0,
    ) -> None:
        self.build_dir = build_dir
        self.order = order  # ledger.json's clients, one a line
        self.clients = clients
        self.sizes = sizes  # the length of each of those lines (its "," and newline aside)
        self.head = head  # the length of ledger.json before its first client's line
        self._where: dict[str, tuple[int, int]] | None = None
        self._ledger: dict[str, bytes] | None = None
        self._outputs: dict[str, dict[str, str]] | None = None
        self.outputs_lines = 0

    def where(self, client_id: str) -> tuple[int, int] | None:
        """(offset, length) of the client's line in ledger.json; None if it has none."""
        if self._where is None:
            self._where = {}
            offset = self.head
            for cid, size in zip(self.order, self.sizes or (), strict=True):
                self._where[cid] = (offset, size)
                offset += size + 2  # ",\n"
        return self._where.get(client_id)

    def ledger(self, client_id: str) -> bytes:
        if self._ledger is None:
            data = (self.build_dir / "ledger.json").read_bytes().split(b"\n")
            body = data[1 : 1 + len(self.order)]
            if len(body) != len(self.order):
                raise ValueError("build/ledger.json does not match build/manifest.json")
            self._ledger = dict(zip(self.order, (line.rstrip(b",") for line in body), strict=True))
        return self._ledger.get(client_id, b"")

    def outputs(self, client_id: str) -> dict[str, str]:
        if self._outputs is None:
            self._outputs, self.outputs_lines = _read_outputs(self.build_dir, self.clients)
        return self._outputs.get(client_id, {})


class ClientRecord:
    """One client as the last build left it.

    ``outputs`` (path under c/<token>/ -> content hash) and ``ledger`` (this client's line of
    ledger.json) are read from their files only when asked for: a build that re-renders one
    client of 10,000 needs neither for the others.
    """

    __slots__ = (
        "_id",
        "_lazy",
        "_ledger",
        "_outputs",
        "changes_on",
        "invoices",
        "recorded",
        "since",
        "token",
    )

    def __init__(
        self,
        token: str,
        outputs: dict[str, str] | None,
        invoices: int = 0,
        ledger: bytes | None = b"",
        recorded: str = "",
        since: str = "",
        changes_on: str | None = None,
        lazy: _Lazy | None = None,
        client_id: str = "",
    ) -> None:
        self.token = token
        self.invoices = invoices
        self.recorded = recorded  # hash of the payments the store recorded for this client
        # The pages hold from ``since`` (the day they were made for) until the day before
        # ``changes_on`` (a discount ends, a fee falls due, a retainer's period begins): a build
        # on a day outside that makes them again. None: nothing foreseen changes them.
        self.since = since
        self.changes_on = changes_on
        self._outputs = outputs
        self._ledger = ledger
        self._lazy = lazy
        self._id = client_id  # what the lazy parts are filed under

    @property
    def outputs(self) -> dict[str, str]:
        if self._outputs is None:
            assert self._lazy is not None
            self._outputs = self._lazy.outputs(self._id)
        return self._outputs

    @property
    def ledger(self) -> bytes:
        if self._ledger is None:
            assert self._lazy is not None
            self._ledger = self._lazy.ledger(self._id)
        return self._ledger

    @property
    def in_old_ledger(self) -> tuple[int, int] | None:
        """(offset, length) of its line in the last build's ledger.json, when the line is
        carried over unread; None when it was read, made anew, or is empty."""
        if self._ledger is not None or self._lazy is None or self._lazy.sizes is None:
            return None
        return self._lazy.where(self._id)

    @property
    def has_ledger(self) -> bool:
        if self._ledger is None and self._lazy is not None and self._lazy.sizes is not None:
            return self._lazy.where(self._id) is not None
        return bool(self.ledger)

    @property
    def fresh(self) -> bool:
        """Made by this build (its outputs are new), not carried over from the last one."""
        return self._lazy is None

    def current_on(self, day: str) -> bool:
        return self.since <= day and (self.changes_on is None or day < self.changes_on)


class Files:
    """The content files of the last build, as columns in ``content.scan``'s order."""

    def __init__(
        self,
        rels: list[str],
        mtimes: array,
        sizes: array,
        listing: Listing,
        data: memoryview | None = None,
        bounds: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        self.rels = rels
        self.mtimes = mtimes  # of "q": st_mtime_ns
        self.sizes = sizes  # of "q": st_size
        self.listing = listing  # changes.listing of the folders they were found in
        self._data = data  # files.bin as read: its segments are written back when unchanged
        self._bounds = bounds or {}  # segment name -> (start, end) in data
        self._columns: tuple[list[str], list[str], list[str], list[str | None]] | None = None
        self.taken: dict[str, int] = {}  # path -> row, of the rows this build took (``take``)

    def segment(self, name: str) -> memoryview:
        assert self._data is not None
        start, end = self._bounds[name]
        return self._data[start:end]

    def columns(self) -> tuple[list[str], list[str], list[str], list[str | None]]:
        """(kinds, keys, content hashes, owners), read on first use."""
        if self._columns is None:
            kinds, keys, shas, owners = (
                marshal.loads(self.segment(n)) for n in ("kinds", "keys", "shas", "owners")
            )
            self._columns = kinds, keys, shas, owners
        return self._columns

    def records(self) -> dict[str, FileRecord]:
        _, _, shas, owners = self.columns()
        rows = map(list, zip(self.mtimes, self.sizes, shas, owners, strict=True))
        return dict(zip(self.rels, rows, strict=True))

    def keys_of(self, kind: str) -> set[str]:
        """The keys of the files of one kind (every client id, every invoice number)."""
        kinds, keys, _, _ = self.columns()
        return set(compress(keys, map(kind.__eq__, kinds)))

    def owned_by(self, clients: Collection[str]) -> list[int]:
        """The rows of the files the last build gave to one of ``clients``."""
        owners = self.columns()[3]
        return list(compress(range(len(owners)), map(clients.__contains__, owners)))

    def take(
        self,
        rows: Iterable[int],
        stats: tuple[array, array],
        make: Callable[[Iterable[Any]], Any],
        sources: dict[str, Any],
        records: dict[str, FileRecord],
    ) -> None:
        """Put ``make((rel, kind, key, mtime_ns, size))`` of each row, with the stats given,
        in ``sources`` and its last record in ``records`` (both by path), and remember its
        row for ``save``."""
        kinds, keys, shas, owners = self.columns()
        mtimes, sizes = stats
        for i in rows:
            rel = self.rels[i]
            if rel in self.taken:
                continue
            self.taken[rel] = i
            sources[rel] = make((rel, kinds[i], keys[i], mtimes[i], sizes[i]))
            records[rel] = [self.mtimes[i], self.sizes[i], shas[i], owners[i]]


def moved(files: Files, stats: tuple[array, array]) -> list[int]:
    """The rows whose stat is not the one recorded (the same names as ``files``)."""
    rows: list[int] = []
    for new, old in zip(stats, (files.mtimes, files.sizes), strict=True):
        _differ(memoryview(new).cast("B"), memoryview(old).cast("B"), 0, len(old), rows)
    return sorted(set(rows))


def _differ(new: memoryview, old: memoryview, lo: int, hi: int, rows: list[int]) -> None:
    # halves compared with memcmp: a few rows moved among 167,000 are found in a few
    # hundred comparisons instead of a Python loop over every row
    if new[lo * 8 : hi * 8] == old[lo * 8 : hi * 8]:
        return
    if hi - lo <= 16:
        rows.extend(i for i in range(lo, hi) if new[i * 8 : i * 8 + 8] != old[i * 8 : i * 8 + 8])
        return
    mid = (lo + hi) // 2
    _differ(new, old, lo, mid, rows)
    _differ(new, old, mid, hi, rows)


class Manifest:
    def __init__(
        self,
        settings: str,
        today: str,
        files: dict[str, FileRecord] | None = None,
        clients: dict[str, ClientRecord] | None = None,
        retainers: list[str] | None = None,
        *,
        sources: list[Any] | None = None,
        listing: Listing | None = None,
        columns: Files | None = None,
        lazy: _Lazy | None = None,
        stats: tuple[array, array] | None = None,
    ) -> None:
        self.settings = settings
        self.today = today
        self._files = files
        self.clients = clients if clients is not None else {}
        self.retainers = retainers if retainers is not None else []
        # content.Source of every file but agency.yaml, in scan's order: their kinds and keys
        self.sources = sources
        self.listing = listing or {}
        self.columns = columns
        self.lazy = lazy
        # The last build's files, the same names, with these stats: ``files`` then holds only
        # the records of the rows taken (``Files.take``), brought up to date.
        self.stats = stats

    @property
    def files(self) -> dict[str, FileRecord]:
        """path -> [mtime_ns, size, content hash, owner], built from the columns on first use."""
        if self._files is None:
            self._files = self.columns.records() if self.columns is not None else {}
        return self._files

    @files.setter
    def files(self, value: dict[str, FileRecord]) -> None:
        self._files = value


def load(build_dir: Path) -> Manifest | None:
    """The previous build's manifest, or None if it can't be trusted.

    Reads manifest.json and the names and stats of files.bin; the rest when asked for.
    """
    try:
        data = orjson.loads((build_dir / "manifest.json").read_bytes())
        if data.get("version") != VERSION:
            return None
        files = _read_files(build_dir / "files.bin", data["stamp"])
        # ledger.json and outputs.jsonl are read late: still the ones that build left?
        same = data["written"] == _written(build_dir)
    except (OSError, ValueError, EOFError, TypeError, KeyError):  # JSONDecodeError is one
        return None
    if files is None or not same:
        return None
    lazy = _Lazy(
        build_dir,
        data["ledger_order"],
        set(data["clients"]),
        data["ledger_sizes"],
        data["ledger_head"],
    )
    clients: dict[str, ClientRecord] = {}
    for cid, c in data["clients"].items():
        clients[cid] = ClientRecord(
            c["token"],
            None,
            c["invoices"],
            None,
            c["recorded"],
            c["since"],
            c["changes_on"],
            lazy,
            cid,
        )
    lazy.outputs_lines = data.get("outputs_lines", 0)
    return Manifest(
        data["settings"],
        data["today"],
        None,
        clients,
        data["retainers"],
        listing=files.listing,
        columns=files,
        lazy=lazy,
    )


def _read_files(path: Path, stamp: str) -> Files | None:
    data = memoryview(path.read_bytes())
    split = 8 + int.from_bytes(data[:8], "little")
    python, their_stamp, listing, lengths = marshal.loads(data[8:split])
    if (python, their_stamp) != (_PYTHON, stamp):
        return None
    bounds = {}
    for name, length in zip(_SEGMENTS, lengths, strict=True):
        bounds[name] = (split, split + length)
        split += length
    if split != len(data):
        raise ValueError("build/files.bin is not the length its head says")
    files = Files([], array("q"), array("q"), dict(listing), data, bounds)
    files.rels = marshal.loads(files.segment("rels"))
    files.mtimes.frombytes(files.segment("mtimes"))
    files.sizes.frombytes(files.segment("sizes"))
    return files


def _read_outputs(build_dir: Path, clients: set[str]) -> tuple[dict[str, dict[str, str]], int]:
    outputs: dict[str, dict[str, str]] = {}
    lines = 0
    try:
        data = (build_dir / _OUTPUTS).read_bytes()
    except FileNotFoundError:
        return outputs, 0
    for line in data.splitlines():
        if line:
            lines += 1
            cid, paths = orjson.loads(line)
            outputs[cid] = paths
    # a client deleted since its line was written has none
    return {cid: o for cid, o in outputs.items() if cid in clients}, lines


def ledger_line(entries: dict[str, Any]) -> bytes:
    """One client's invoices as the inside of a JSON object: ``"INV-1":{...},"INV-2":{...}``."""
    return orjson.dumps(entries, option=orjson.OPT_SORT_KEYS)[1:-1]


def save(build_dir: Path, manifest: Manifest, generated: str) -> None:
    """Write the ledger, the outputs, files.bin, then the manifest that ties them together."""
    clients = manifest.clients
    order, sizes, head = _save_ledger(build_dir, manifest, generated)
    outputs_lines = _save_outputs(build_dir, manifest)
    stamp = os.urandom(8).hex()
    _save_files(build_dir / "files.bin", manifest, stamp)
    write_atomic(
        build_dir / "manifest.json",
        orjson.dumps(
            {
                "version": VERSION,
                "stamp": stamp,
                "written": _written(build_dir),
                "settings": manifest.settings,
                "today": manifest.today,
                "retainers": manifest.retainers,
                "ledger_order": order,
                "ledger_sizes": sizes,
                "ledger_head": head,
                "outputs_lines": outputs_lines,
                "clients": {
                    cid: {
                        "token": c.token,
                        "invoices": c.invoices,
                        "recorded": c.recorded,
                        "since": c.since,
                        "changes_on": c.changes_on,
                    }
                    for cid, c in sorted(clients.items())
                },
            }
        ),
    )


def _save_ledger(
    build_dir: Path, manifest: Manifest, generated: str
) -> tuple[list[str], list[int], int]:
    """Write ledger.json: the re-rendered clients' lines, the others' copied from the old file
    in runs. Returns its clients in order, their lines' lengths and the head's length."""
    clients = manifest.clients
    head = orjson.dumps({"generated": generated, "today": manifest.today})[:-1]
    head += b',"invoices":{\n'
    order = sorted(cid for cid, c in clients.items() if c.has_ledger)
    sizes: list[int] = []
    parts: list[bytes | list[int]] = []  # a line, or [offset, length] of a run of old lines
    for cid in order:
        record = clients[cid]
        old = record.in_old_ledger
        if old is None:
            parts.append(record.ledger)
            sizes.append(len(record.ledger))
            continue
        offset, size = old
        sizes.append(size)
        last = parts[-1] if parts else None
        if isinstance(last, list) and last[0] + last[1] + 2 == offset:
            last[1] = offset + size - last[0]  # the next old line: the run grows
        else:
            parts.append([offset, size])
    path = build_dir / "ledger.json"
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    source = None
    try:
        if any(isinstance(part, list) for part in parts):
            source = os.open(path, os.O_RDONLY)
        with open(temp, "wb", buffering=0) as handle:
            target = handle.fileno()
            _write_all(target, head)
            for n, part in enumerate(parts):
                if n:
                    _write_all(target, b",\n")
                if isinstance(part, list):
                    assert source is not None
                    _copy(source, target, part[0], part[1])
                else:
                    _write_all(target, part)
            _write_all(target, b"\n}}\n")
    finally:
        if source is not None:
            os.close(source)
    os.replace(temp, path)
    return order, sizes, len(head)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _copy(source: int, target: int, offset: int, length: int) -> None:
    """``length`` bytes of ``source`` from ``offset`` to the end of ``target``: in the kernel
    where it can (no pass through Python's memory), else read and written."""
    while length > 0:
        try:
            n = os.copy_file_range(source, target, length, offset)
        except (AttributeError, OSError) as exc:  # not Linux, or not on this file system
            if isinstance(exc, OSError) and exc.errno not in _NO_COPY:
                raise
            n = len(chunk := os.pread(source, min(length, 1 << 24), offset))
            _write_all(target, chunk)
        if n == 0:
            raise ValueError("build/ledger.json is shorter than build/manifest.json says")
        offset += n
        length -= n


_NO_COPY = {errno.ENOSYS, errno.EXDEV, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}


def _written(build_dir: Path) -> list[int]:
    """The size and modification time of ledger.json and outputs.jsonl."""
    stats = [(build_dir / name).stat() for name in ("ledger.json", _OUTPUTS)]
    return [n for st in stats for n in (st.st_size, st.st_mtime_ns)]


def _save_outputs(build_dir: Path, manifest: Manifest) -> int:
    """Append the re-rendered clients' lines, or write them all; returns the lines written."""
    clients = manifest.clients
    fresh = [cid for cid in sorted(clients) if clients[cid].fresh]
    lazy = manifest.lazy
    path = build_dir / _OUTPUTS
    lines = 0 if lazy is None else lazy.outputs_lines
    if lazy is not None and len(fresh) < len(clients) and lines + len(fresh) <= 2 * len(clients):
        if fresh:
            with path.open("ab") as handle:
                handle.write(b"".join(_outputs_line(cid, clients[cid].outputs) for cid in fresh))
        return lines + len(fresh)
    write_atomic(
        path, b"".join(_outputs_line(cid, c.outputs) for cid, c in sorted(clients.items()))
    )
    return len(clients)


def _outputs_line(client_id: str, outputs: dict[str, str]) -> bytes:
    return orjson.dumps([client_id, outputs], option=orjson.OPT_SORT_KEYS) + b"\n"


def _save_files(path: Path, manifest: Manifest, stamp: str) -> None:
    old = manifest.columns
    segments: dict[str, bytes | memoryview]
    if manifest.stats is not None:  # the last build's files, the same names
        assert old is not None
        segments = _same_names(old, manifest.stats, manifest.files)
    else:
        files = manifest.files
        sources = [s for s in manifest.sources or () if s.kind != "agency"]
        rels = [s.rel for s in sources]
        if len(rels) != len(files):
            raise ValueError("the manifest's files are not the sources it was given")
        records = [files[rel] for rel in rels]
        columns = (
            rels,
            array("q", [r[0] for r in records]).tobytes(),
            array("q", [r[1] for r in records]).tobytes(),
            [s.kind for s in sources],
            [s.key for s in sources],
            [r[2] for r in records],
            [r[3] for r in records],
        )
        segments = {
            name: col if isinstance(col, bytes) else marshal.dumps(col)
            for name, col in zip(_SEGMENTS, columns, strict=True)
        }
    parts = [segments[name] for name in _SEGMENTS]
    head = marshal.dumps((_PYTHON, stamp, manifest.listing, [len(p) for p in parts]))
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temp, "wb", buffering=0) as handle:
        for part in (len(head).to_bytes(8, "little"), head, *parts):
            _write_all(handle.fileno(), part)
    os.replace(temp, path)


def _same_names(
    old: Files, stats: tuple[array, array], taken: dict[str, FileRecord]
) -> dict[str, bytes | memoryview]:
    """files.bin's segments for the last build's files with new stats and the taken rows'
    records: the names, kinds and keys as they were read, hashes and owners as changed."""
    _, _, shas, owners = old.columns()
    segments: dict[str, bytes | memoryview] = {
        name: old.segment(name) for name in ("rels", "kinds", "keys", "shas", "owners")
    }
    segments["mtimes"], segments["sizes"] = stats[0].tobytes(), stats[1].tobytes()
    rows = {old.taken[rel]: record for rel, record in taken.items()}
    for name, column, at in (("shas", shas, 2), ("owners", owners, 3)):
        if any(column[i] != record[at] for i, record in rows.items()):
            column = list(column)
            for i, record in rows.items():
                column[i] = record[at]
            segments[name] = marshal.dumps(column)
    return segments


def invoice_owners(previous: Manifest) -> dict[str, str]:
    """Invoice number (its file's key) -> its client, as the last build recorded them."""
    assert previous.columns is not None
    kinds, keys, _, owners = previous.columns.columns()
    found = dict(compress(zip(keys, owners, strict=True), map("invoice".__eq__, kinds)))
    for key in [key for key, owner in found.items() if not owner]:
        del found[key]  # an invoice that named no client
    return found
