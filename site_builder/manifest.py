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

import marshal
import os
import sys
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from site_builder.writer import write_atomic

VERSION = 5

# path -> [mtime_ns, size, content hash, owning client id or None]
FileRecord = list[Any]

_PYTHON = sys.version  # marshal's format is the interpreter's own
_OUTPUTS = "outputs.jsonl"


class _Lazy:
    """Reads a part of the previous build's record the first time a build asks for it."""

    def __init__(self, build_dir: Path, order: list[str], clients: set[str]) -> None:
        self.build_dir = build_dir
        self.order = order  # ledger.json's clients, one a line
        self.clients = clients
        self._ledger: dict[str, bytes] | None = None
        self._outputs: dict[str, dict[str, str]] | None = None
        self.outputs_lines = 0

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
    def fresh(self) -> bool:
        """Made by this build (its outputs are new), not carried over from the last one."""
        return self._lazy is None

    def current_on(self, day: str) -> bool:
        return self.since <= day and (self.changes_on is None or day < self.changes_on)


@dataclass
class Files:
    """The content files of the last build, as columns in ``content.scan``'s order."""

    rels: list[str]
    mtimes: array  # of "q": st_mtime_ns
    sizes: array  # of "q": st_size
    listing: str  # content.listing_key of the folders they were found in
    _rest: Any = None  # how to read the other columns: kinds, keys, hashes, owners
    _columns: tuple[list[str], list[str], list[str], list[str | None]] | None = None

    def columns(self) -> tuple[list[str], list[str], list[str], list[str | None]]:
        """(kinds, keys, content hashes, owners), read on first use."""
        if self._columns is None:
            self._columns = self._rest()
        return self._columns

    def records(self) -> dict[str, FileRecord]:
        _, _, shas, owners = self.columns()
        rows = map(list, zip(self.mtimes, self.sizes, shas, owners, strict=True))
        return dict(zip(self.rels, rows, strict=True))


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
        listing: str = "",
        columns: Files | None = None,
        lazy: _Lazy | None = None,
    ) -> None:
        self.settings = settings
        self.today = today
        self._files = files
        self.clients = clients if clients is not None else {}
        self.retainers = retainers if retainers is not None else []
        # content.Source of every file but agency.yaml, in scan's order: their kinds and keys
        self.sources = sources
        self.listing = listing
        self.columns = columns
        self.lazy = lazy

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

    Reads manifest.json and the stat columns of files.bin; the rest when asked for.
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
    order = data["ledger_order"]
    lazy = _Lazy(build_dir, order, set(data["clients"]))
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
    split = 8 + int.from_bytes(data[:8], "little")  # the stat columns, then the rest
    head = marshal.loads(data[8:split])
    if head[:2] != (_PYTHON, stamp):
        return None
    _, _, listing, rels, mtimes, sizes = head
    mtime_col, size_col = array("q"), array("q")
    mtime_col.frombytes(mtimes)
    size_col.frombytes(sizes)

    def rest() -> tuple[list[str], list[str], list[str], list[str | None]]:
        kinds, keys, shas, owners = marshal.loads(data[split:])
        return kinds, keys, shas, owners

    return Files(rels, mtime_col, size_col, listing, rest)


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
    with_ledger = sorted(cid for cid, c in clients.items() if c.ledger)
    head = orjson.dumps({"generated": generated, "today": manifest.today})[:-1]
    body = b",\n".join(clients[cid].ledger for cid in with_ledger)
    write_atomic(build_dir / "ledger.json", head + b',"invoices":{\n' + body + b"\n}}\n")
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
                "ledger_order": with_ledger,
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
    files = manifest.files
    sources = [s for s in manifest.sources or () if s.kind != "agency"]
    rels = [s.rel for s in sources]
    if len(rels) != len(files):
        raise ValueError("the manifest's files are not the sources it was given")
    records = [files[rel] for rel in rels]
    mtimes = array("q", [r[0] for r in records])
    sizes = array("q", [r[1] for r in records])
    head = (_PYTHON, stamp, manifest.listing, rels, mtimes.tobytes(), sizes.tobytes())
    rest = (
        [s.kind for s in sources],
        [s.key for s in sources],
        [r[2] for r in records],
        [r[3] for r in records],
    )
    first = marshal.dumps(head)
    write_atomic(path, len(first).to_bytes(8, "little") + first + marshal.dumps(rest))


def sources(
    previous: Manifest, stats: tuple[array, array], make: Callable[[Iterable[Any]], Any]
) -> list[Any]:
    """``make((rel, kind, key, mtime_ns, size))`` of every file the last build read, in its
    order, with the stats given (the same files', taken anew)."""
    assert previous.columns is not None
    files = previous.columns
    kinds, keys, _, _ = files.columns()
    return list(map(make, zip(files.rels, kinds, keys, *stats, strict=True)))


def invoice_owners(previous: Manifest) -> dict[str, str]:
    """Invoice number (its file's key) -> its client, as the last build recorded them."""
    assert previous.columns is not None
    kinds, keys, _, owners = previous.columns.columns()
    return {
        key: owner
        for kind, key, owner in zip(kinds, keys, owners, strict=True)
        if kind == "invoice" and owner
    }
