"""The sample's invoices as a generic billing export (one row per line), made from content/."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from site_builder import content as cnt
from site_builder.billing import expand_retainer
from site_builder.model import Invoice

COLUMNS = (
    "invoice",
    "client",
    "issued",
    "due",
    "currency",
    "po_number",
    "title",
    "status",
    "tax_label",
    "tax_percent",
    "deposit",
    "deposit_due",
    "deposit_label",
    "instalments",
    "memo",
    "description",
    "kind",
    "quantity",
    "unit_price",
    "taxable",
)


def sample_invoices(content: Path, today: date) -> list[Invoice]:
    """Every invoice of ``content``, retainers expanded into their periods up to ``today``."""
    sources, _ = cnt.scan(content)
    agency = cnt.Validator(content).agency(
        cnt.read(content, next(s for s in sources if s.kind == "agency"))
    )
    assert agency is not None
    currencies = {}
    for s in sources:
        if s.kind == "client":
            currencies[s.key] = (cnt.read(content, s).data or {}).get("currency")
    invoices = []
    for s in sources:
        if s.kind != "invoice":
            continue
        data = {**(cnt.read(content, s).data or {}), "number": s.key}
        data.setdefault("currency", currencies.get(data["client"]) or agency.currency)
        invoices.extend(expand_retainer(Invoice.model_validate(data), today))
    return sorted(invoices, key=lambda i: i.number)


def _share(portion) -> str:  # type: ignore[no-untyped-def]
    return f"{portion.percent}%" if portion.percent is not None else str(portion.amount)


def sample_csv(content: Path, today: date) -> str:
    """The CSV: an invoice's own fields on every row of even invoices, on the first of odd ones."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for index, inv in enumerate(sample_invoices(content, today)):
        head = {
            "invoice": inv.number,
            "client": inv.client,
            "issued": inv.issued.isoformat(),
            "due": inv.due.isoformat() if inv.due else "",
            "currency": inv.currency,
            "po_number": inv.po_number or "",
            "title": inv.title or "",
            "status": inv.status,
            "tax_label": inv.tax.label if inv.tax else "",
            "tax_percent": str(inv.tax.percent) if inv.tax else "",
            "deposit": _share(inv.deposit) if inv.deposit else "",
            "deposit_due": inv.deposit.due.isoformat() if inv.deposit and inv.deposit.due else "",
            "deposit_label": (inv.deposit.label or "") if inv.deposit else "",
            "instalments": "; ".join(
                f"{i.due} {_share(i)} {i.label or ''}".strip() for i in inv.instalments or []
            ),
            "memo": inv.memo or "",
        }
        for n, item in enumerate(inv.items):
            row = dict(head) if n == 0 or index % 2 == 0 else {"invoice": inv.number}
            row.update(
                description=item.description,
                kind=item.kind,
                quantity=str(item.quantity),
                unit_price=str(item.unit_price),
                taxable="yes" if item.taxable else "no",
            )
            writer.writerow(row)
    return out.getvalue()
