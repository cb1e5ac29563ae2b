"""A billing export, row by row: each cell read as the field the mapping says it is.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first
line item row 2. A cell that cannot be read becomes a RowError naming that
row, its invoice and the field, and says what was expected.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from site_builder.importer.mapping import FIELDS, ColumnMapping
from site_builder.money import MoneyError, exponent, parse_decimal

NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # an invoice number or client id
EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?.*)?")
_AMOUNT = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}
TEXT_MAX = 2000


@dataclass(frozen=True)
class RowError:
    row: int  # 1 is the header
    invoice: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" ({self.invoice})" if self.invoice else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class FileRefused(Exception):
    """The file as a whole cannot be read (no such column, not CSV, not UTF-8)."""


@dataclass
class Row:
    number: int
    cells: dict[str, str]  # field -> the cell's text, stripped; only mapped columns the CSV has
    values: dict[str, Any] = field(default_factory=dict)  # field -> value, for cells read
    errors: list[RowError] = field(default_factory=list)

    @property
    def invoice(self) -> str:
        return self.cells.get("invoice", "")


def read_rows(path: Path, mapping: ColumnMapping) -> tuple[list[Row], set[str]]:
    """Every non-empty row with its cells read; and the fields the CSV has columns for."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often start with a BOM
    except UnicodeDecodeError as exc:
        raise FileRefused(f"{path.name} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise FileRefused(f"cannot read {path}: {exc}") from None
    records = csv.reader(io.StringIO(text, newline=""))
    header = next(records, None)
    if not header:
        raise FileRefused(f"{path.name} is empty: expected a header row")
    names = [h.strip().casefold() for h in header]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise FileRefused(f"the header has two columns named {name!r}")
        seen.add(name)
    where: dict[str, int] = {}
    for name in FIELDS:
        column = mapping.header_of(name)
        if column is not None and column.strip().casefold() in names:
            where[name] = names.index(column.strip().casefold())
    missing = [
        f"{mapping.header_of(f)!r} ({f})"
        for f in ("invoice", "description")
        if f not in where and mapping.header_of(f)
    ]
    if "issued" not in where:
        missing.append(f"{mapping.header_of('issued')!r} (issued)")
    if not where.keys() & {"unit_price", "amount"}:
        missing.append("a unit price or an amount column")
    if not where.keys() & {"client", "client_email", "client_name"}:
        missing.append("a client, client email or client name column")
    if missing:
        raise FileRefused(f"{path.name} has no column {', '.join(missing)}")

    rows = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines at the end of an export
        row = Row(number, {f: record[i].strip() for f, i in where.items() if i < len(record)})
        if len(record) == len(header):
            read_cells(row, mapping)
        else:
            # cells out of place: read none of them, but keep the row with its invoice
            # (if it has one), so that none of that invoice is written
            message = f"has {len(record)} cells, the header has {len(header)}"
            row.errors.append(RowError(number, row.invoice, "", message))
            if NUMBER.fullmatch(row.invoice):
                row.values["invoice"] = row.invoice
        rows.append(row)
    return rows, set(where)


def read_cells(row: Row, mapping: ColumnMapping) -> None:
    """Each cell to its value (syntax only: amounts stay Decimals until the currency is known)."""
    for name in FIELDS:
        text = row.cells.get(name, "")
        if not text:
            text = mapping.defaults.get(name, "")  # type: ignore[call-overload]
        if not text:
            continue
        text = mapping.value(name, text)
        try:
            row.values[name] = _READERS[name](text, mapping)
        except ValueError as exc:
            row.errors.append(RowError(row.number, row.invoice, name, str(exc)))
    if "invoice" not in row.values and not any(e.field == "invoice" for e in row.errors):
        row.errors.append(RowError(row.number, "", "invoice", "missing: the invoice number"))
    if "description" not in row.values and not any(e.field == "description" for e in row.errors):
        row.errors.append(RowError(row.number, row.invoice, "description", "missing"))
    if not row.values.keys() & {"unit_price", "amount"} and not any(
        e.field in ("unit_price", "amount") for e in row.errors
    ):
        row.errors.append(
            RowError(row.number, row.invoice, "unit_price", "missing: a unit price or an amount")
        )


# --- one reader per field -----------------------------------------------------------


def _number(text: str, _: ColumnMapping) -> str:
    if not NUMBER.fullmatch(text):
        raise ValueError(
            f"{text!r} cannot name a file: use letters, digits, '.', '_' or '-' "
            "(up to 100, starting with a letter or digit)"
        )
    return text


def _text(text: str, _: ColumnMapping) -> str:
    if len(text) > TEXT_MAX:
        raise ValueError(f"longer than {TEXT_MAX} characters ({len(text)})")
    return text


def _label(text: str, _: ColumnMapping) -> str:
    if len(text) > 40:
        raise ValueError(f"longer than 40 characters ({len(text)})")
    return text


def _email(text: str, _: ColumnMapping) -> str:
    if not EMAIL.fullmatch(text):
        raise ValueError(f"{text!r} is not an email address")
    return text


def read_date(text: str) -> date:
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"{text!r} is not a real calendar date") from None


