"""The build's memory between runs: ``build/manifest.json`` and ``build/ledger.json``.

The manifest records, per input file, its stat, content hash and owning client,
and per client its token and output hashes. It is what makes "is this client
current?" one cheap lookup.

The ledger is written one client per line, so an incremental build replaces
the lines of the clients it re-rendered without parsing the rest (100,000
invoices are 30 MB of JSON). It stays one valid JSON document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from site_builder.writer import write_atomic

VERSION = 4

# path -> [mtime_ns, size, content hash, owning client id or None]
FileRecord = list[Any]


@dataclass
class ClientRecord:
    token: str
    outputs: dict[str, str]  # path under c/<token>/ -> content hash
    invoices: int = 0
    ledger: bytes = b""  # this client's line of ledger.json
    recorded: str = ""  # hash of the payments the store recorded for this client, if any
    # The pages hold from ``since`` (the day they were made for) until the day before
    # ``changes_on`` (a discount ends, a fee falls due, a retainer's period begins): a build
    # on a day outside that makes them again. None: nothing foreseen changes them.
    since: str = ""
    changes_on: str | None = None

    def current_on(self, day: str) -> bool:
        return self.since <= day and (self.changes_on is None or day < self.changes_on)


@dataclass
class Manifest:
    settings: str
    today: str
    files: dict[str, FileRecord] = field(default_factory=dict)
    clients: dict[str, ClientRecord] = field(default_factory=dict)
    retainers: list[str] = field(default_factory=list)  # invoice numbers that are templates


def load(build_dir: Path) -> Manifest | None:
    """The previous build's manifest and ledger lines, or None if they can't be trusted."""
    try:
        data = orjson.loads((build_dir / "manifest.json").read_bytes())
        ledger_lines = (build_dir / "ledger.json").read_bytes().split(b"\n")
    except (OSError, orjson.JSONDecodeError):
        return None
    if data.get("version") != VERSION:
        return None
    order = data["ledger_order"]
    body = ledger_lines[1 : 1 + len(order)]
    if len(body) != len(order):
        return None
    lines = dict(zip(order, (line.rstrip(b",") for line in body), strict=True))
    return Manifest(
        settings=data["settings"],
        today=data["today"],
        files=data["files"],
        clients={
            cid: ClientRecord(
                c["token"],
                c["outputs"],
                c["invoices"],
                lines.get(cid, b""),
                c["recorded"],
                c["since"],
                c["changes_on"],
            )
            for cid, c in data["clients"].items()
        },
        retainers=data["retainers"],
    )


def ledger_line(entries: dict[str, Any]) -> bytes:
    """One client's invoices as the inside of a JSON object: ``"INV-1":{...},"INV-2":{...}``."""
    return orjson.dumps(entries, option=orjson.OPT_SORT_KEYS)[1:-1]


def save(build_dir: Path, manifest: Manifest, generated: str) -> None:
    """Write the ledger, then the manifest that indexes its lines."""
    with_ledger = sorted(cid for cid, c in manifest.clients.items() if c.ledger)
    head = orjson.dumps({"generated": generated, "today": manifest.today})[:-1]
    body = b",\n".join(manifest.clients[cid].ledger for cid in with_ledger)
    write_atomic(build_dir / "ledger.json", head + b',"invoices":{\n' + body + b"\n}}\n")
    write_atomic(
        build_dir / "manifest.json",
        orjson.dumps(
            {
                "version": VERSION,
                "settings": manifest.settings,
                "today": manifest.today,
                "files": manifest.files,
                "retainers": manifest.retainers,
                "ledger_order": with_ledger,
                "clients": {
                    cid: {
                        "token": c.token,
                        "invoices": c.invoices,
                        "outputs": c.outputs,
                        "recorded": c.recorded,
                        "since": c.since,
                        "changes_on": c.changes_on,
                    }
                    for cid, c in sorted(manifest.clients.items())
                },
            }
        ),
    )
