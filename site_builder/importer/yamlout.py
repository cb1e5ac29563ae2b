"""Content files written the way people write them in content/ (see content/invoices/).

Top-level fields one per line, line items and instalments as one flow mapping
per line, amounts as quoted text (``unit_price: "2400.00"``: exact, never a
float), dates bare. A string is written bare only where every YAML reader
reads it back as the same string; anything else is double-quoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

# The order content/ uses; fields the importer does not own keep theirs after these.
INVOICE_ORDER = (
    "number",
    "client",
    "issued",
    "due",
    "currency",
    "po_number",
    "title",
    "status",
    "retainer",
    "terms",
    "items",
    "tax",
    "deposit",
    "instalments",
    "memo",
)
CLIENT_ORDER = ("name", "locale", "currency", "tax_id", "po_number", "address", "contacts")
LIST_OF_MAPPINGS = ("items", "instalments", "contacts")

_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n,\[\]{}#]*")
_RESERVED = re.compile(
    r"(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON"
    r"|off|Off|OFF|y|Y|n|N|[-+]?[0-9][0-9_.:eE+-]*|[-+]?0[xXoObB][0-9a-fA-F_]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?\.[0-9]+)"
)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Outside YAML's printable set, or a line break YAML would fold into a space: escaped
_ESCAPE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
_NOT_PLAIN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is one) of ``text``."""
    text = json.dumps(text, ensure_ascii=False)
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return quoted(_decimal_text(value))
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if _DAY.fullmatch(text):
        return text  # a date the reader keeps as this very text
    plain = (
        _PLAIN.fullmatch(text)
        and not _RESERVED.fullmatch(text)
        and text == text.strip()
        and not _NOT_PLAIN.search(text)
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
    )
    return text if plain else quoted(text)


def _decimal_text(value: Decimal) -> str:
    # "2400.00" stays "2400.00"; an exponent form (1E+3) is written out in full
    return f"{value:f}"


def flow(value: Any) -> str:
    """One value on one line: mappings and lists in YAML's flow style."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def document(data: Mapping[str, Any], order: Iterable[str], head: str = "") -> str:
    """A whole file: ``head`` comment lines, then the fields in ``order``, then the rest."""
    order = list(order)
    keys = [k for k in order if k in data] + [k for k in data if k not in order]
    lines = [f"# {line}".rstrip() for line in head.splitlines()]
    for key in keys:
        value = data[key]
        if key in LIST_OF_MAPPINGS and isinstance(value, list) and value:
            lines.append(f"{key}:")
            lines.extend(f"  - {flow(item)}" for item in value)
        else:
            lines.append(f"{key}: {flow(value)}")
    return "\n".join(lines) + "\n"
