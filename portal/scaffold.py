"""Starting from nothing: a new content folder, the next invoice, the editors' schema files.

``next_number`` is the numbering rule as a pure function; the rest writes files
and never overwrites one (files are opened with ``x``): a scaffold that replaced
an agency's invoice would lose money, one that refuses costs a second try.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from portal import starter
from site_builder import content as cnt
from site_builder.billing.terms import resolve_terms
from site_builder.build import agency_today
from site_builder.errors import ContentInvalid
from site_builder.model import Agency
from site_builder.readers import parse_yaml
from site_builder.schema import schemas

FIRST_SEQUENCE = "0001"  # an agency's first invoice: INV-<year>-0001
MAX_KNOWN_LISTED = 5  # client ids named in an unknown-client error


class ScaffoldError(Exception):
    """Refused, with what to do instead; nothing was written."""


class UnknownClient(ScaffoldError):
    pass


# --- numbering ---------------------------------------------------------------

_NUMBERED = re.compile(r"(?P<prefix>.*?)(?P<seq>[0-9]+)")
_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")  # a year standing on its own


class _Number(NamedTuple):
    head: str  # the text before the year, or the whole prefix when it has none
    dated: bool  # a year sits between head and tail
    tail: str
    year: int  # 0 when not dated
    seq: int
    digits: int  # as written, zeros included


def _parse(number: str) -> _Number | None:
    found = _NUMBERED.fullmatch(number)
    if found is None:  # no sequence at the end ("RET-2026-YANTAR"): not part of a series
        return None
    prefix, seq = found["prefix"], found["seq"]
    years = list(_YEAR.finditer(prefix))
    if not years:
        return _Number(prefix, False, "", 0, int(seq), len(seq))
    year = years[-1]
    head, tail = prefix[: year.start()], prefix[year.end() :]
    return _Number(head, True, tail, int(year.group()), int(seq), len(seq))


def next_number(existing: Iterable[str], today: date) -> str:
    """The number after the agency's latest, in the agency's own pattern.

    The pattern is the one most invoices follow (the prefix with its year, if it
    has one, and the zero-padded width of the sequence): ``INV-2026-0042`` ->
    ``INV-2026-0043``. A pattern with a year starts each year again at 1, so in
    2027 it is ``INV-2027-0001``. Gaps stay gaps: the next number follows the
    highest, since a number a client may have seen is never given out again.
    With no numbered invoice yet: ``INV-<year>-0001``.
    """
    series: dict[tuple[str, bool, str], list[_Number]] = defaultdict(list)
    for number in existing:
        if (parsed := _parse(number)) is not None:
            series[parsed.head, parsed.dated, parsed.tail].append(parsed)
    if not series:
        return f"INV-{today.year}-{FIRST_SEQUENCE}"
    # the pattern most numbers follow; on a tie the one used most recently
    key = max(series, key=lambda k: (len(series[k]), max(n.year for n in series[k]), k))
    head, dated, tail = key
    numbers = series[key]
    width = min(n.digits for n in numbers)
    if dated:
        latest = max((n.seq for n in numbers if n.year == today.year), default=0)
        return f"{head}{today.year}{tail}{latest + 1:0{width}d}"
    return f"{head}{max(n.seq for n in numbers) + 1:0{width}d}"


# --- writing -----------------------------------------------------------------


def _write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as file:
            file.write(text)
    except FileExistsError:
        raise ScaffoldError(f"{path} already exists: it was left as it was") from None


@dataclass
class SchemaFiles:
    folder: Path
    written: list[str]  # new or changed
    unchanged: list[str]


def write_schemas(folder: Path) -> SchemaFiles:
    """The JSON Schema files into ``folder``; a file already up to date is not touched."""
    folder.mkdir(parents=True, exist_ok=True)
    result = SchemaFiles(folder, [], [])
    for name, text in schemas().items():
        path = folder / name
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            result.unchanged.append(name)  # an unchanged mtime spares portal serve a rebuild
            continue
        path.write_bytes(data)
        result.written.append(name)
    return result


@dataclass
class Started:
    folder: Path
    files: list[str]  # relative to the folder
    client: str
    invoice: str


def init(folder: Path, today: date | None = None) -> Started:
    """A minimal, valid content folder in ``folder``, which must be new or empty."""
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder} is a file: give a new or empty folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise ScaffoldError(
            f"{folder} is not empty: portal init writes only into a new or empty folder "
            "(to start again, move it away first)"
        )
    agency_text = starter.agency_yaml()
    # the invoice follows the new agency.yaml: its time zone decides the day, its terms the due
    agency = Agency.model_validate(parse_yaml(agency_text).data)
    today = today or agency_today(agency)
    client = starter.STARTER_CLIENT
    number = next_number([], today)
    net_days = resolve_terms(agency.terms).net_days
    files = {
        "agency.yaml": agency_text,
        f"clients/{client}.yaml": starter.client_yaml(client),
        f"invoices/{number}.yaml": starter.invoice_yaml(
            number, client, today, agency.currency, net_days, draft=False
        ),
        **{f"{starter.SCHEMA_DIR}/{name}": text for name, text in schemas().items()},
    }
    for rel, text in files.items():
        _write_new(folder / rel, text)
    return Started(folder, list(files), client, number)


def next_steps(started: Started) -> list[str]:
    """What to edit first, in the order a new agency needs it."""
    return [
        "agency.yaml: your name, email, address, currency, time zone and terms",
        f"clients/{started.client}.yaml: your first client (the file name is its id)",
        f"invoices/{started.invoice}.yaml: its items and prices",
        "next invoice: portal new invoice --client ID --content " + str(started.folder),
    ]


@dataclass
class NewInvoice:
    path: Path
    number: str
    client: str
    issued: date
    schema_missing: bool  # the file's schema comment points at a file not written yet


def new_invoice(content: Path, client_id: str, today: date | None = None) -> NewInvoice:
    """A draft invoice with the next number for ``client_id``, issued today.

    Raises ContentInvalid when agency.yaml is missing or wrong (the agency's
    terms and time zone are needed), UnknownClient for a client with no file.
    """
    if not content.is_dir():
        raise ScaffoldError(f"no content folder {content} (give --content DIR)")
    sources, scan_errors = cnt.scan(content)
    agency_source = next((s for s in sources if s.kind == "agency"), None)
    if agency_source is None:
        raise ContentInvalid([e for e in scan_errors if e.path == "agency.yaml"])
    validator = cnt.Validator(content)
    agency = validator.agency(cnt.read(content, agency_source))
    if agency is None:
        raise ContentInvalid(validator.errors)
    clients = {s.key: s for s in sources if s.kind == "client"}
    if client_id not in clients:
        raise UnknownClient(_unknown_client(client_id, sorted(clients), content))
    # a client file with mistakes still gets its invoice: portal check names the mistakes
    client = validator.client(cnt.read(content, clients[client_id]))
    terms = resolve_terms(agency.terms, client.terms if client else None)
    currency = (client.currency if client else None) or agency.currency
    issued = today or agency_today(agency)
    number = next_number((s.key for s in sources if s.kind == "invoice"), issued)
    rel = f"invoices/{number}.yaml"
    text = starter.invoice_yaml(number, client_id, issued, currency, terms.net_days, draft=True)
    _write_new(content / rel, text)
    schema = content / starter.SCHEMA_DIR / "invoice.schema.json"
    return NewInvoice(content / rel, number, client_id, issued, not schema.is_file())


def _unknown_client(client_id: str, known: list[str], content: Path) -> str:
    if not known:
        return f"unknown client {client_id!r}: {content}/clients/ has no client files yet"
    close = difflib.get_close_matches(client_id, known, n=MAX_KNOWN_LISTED, cutoff=0.4)
    shown = (close + [k for k in known if k not in close])[:MAX_KNOWN_LISTED]
    more = f", … ({len(known)} in all)" if len(known) > len(shown) else ""
    return (
        f"unknown client {client_id!r}: no {content}/clients/{client_id}.yaml. "
        f"Known clients: {', '.join(shown)}{more}"
    )
