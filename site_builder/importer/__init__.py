"""``portal import``: a billing export (one row per invoice line) -> content files.

``rows`` reads the CSV through a mapping (``mapping``: which column is which
field), ``drafts`` gathers each invoice's rows and checks them with the
content's own model and billing rules, this module decides what to write and
writes it, ``yamlout`` writes it the way content/ is written.

The rules:
- a client the CSV names that content/ lacks is created, with a warning to
  fill in its contacts (a client is matched by id, then by a contact's email);
- an invoice is written when it is new or differs from its file; fields the
  CSV has no column for are kept from the file (its terms, a retainer ...);
- an invoice with payments (payments/ files, or recorded by the payment
  functions) is never overwritten unless ``force``: the row says why;
- writing is all-or-nothing per invoice (one bad row and none of that
  invoice is written) and atomic per file (a rename);
- unchanged invoices are not touched, so a second run changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder import content as cnt
from site_builder.importer.drafts import Draft, check, group, invoice_data, owned_keys
from site_builder.importer.mapping import ColumnMapping, MappingInvalid, load_mapping
from site_builder.importer.rows import FileRefused, RowError, read_rows
from site_builder.importer.yamlout import CLIENT_ORDER, INVOICE_ORDER, document
from site_builder.model import Agency, Invoice
from site_builder.receivables.load import load_agency
from site_builder.records import PaymentRecords
from site_builder.writer import write_atomic

__all__ = ["FileRefused", "ImportReport", "MappingInvalid", "RowError", "import_csv"]


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # invoice numbers
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not written: a row of theirs has errors
    clients_created: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # paths under the content folder


@dataclass
class _NewClient:
    id: str
    currency: str
    row: int
    name: str | None = None
    email: str | None = None


class _Content:
    """What the import needs to know of content/, each part read only when asked for."""

    def __init__(self, root: Path, agency: Agency) -> None:
        self.root, self.agency = root, agency
        sources, _ = cnt.scan(root)
        self.invoices = {s.key: s for s in sources if s.kind == "invoice"}
        self.by_fold = {key.casefold(): key for key in self.invoices}
        self.clients = {s.key: s for s in sources if s.kind == "client"}
        self.clients_by_fold = {key.casefold(): key for key in self.clients}
        self.queued: dict[str, tuple[str, int]] = {}  # new invoices: folded number -> (number, row)
        self._payment_sources = [s for s in sources if s.kind == "payment"]
        self._client_data: dict[str, dict[str, Any]] = {}
        self._emails: dict[str, str] | None = None
        self._payments: dict[str, list[str]] | None = None

    def raw(self, source: cnt.Source) -> dict[str, Any] | None:
        return cnt.read(self.root, source).data

    def client(self, client_id: str) -> dict[str, Any]:
        if client_id not in self._client_data:
            source = self.clients.get(client_id)
            self._client_data[client_id] = (self.raw(source) if source else None) or {}
        return self._client_data[client_id]

    def client_currency(self, client_id: str) -> str:
        currency = self.client(client_id).get("currency")
        return currency if isinstance(currency, str) and currency else self.agency.currency

    def client_by_email(self, email: str) -> str | None:
        if self._emails is None:
            self._emails = {}
            for client_id in sorted(self.clients):
                for contact in self.client(client_id).get("contacts") or []:
                    if isinstance(contact, dict) and isinstance(contact.get("email"), str):
                        self._emails.setdefault(contact["email"].casefold(), client_id)
        return self._emails.get(email.casefold())

    def payments_of(self, number: str) -> list[str]:
        if self._payments is None:
            self._payments = {}
            for source in self._payment_sources:
                data = self.raw(source) or {}
                if isinstance(data.get("invoice"), str):
                    self._payments.setdefault(data["invoice"], []).append(source.rel)
        return self._payments.get(number, [])

    def template_of(self, number: str) -> str | None:
        """The retainer template whose periods include ``number``, if any.

        A period is numbered ``<template>-<period>``, so only the prefixes of
        ``number`` before a '-' can be its template.
        """
        for at in (i for i, c in enumerate(number) if c == "-"):
            source = self.invoices.get(number[:at])
            if source is not None and (self.raw(source) or {}).get("retainer"):
                return source.rel
        return None


def import_csv(
    csv_path: Path,
    content: Path,
    mapping: ColumnMapping | str | Path = "generic",
    *,
    store: PaymentRecords | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import ``csv_path`` into ``content``; FileRefused, MappingInvalid or ContentInvalid if
    the file, the mapping or agency.yaml cannot be used at all."""
    if not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    agency = load_agency(content)
    rows, present = read_rows(csv_path, mapping)
    drafts, loose = group(rows)
    report = ImportReport(errors=list(loose))
    known = _Content(content, agency)
    owned = owned_keys(present)
    new_clients: dict[str, _NewClient] = {}
    writes: dict[str, str] = {}  # rel path -> text
    needed: set[str] = set()  # new clients some written invoice needs
    for draft in drafts:
        outcome = _plan(draft, known, mapping, owned, new_clients, store, force, writes)
        report.errors += draft.errors
        if outcome is None:
            report.skipped.append(draft.number)
            continue
        kind, client_id = outcome
        getattr(report, kind).append(draft.number)
        if client_id in new_clients:
            needed.add(client_id)

    client_files = {}
    for client_id in sorted(needed):
        new = new_clients[client_id]
        rel, text = _client_file(new, agency, csv_path.name)
        client_files[rel] = text
        report.clients_created.append(client_id)
        report.warnings.append(
            f"{rel} was created (row {new.row}): fill in its contacts"
            + (" (the billing email is a placeholder)" if new.email is None else "")
            + ", address and locale"
        )
    report.errors.sort(key=lambda e: (e.row, e.field, e.message))
    if not dry_run:
        for rel, text in [*client_files.items(), *writes.items()]:
            write_atomic(content / rel, text.encode("utf-8"))
    report.written = [*client_files, *writes]
    return report


