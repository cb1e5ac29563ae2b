"""Mapping files: which CSV column holds which invoice field.

A mapping is a small YAML file (two ship with the package, ``generic`` and
``stripe``, in ``mappings/``)::

    columns:              # our field: the CSV column's header (case and spaces ignored)
      invoice: Number
      issued: Date (UTC)
      ...
    amounts: major        # amounts as written (1500.10), or minor: integer cents (150010)
    values:               # optional: a column's own words -> ours (case ignored)
      status: {open: issued, paid: issued, void: void}
    defaults:             # optional: a field's value when its column is absent or empty
      kind: scope

A mapped column the CSV does not have is simply absent: the importer leaves
that field of an existing invoice as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from site_builder.content import field_name
from site_builder.errors import ContentError
from site_builder.readers import ReadError, parse_yaml, read_text

MAPPINGS = Path(__file__).resolve().parent / "mappings"

# Fields of an invoice that one row repeats for every line of that invoice ...
INVOICE_FIELDS = (
    "invoice",
    "client",
    "client_name",
    "client_email",
    "issued",
    "due",
    "currency",
    "po_number",
    "title",
    "memo",
    "status",
    "tax_label",
    "tax_percent",
    "deposit",
    "deposit_due",
    "deposit_label",
    "instalments",
)
# ... and the fields of the line the row is
LINE_FIELDS = ("description", "kind", "quantity", "unit_price", "amount", "taxable")
FIELDS = INVOICE_FIELDS + LINE_FIELDS

Field_ = Literal[FIELDS]  # type: ignore[valid-type]


class ColumnMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: Annotated[dict[Field_, Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    amounts: Literal["major", "minor"] = "major"
    values: dict[Field_, dict[str, str]] = {}
    defaults: dict[Field_, str] = {}

    @model_validator(mode="after")
    def _enough(self) -> ColumnMapping:
        given = set(self.columns)
        missing = [f for f in ("invoice", "issued", "description") if f not in given]
        if not given & {"unit_price", "amount"}:
            missing.append("unit_price or amount")
        if not given & {"client", "client_email", "client_name"}:
            missing.append("client, client_email or client_name")
        if missing:
            raise ValueError(f"columns must map {', '.join(missing)}")
        return self

    def header_of(self, field: str) -> str | None:
        return self.columns.get(field)  # type: ignore[call-overload]

    def value(self, field: str, text: str) -> str:
        """A cell's text in our words, through ``values`` when the mapping has them."""
        table = self.values.get(field)  # type: ignore[call-overload]
        if not table:
            return text
        lowered = {k.casefold(): v for k, v in table.items()}
        return lowered.get(text.casefold(), text)


class MappingInvalid(Exception):
    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def builtin_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS.glob("*.yaml"))


def load_mapping(name_or_path: str | Path) -> ColumnMapping:
    """A shipped mapping by name (``generic``, ``stripe``) or a mapping file by path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = MAPPINGS / f"{name_or_path}.yaml"
        if not path.exists():
            known = ", ".join(builtin_mappings())
            raise MappingInvalid(
                [ContentError(str(name_or_path), None, "", f"no such mapping (shipped: {known})")]
            )
    try:
        document = parse_yaml(read_text(path))
    except (ReadError, OSError) as exc:
        line = exc.line if isinstance(exc, ReadError) else None
        message = exc.message if isinstance(exc, ReadError) else f"cannot read: {exc}"
        raise MappingInvalid([ContentError(str(path), line, "", message)]) from None
    try:
        return ColumnMapping.model_validate(document.data)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if isinstance(p, int | str))
            errors.append(
                ContentError(
                    str(path),
                    document.line_of(loc),
                    field_name(loc),
                    error["msg"].removeprefix("Value error, "),
                )
            )
        raise MappingInvalid(errors) from None
