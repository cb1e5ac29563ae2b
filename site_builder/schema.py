"""JSON Schema of each kind of content file, from the models, for editors.

An editor given ``# yaml-language-server: $schema=...`` completes field names and
flags a wrong type while the agency types; ``portal check`` stays the judge (dates,
currencies, cross-file references are its to check). The schema describes the
*file*, not the model: a field the reader fills from the file's path or from
another file (``content.Validator``) is optional here. Pure: text out, no I/O,
the same bytes for the same models, so the generated files can be committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from site_builder.model import Agency, Client, Invoice, Note, Payment

DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic generates


@dataclass(frozen=True)
class FileKind:
    name: str  # the schema file is "<name>.schema.json"
    model: type[BaseModel]
    path: str  # where such files live in the content folder
    filled: dict[str, str]  # field the reader fills when the file leaves it out -> how


_BY_NAME = "Optional: the file name gives it; if written, it must be the same."

KINDS = (
    FileKind("agency", Agency, "agency.yaml", {}),
    FileKind("client", Client, "clients/<client-id>.yaml", {"id": _BY_NAME}),
    FileKind(
        "invoice",
        Invoice,
        "invoices/<number>.yaml",
        {"number": _BY_NAME, "currency": "Optional: the client's currency, else the agency's."},
    ),
    FileKind(
        "payment",
        Payment,
        "payments/<id>.yaml",
        {"id": _BY_NAME, "currency": "Optional: the invoice's currency (it must be that one)."},
    ),
    FileKind(
        "note",
        Note,
        "notes/<client-id>/<slug>.md (the front matter)",
        {
            "client": "Not needed: the folder name gives it.",
            "slug": "Not needed: the file name gives it.",
            "body": "Not needed: the Markdown after the front matter is the body.",
        },
    ),
)


def file_name(kind: str) -> str:
    return f"{kind}.schema.json"


def schema_of(kind: FileKind) -> dict[str, Any]:
    """The JSON Schema of one kind of file, as a dict."""
    schema = kind.model.model_json_schema(mode="validation")
    properties = schema["properties"]
    for name, how in kind.filled.items():
        properties[name]["description"] = how
    required = [name for name in schema.get("required", []) if name not in kind.filled]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    doc = " ".join(schema.pop("description", "").split())  # the model's docstring, one line
    return {
        "$schema": DIALECT,
        # relative: the schema files travel with the content folder, wherever it is
        "$id": file_name(kind.name),
        **schema,
        "title": f"clientportal: {kind.path}",
        "description": f"{doc} Checked by `portal check`.".strip(),
    }


def schemas() -> dict[str, str]:
    """File name -> JSON text (sorted keys, two-space indent, final newline) of every kind."""
    return {
        file_name(kind.name): json.dumps(schema_of(kind), indent=2, sort_keys=True) + "\n"
        for kind in KINDS
    }
