"""The content tree: finding its files, reading them, validating them into models.

Every problem becomes a ContentError naming the file, the line and the field;
validation goes on after a problem so that ``portal check`` lists them all.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from site_builder.errors import ContentError
from site_builder.model import Agency, Client, Invoice, Note, Payment
from site_builder.money import MoneyError, to_minor
from site_builder.readers import (
    Document,
    ReadError,
    decode,
    parse_markdown,
    parse_yaml,
    read_markdown,
    read_text,
)
from site_builder.writer import digest

Kind = Literal["agency", "client", "invoice", "payment", "note"]
M = TypeVar("M", bound=BaseModel)
YAML_SUFFIXES = (".yaml", ".yml")


class Source(NamedTuple):
    """One content file: what it holds and the identifier its path gives it.

    A tuple, not a dataclass: a large agency has 150,000 of them per build.
    """

    rel: str  # path relative to the content root, with forward slashes
    kind: Kind
    key: str  # agency: "agency"; client id; invoice number; payment id; note "<client>/<slug>"
    mtime_ns: int
    size: int


def _entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            yield from it
    except FileNotFoundError:
        return


def scan(root: Path) -> tuple[list[Source], list[ContentError]]:
    """Every content file under ``root`` (one stat each), and files that fit nowhere."""
    sources: list[Source] = []
    errors: list[ContentError] = []

    def add(entry: os.DirEntry[str], rel: str, kind: Kind, key: str) -> None:
        st = entry.stat()
        sources.append(Source(rel, kind, key, st.st_mtime_ns, st.st_size))

    def stray(rel: str, expected: str) -> None:
        errors.append(ContentError(rel, None, "", f"not a content file: expected {expected}"))

    agency_found = False
    for entry in _entries(root):
        if entry.name == "agency.yaml" and entry.is_file():
            add(entry, "agency.yaml", "agency", "agency")
            agency_found = True
    if not agency_found:
        errors.append(ContentError("agency.yaml", None, "", "missing: the agency's settings file"))

    for entry in _entries(root / "clients"):
        if entry.is_file() and entry.name.endswith(YAML_SUFFIXES):
            add(entry, f"clients/{entry.name}", "client", _stem(entry.name))
        elif not entry.name.startswith("."):
            stray(f"clients/{entry.name}", "clients/<client-id>.yaml")

    def walk_invoices(folder: Path, prefix: str) -> None:
        for entry in _entries(folder):
            rel = f"{prefix}{entry.name}"
            if entry.is_dir():
                walk_invoices(Path(entry.path), rel + "/")
            elif entry.name.endswith(YAML_SUFFIXES):
                add(entry, rel, "invoice", _stem(entry.name))
            elif not entry.name.startswith("."):
                stray(rel, "invoices/<number>.yaml")

    walk_invoices(root / "invoices", "invoices/")

    for entry in _entries(root / "payments"):
        if entry.is_file() and entry.name.endswith(YAML_SUFFIXES):
            add(entry, f"payments/{entry.name}", "payment", _stem(entry.name))
        elif not entry.name.startswith("."):
            stray(f"payments/{entry.name}", "payments/<payment-id>.yaml")

    for folder in _entries(root / "notes"):
        if not folder.is_dir():
            if not folder.name.startswith("."):
                stray(f"notes/{folder.name}", "notes/<client-id>/<slug>.md")
            continue
        for entry in _entries(Path(folder.path)):
            rel = f"notes/{folder.name}/{entry.name}"
            if entry.is_file() and entry.name.endswith(".md"):
                add(entry, rel, "note", f"{folder.name}/{entry.name[:-3]}")
            elif not entry.name.startswith("."):
                stray(rel, "notes/<client-id>/<slug>.md")
    sources.sort(key=lambda s: s.rel)
    return sources, errors


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


# --- reading -----------------------------------------------------------------


@dataclass
class Raw:
    """A file's plain data, or the reason it could not be read."""

    source: Source
    data: dict[str, Any] | None
    body: str = ""  # a note's Markdown
    error: ContentError | None = None
    sha: str = ""  # of the file's bytes, for the build manifest


def read(root: Path, source: Source) -> Raw:
    """Read and parse one file. Runs in worker processes, so returns plain data."""
    try:
        raw_bytes = (root / source.rel).read_bytes()
    except OSError as exc:
        return Raw(source, None, error=ContentError(source.rel, None, "", f"cannot read: {exc}"))
    sha = digest(raw_bytes)
    try:
        if source.kind == "note":
            doc = parse_markdown(decode(raw_bytes))
            data, body = doc.meta.data, doc.body
        else:
            data, body = parse_yaml(decode(raw_bytes)).data, ""
    except ReadError as exc:
        error = ContentError(source.rel, exc.line, "", exc.message)
        return Raw(source, None, error=error, sha=sha)
    if not isinstance(data, dict):
        error = ContentError(source.rel, 1, "", "expected a mapping of fields")
        return Raw(source, None, error=error, sha=sha)
    return Raw(source, data, body, sha=sha)


# --- validating --------------------------------------------------------------