def _date(text: str, _: ColumnMapping) -> date:
    return read_date(text)


def _currency(text: str, _: ColumnMapping) -> str:
    code = text.upper()
    try:
        exponent(code)
    except MoneyError:
        raise ValueError(
            f"unknown currency {text!r} (expected an ISO 4217 code such as EUR)"
        ) from None
    return code


def read_amount(text: str, mapping: ColumnMapping) -> Decimal:
    """A plain number (1500.10, -25, 150010 in minor units); no thousands separators."""
    if not _AMOUNT.fullmatch(text):
        raise ValueError(
            f"expected a number such as 1500.10 (no currency sign or separators), got {text!r}"
        )
    value = parse_decimal(text)
    if mapping.amounts == "minor" and value != value.to_integral_value():
        raise ValueError(f"expected whole minor units (cents), got {text!r}")
    return value


def _quantity(text: str, mapping: ColumnMapping) -> Decimal:
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"expected a number such as 2 or 1.5, got {text!r}")
    value = parse_decimal(text)
    if value < 0:
        raise ValueError(f"must not be negative, got {text!r}")
    return value


def read_percent(text: str) -> Decimal:
    number = text.removesuffix("%").strip()
    if not _AMOUNT.fullmatch(number):
        raise ValueError(f"expected a percentage such as 23 or 23%, got {text!r}")
    value = parse_decimal(number)
    if not 0 <= value <= 100:
        raise ValueError(f"expected a percentage between 0 and 100, got {text!r}")
    return value


def _percent(text: str, _: ColumnMapping) -> Decimal:
    return read_percent(text)


def _portion(text: str, mapping: ColumnMapping) -> dict[str, Decimal]:
    """A deposit: ``30%`` of the total, or a fixed amount."""
    if text.endswith("%"):
        return {"percent": read_percent(text)}
    return {"amount": read_amount(text, mapping)}


def _instalments(text: str, mapping: ColumnMapping) -> list[dict[str, Any]]:
    """``2026-10-26 40% first; 2026-11-30 60% second``: due date, share, optional label."""
    plan = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        pieces = part.split(None, 2)
        if len(pieces) < 2:
            raise ValueError(f"expected 'YYYY-MM-DD share [label]' in {part!r}")
        item: dict[str, Any] = {"due": read_date(pieces[0]), **_portion(pieces[1], mapping)}
        if len(pieces) == 3:
            item["label"] = _text(pieces[2], mapping)
        plan.append(item)
    if len(plan) < 2:
        raise ValueError("an instalment plan needs at least two instalments")
    return plan


def _status(text: str, _: ColumnMapping) -> str:
    value = text.casefold()
    if value not in ("issued", "void", "draft"):
        raise ValueError(f"expected issued, void or draft, got {text!r}")
    return value


def _kind(text: str, _: ColumnMapping) -> str:
    value = text.casefold().replace("-", "_").replace(" ", "_")
    if value not in ("scope", "out_of_scope", "expense"):
        raise ValueError(f"expected scope, out_of_scope or expense, got {text!r}")
    return value


def _flag(text: str, _: ColumnMapping) -> bool:
    value = text.casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"expected yes or no, got {text!r}")


_READERS = {
    "invoice": _number,
    "client": _number,
    "client_name": _text,
    "client_email": _email,
    "issued": _date,
    "due": _date,
    "currency": _currency,
    "po_number": _text,
    "title": _text,
    "memo": _text,
    "status": _status,
    "tax_label": _label,
    "tax_percent": _percent,
    "deposit": _portion,
    "deposit_due": _date,
    "deposit_label": _text,
    "instalments": _instalments,
    "description": _text,
    "kind": _kind,
    "quantity": _quantity,
    "unit_price": read_amount,
    "amount": read_amount,
    "taxable": _flag,
}