def _plan(
    draft: Draft,
    known: _Content,
    mapping: ColumnMapping,
    owned: set[str],
    new_clients: dict[str, _NewClient],
    store: PaymentRecords | None,
    force: bool,
    writes: dict[str, str],
) -> tuple[str, str] | None:
    """Check one invoice and queue its file; ("created" | "updated" | "unchanged", client id)."""
    number, first = draft.number, draft.first_row
    existing_key = known.by_fold.get(number.casefold())
    if existing_key is not None and existing_key != number:
        source = known.invoices[existing_key]
        draft.error(first, "invoice", f"differs only in case from {source.rel}: same file")
    elif existing_key is None and (template := known.template_of(number)):
        draft.error(
            first, "invoice", f"is made by the retainer template {template}: change that instead"
        )
    elif (twin := known.queued.get(number.casefold())) is not None and twin[0] != number:
        draft.error(first, "invoice", f"differs only in case from {twin[0]} on row {twin[1]}")
    if draft.errors:  # a row of it could not be read: nothing of it is written
        return None
    source = known.invoices.get(number)
    raw = (known.raw(source) or {}) if source is not None else None
    client_id = _client(draft, known, new_clients, raw)
    if client_id is None:
        return None
    if client_id in new_clients:
        default_currency = new_clients[client_id].currency
    else:
        default_currency = known.client_currency(client_id)
    currency = draft.fields.get("currency")
    if currency is None and raw is not None and "currency" not in owned:
        currency = raw.get("currency")
    currency = currency if isinstance(currency, str) else default_currency

    data, stated = invoice_data(draft, currency, mapping)
    data["client"] = client_id
    if currency != default_currency:
        data["currency"] = currency
    kept = {k: v for k, v in (raw or {}).items() if k not in owned}
    merged = {**kept, **data}
    invoice = check(draft, {**merged, "number": number, "currency": currency}, stated)
    if invoice is None:
        return None

    rel = source.rel if source is not None else f"invoices/{number}.yaml"
    if raw is not None:
        if _as_filed(raw, number, known) == invoice:
            return "unchanged", client_id
        paid = known.payments_of(number) + [
            p.id
            for p in (store.payments(number) if store is not None else [])
            if p.status != "failed"
        ]
        if paid and not force:
            shown = ", ".join(paid[:3]) + (f" and {len(paid) - 3} more" if len(paid) > 3 else "")
            draft.error(
                first,
                "invoice",
                f"has payments ({shown}) and this CSV changes it: {rel} was not "
                "overwritten (check it, then import with --force to replace it)",
            )
            return None
    writes[rel] = document(merged, INVOICE_ORDER)
    if raw is None:
        known.queued[number.casefold()] = (number, first)
    return ("updated" if raw is not None else "created"), client_id


def _as_filed(raw: dict[str, Any], number: str, known: _Content) -> Invoice | None:
    """The invoice file as the build reads it (its number and currency defaults filled in)."""
    data = {**raw, "number": number}
    client = data.get("client")
    if "currency" not in data:
        data["currency"] = (
            known.client_currency(client) if isinstance(client, str) else known.agency.currency
        )
    try:
        return Invoice.model_validate(data)
    except ValueError:  # a broken file differs from any good import
        return None


def _client(
    draft: Draft,
    known: _Content,
    new_clients: dict[str, _NewClient],
    raw: dict[str, Any] | None,
) -> str | None:
    """The invoice's client: by id, else by a contact's email, else a new one."""
    f = draft.fields
    given, email, name = f.get("client"), f.get("client_email"), f.get("client_name")
    row = draft.row_of("client")
    client_id: str | None = None
    if given is not None and given in known.clients:
        client_id = given
    elif email is not None and (match := known.client_by_email(email)) is not None:
        client_id = match
    elif given is not None:
        client_id = given
    elif name is not None:
        client_id = _slug(name)
        if client_id is None:
            draft.error(
                row, "client_name", f"cannot make a client id of {name!r}: add a client column"
            )
            return None
    elif raw is not None and isinstance(raw.get("client"), str):
        client_id = raw["client"]  # an update that leaves the client as it is
    else:
        draft.error(row, "client", "missing: the client's id, email or name")
        return None
    if client_id not in known.clients:
        twin = known.clients_by_fold.get(client_id.casefold())
        if twin is not None:
            rel = known.clients[twin].rel
            draft.error(row, "client", f"{client_id!r} differs only in case from {rel}")
            return None
        new = new_clients.get(client_id)
        if new is None:
            currency = f.get("currency") or known.agency.currency
            new = new_clients[client_id] = _NewClient(client_id, currency, row)
        new.name = new.name or name
        new.email = new.email or email
    return client_id


def _slug(name: str) -> str | None:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return slug or None


def _client_file(new: _NewClient, agency: Agency, source: str) -> tuple[str, str]:
    name = new.name or new.id
    data: dict[str, Any] = {"name": name}
    if new.currency != agency.currency:
        data["currency"] = new.currency
    contact = {
        "name": new.name or "Billing",
        # .invalid is reserved (RFC 2606): a placeholder that can never reach anyone
        "email": new.email or f"billing@{new.id.lower()}.invalid",
        "role": "billing",
    }
    data["contacts"] = [contact]
    head = (
        f"Created by portal import from {source}, row {new.row}.\n"
        "Fill in the billing contact, address and locale before the portal is published."
    )
    return f"clients/{new.id}.yaml", document(data, CLIENT_ORDER, head)