def field_name(loc: Iterable[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _clean_loc(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    # pydantic adds the names of union members and validators to the location
    return tuple(p for p in loc if isinstance(p, int) or not any(c in p for c in "[(,"))


def _message(error: dict[str, Any]) -> str:
    kind, msg, value = error["type"], error["msg"], error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    msg = msg.replace("Input should be", "expected")
    if kind.startswith(("date_", "datetime_")):
        msg = f"expected a real calendar date as YYYY-MM-DD ({msg})"
    if isinstance(value, str | int) and not isinstance(value, bool) and "got" not in msg:
        msg += f", got {_shown(value)}"
    return msg


SHOWN_MAX = 60  # characters of a value quoted in a message: a whole 10,000-character one is noise


def _shown(value: str | int) -> str:
    if isinstance(value, str) and len(value) > SHOWN_MAX:
        return f"{value[:SHOWN_MAX]!r}… ({len(value):,} characters)"
    if isinstance(value, int) and value.bit_length() > 3 * SHOWN_MAX:  # str() refuses huge ones
        return f"a number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    return repr(value)


class Lines:
    """Finds the line of a field, re-reading the file only when an error needs it."""

    def __init__(self, root: Path, source: Source) -> None:
        self.root, self.source = root, source
        self._doc: Document | None = None

    def __call__(self, loc: tuple[str | int, ...]) -> int | None:
        if self._doc is None:
            path = self.root / self.source.rel
            try:
                self._doc = (
                    read_markdown(path).meta
                    if self.source.kind == "note"
                    else parse_yaml(read_text(path))
                )
            except (ReadError, OSError):
                return None
        return self._doc.line_of(loc)


@dataclass
class Validator:
    """Turns raw data into models, collecting every problem on the way."""

    root: Path
    errors: list[ContentError] = field(default_factory=list)

    def error(self, raw: Raw, loc: tuple[str | int, ...], message: str) -> None:
        line = Lines(self.root, raw.source)(loc) if loc else 1
        self.errors.append(ContentError(raw.source.rel, line, field_name(loc), message))

    def model(self, model: type[M], raw: Raw, data: dict[str, Any]) -> M | None:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            lines = Lines(self.root, raw.source)
            seen: set[str] = set()
            for err in exc.errors():
                loc = _clean_loc(err["loc"])
                name = field_name(loc)
                if name in seen:  # a union reports each member's complaint; one is enough
                    continue
                seen.add(name)
                self.errors.append(ContentError(raw.source.rel, lines(loc), name, _message(err)))
            return None

    def _identified(self, raw: Raw, key_field: str, key: str) -> dict[str, Any] | None:
        if raw.error is not None:
            self.errors.append(raw.error)
            return None
        assert raw.data is not None
        data = dict(raw.data)
        if key_field in data and str(data[key_field]) != key:
            self.error(raw, (key_field,), f"must match the file name {key!r} or be left out")
        data[key_field] = key
        return data

    def agency(self, raw: Raw) -> Agency | None:
        if raw.error is not None:
            self.errors.append(raw.error)
            return None
        return self.model(Agency, raw, dict(raw.data or {}))

    def client(self, raw: Raw) -> Client | None:
        data = self._identified(raw, "id", raw.source.key)
        return None if data is None else self.model(Client, raw, data)

    def invoice(self, raw: Raw, clients: dict[str, Client], agency: Agency) -> Invoice | None:
        data = self._identified(raw, "number", raw.source.key)
        if data is None:
            return None
        client = clients.get(data["client"]) if isinstance(data.get("client"), str) else None
        if client is None and isinstance(data.get("client"), str):
            self.error(
                raw,
                ("client",),
                f"unknown client {_shown(data['client'])}: no such file in clients/",
            )
        data.setdefault("currency", (client and client.currency) or agency.currency)
        # the agency's tax settings travel with each invoice, so the snapshots that price
        # it after the build (checkout, reminders) round its tax exactly as the build did
        data.setdefault("prices_include_tax", agency.prices_include_tax)
        data.setdefault("tax_rounding", agency.tax_rounding)
        return self.model(Invoice, raw, data)

    def payment(self, raw: Raw, invoices: dict[str, Invoice]) -> Payment | None:
        data = self._identified(raw, "id", raw.source.key)
        if data is None:
            return None
        invoice = invoices.get(data["invoice"]) if isinstance(data.get("invoice"), str) else None
        if invoice is None and isinstance(data.get("invoice"), str):
            self.error(raw, ("invoice",), f"unknown invoice {data['invoice']!r}")
        if invoice is not None:
            data.setdefault("currency", invoice.currency)
        if "receipt" in data:  # numbers come from one counter, or they have gaps and twins
            self.error(
                raw,
                ("receipt",),
                "receipt numbers are given by the payment store when it records the payment: "
                "leave this field out",
            )
            return None
        if "saved" in data:  # what Stripe charged, as the store recorded it
            self.error(
                raw,
                ("saved",),
                "the saved method of an automatic payment is recorded by the payment store: "
                "leave this field out",
            )
            return None
        payment = self.model(Payment, raw, data)
        if payment is None or invoice is None:
            return payment
        if invoice.status == "draft":
            self.error(raw, ("invoice",), f"invoice {invoice.number} is a draft: issue it first")
            return None
        if payment.currency != invoice.currency:
            self.error(
                raw,
                ("currency",),
                f"currency mismatch: payment in {payment.currency}, "
                f"invoice {invoice.number} is in {invoice.currency}",
            )
            return None
        for name in ("amount", "refunded"):
            try:
                to_minor(getattr(payment, name), payment.currency, exact=True)
            except MoneyError as exc:
                self.error(raw, (name,), str(exc))
                return None
        if payment.refunded > payment.amount:
            self.error(raw, ("refunded",), "cannot be more than the amount paid")
            return None
        return payment

    def note(self, raw: Raw, clients: dict[str, Client]) -> Note | None:
        if raw.error is not None:
            self.errors.append(raw.error)
            return None
        client_id, slug = raw.source.key.split("/", 1)
        if client_id not in clients:
            self.errors.append(
                ContentError(
                    raw.source.rel,
                    None,
                    "",
                    f"unknown client {client_id!r}: no clients/{client_id}.yaml",
                )
            )
            return None
        data = {**(raw.data or {}), "client": client_id, "slug": slug, "body": raw.body}
        return self.model(Note, raw, data)
