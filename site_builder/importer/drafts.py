"""Rows -> invoices: the rows of one invoice gathered, checked together, turned into content data.

An invoice's own fields (client, dates, currency, tax ...) may be repeated on
each of its rows or given on the first only; a later row that says something
else is an error on that row. The data is then checked by the same model and
billing rules as content/ (``Invoice``, totals, the payment schedule), and
each complaint is put on the row it comes from: a line's on the line's row,
the invoice's on the row that gave that field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from site_builder.billing import BillingError, invoice_totals, payment_schedule, resolve_terms
from site_builder.content import _clean_loc, _message, field_name
from site_builder.importer.mapping import INVOICE_FIELDS, LINE_FIELDS, ColumnMapping
from site_builder.importer.rows import Row, RowError
from site_builder.model import Invoice
from site_builder.money import MoneyError, exponent, to_minor

# invoice file key -> the CSV fields that give it (a key is owned when one of them is a column)
OWNED = {
    "client": ("client", "client_email", "client_name"),
    "issued": ("issued",),
    "due": ("due",),
    "currency": ("currency",),
    "po_number": ("po_number",),
    "title": ("title",),
    "memo": ("memo",),
    "status": ("status",),
    "tax": ("tax_percent",),
    "deposit": ("deposit",),
    "instalments": ("instalments",),
    "items": LINE_FIELDS,
}
# the CSV field a model complaint about an invoice key is put on
SOURCE = {"tax": "tax_percent", "number": "invoice", "client": "client"}


@dataclass
class Draft:
    """One invoice as the CSV gives it."""

    number: str
    rows: list[Row] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # invoice-level field -> value
    source: dict[str, int] = field(default_factory=dict)  # invoice-level field -> its row
    errors: list[RowError] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return self.rows[0].number

    def row_of(self, name: str) -> int:
        return self.source.get(name, self.first_row)

    def error(self, row: int, name: str, message: str) -> None:
        self.errors.append(RowError(row, self.number, name, message))


def group(rows: list[Row]) -> tuple[list[Draft], list[RowError]]:
    """The rows of each invoice together, in the order invoices first appear.

    Returns the drafts (each with its rows' errors) and the errors of rows that
    name no usable invoice number.
    """
    drafts: dict[str, Draft] = {}
    loose: list[RowError] = []
    for row in rows:
        number = row.values.get("invoice")
        if number is None:
            loose.extend(row.errors)
            continue
        draft = drafts.get(number)
        if draft is None:
            draft = drafts[number] = Draft(number)
        draft.rows.append(row)
        draft.errors.extend(row.errors)
        bad = {e.field for e in row.errors}
        for name in INVOICE_FIELDS:
            if name not in row.values or name in bad:
                continue
            value = row.values[name]
            if name not in draft.fields:
                draft.fields[name] = value
                draft.source[name] = row.number
            elif draft.fields[name] != value:
                draft.error(
                    row.number,
                    name,
                    f"{_show(value)} differs from {_show(draft.fields[name])} "
                    f"on row {draft.source[name]} for the same invoice",
                )
    return list(drafts.values()), loose


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else repr(value)


def owned_keys(present: set[str]) -> set[str]:
    """The invoice file keys the CSV decides: those with a column in this file."""
    return {key for key, fields in OWNED.items() if present & set(fields)}


def _major(value: Decimal, currency: str, mapping: ColumnMapping) -> Decimal:
    return value.scaleb(-exponent(currency)) if mapping.amounts == "minor" else value


def _quantity(value: Decimal) -> Decimal | int:
    # "quantity: 3" as people write it; 1.5 stays a Decimal (written as text)
    return int(value) if value == value.to_integral_value() else value


def invoice_data(
    draft: Draft, currency: str, mapping: ColumnMapping
) -> tuple[dict[str, Any], list[tuple[int, Decimal]]]:
    """The invoice's content data (the keys the CSV gives) and each line's stated amount.

    ``client`` and ``currency`` are filled in by the caller, which knows the clients.
    """
    f = draft.fields
    data: dict[str, Any] = {}
    for key in ("issued", "due", "po_number", "title"):
        if key in f:
            data[key] = f[key]
    if f.get("status", "issued") != "issued":
        data["status"] = f["status"]
    items, stated = [], []
    for row in draft.rows:
        v = row.values
        quantity = v.get("quantity", Decimal(1))
        item: dict[str, Any] = {"description": v.get("description")}
        if v.get("kind", "scope") != "scope":
            item["kind"] = v["kind"]
        item["quantity"] = _quantity(quantity)
        if "unit_price" in v:
            item["unit_price"] = _major(v["unit_price"], currency, mapping)
        elif "amount" in v:
            # a line total only (Stripe's line items): the unit price is total / quantity
            total = _major(v["amount"], currency, mapping)
            item["unit_price"] = _unit_price(total, quantity, row, draft)
        if "amount" in v:
            stated.append((row.number, _major(v["amount"], currency, mapping)))
        if v.get("taxable") is False:
            item["taxable"] = False
        items.append(item)
    data["items"] = items
    if "tax_percent" in f:
        tax: dict[str, Any] = {"label": f["tax_label"]} if "tax_label" in f else {}
        data["tax"] = {**tax, "percent": f["tax_percent"]}
    if "deposit" in f:
        share = f["deposit"]
        deposit: dict[str, Any] = (
            {"percent": share["percent"]}
            if "percent" in share
            else {"amount": _major(share["amount"], currency, mapping)}
        )
        if "deposit_due" in f:
            deposit["due"] = f["deposit_due"]
        if "deposit_label" in f:
            deposit["label"] = f["deposit_label"]
        data["deposit"] = deposit
    if "instalments" in f:
        data["instalments"] = [
            {
                "due": i["due"],
                **(
                    {"percent": i["percent"]}
                    if "percent" in i
                    else {"amount": _major(i["amount"], currency, mapping)}
                ),
                **({"label": i["label"]} if "label" in i else {}),
            }
            for i in f["instalments"]
        ]
    if "memo" in f:
        data["memo"] = f["memo"]
    return data, stated


def _unit_price(total: Decimal, quantity: Decimal, row: Row, draft: Draft) -> Decimal:
    if quantity == 0:
        draft.error(row.number, "amount", "a line amount with quantity 0: give a unit price")
        return total
    unit = total / quantity
    if unit * quantity != total:
        draft.error(
            row.number,
            "amount",
            f"{total} is not {quantity} times an exact unit price: give the unit price",
        )
    return unit


def check(
    draft: Draft, model_data: dict[str, Any], stated: list[tuple[int, Decimal]]
) -> Invoice | None:
    """Validate as content/ does, putting each problem on its row; None if there were any."""
    item_rows = [row.number for row in draft.rows]
    try:
        invoice = Invoice.model_validate(model_data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = _clean_loc(error["loc"])
            draft.error(*_place(draft, item_rows, loc), _message(error))
        return None
    currency = invoice.currency
    for row, amount in stated:  # a stated line amount must be what quantity x price gives
        line = invoice.items[item_rows.index(row)]
        expected = to_minor(line.quantity * line.unit_price, currency)
        try:
            given = to_minor(amount, currency, exact=True)
        except MoneyError as exc:
            draft.error(row, "amount", str(exc))
            continue
        if given != expected:
            draft.error(
                row,
                "amount",
                f"{amount} differs from quantity x unit price "
                f"({line.quantity} x {line.unit_price})",
            )
    if draft.errors:  # a line already named (a stated amount the currency cannot hold)
        return None
    try:
        totals = invoice_totals(invoice)
        # only the figures are checked here: the dates come from whichever terms apply
        payment_schedule(invoice, totals.total, resolve_terms())
    except BillingError as exc:
        loc = tuple(int(p) if p.isdigit() else p for p in exc.field.split(".") if p)
        draft.error(*_place(draft, item_rows, loc), exc.message)
    return None if draft.errors else invoice


def _place(draft: Draft, item_rows: list[int], loc: tuple[str | int, ...]) -> tuple[int, str]:
    """The row and CSV field a complaint about ``loc`` of the invoice belongs to."""
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        row = item_rows[loc[1]] if loc[1] < len(item_rows) else draft.first_row
        name = str(loc[2]) if len(loc) > 2 else "description"
        return row, name
    key = str(loc[0]) if loc else ""
    name = SOURCE.get(key, key)
    return draft.row_of(name), field_name(loc) if key not in SOURCE else name
