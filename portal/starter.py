"""The texts of new content files: ``portal init``'s folder and ``portal new invoice``.

Every file opens with the ``yaml-language-server`` line that gives an editor its
schema, and every field is explained on its own line, aligned, so a person who
has never seen the format can fill it in. Fields left commented out are the
optional ones worth knowing about; the schema lists the rest. Amounts are
quoted text ("1500.00"): exact, never a float.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from datetime import date, timedelta

from site_builder.schema import file_name

SCHEMA_DIR = "schema"  # inside the content folder; portal schema's default --out
STARTER_CLIENT = "first-client"
COMMENT_AT = 40  # the column the explanations start at

Line = tuple[str, str]  # YAML text, its explanation ("" for none)


def schema_path(rel: str, kind: str) -> str:
    """Where the schema of the file at ``rel`` (in the content folder) is, relative to it."""
    return posixpath.relpath(f"{SCHEMA_DIR}/{file_name(kind)}", posixpath.dirname(rel) or ".")


def schema_line(rel: str, kind: str) -> str:
    """The first line of a content file: an editor reading it finds the file's schema."""
    return f"# yaml-language-server: $schema={schema_path(rel, kind)}"


def _render(rel: str, kind: str, header: Sequence[str], lines: Sequence[Line]) -> str:
    out = [schema_line(rel, kind), *(f"# {text}" for text in header)]
    out.append(f"# Every field there is: {schema_path(rel, kind)}. After an edit: portal check.")
    for code, why in lines:
        out.append(f"{code:<{COMMENT_AT}} # {why}" if why else code)
    return "\n".join(out) + "\n"


def agency_yaml() -> str:
    return _render(
        "agency.yaml",
        "agency",
        [
            "Your agency: who you are and how you bill. Lines starting with # are optional.",
        ],
        [
            ("name: Your Studio", "your business name, on every invoice and portal"),
            ('# tax_id: "US 12-3456789"', "your tax or VAT number, printed on invoices"),
            ("email: billing@your-studio.example", "clients write here; receipts come from it"),
            ('# phone: "+1 555 0100"', "printed on invoices"),
            ("address:", "your postal address, one line each (up to 8)"),
            ("  - 1 Example Street", ""),
            ("  - Example City 00000", ""),
            ("  - Country", ""),
            ("currency: USD", "the currency (ISO 4217) of clients that name none"),
            ("locale: en", "portals' and emails' language: en, zh_Hans, zh_Hant, ru, pl, ms"),
            ("timezone: UTC", "decides today for due dates, e.g. Europe/Warsaw"),
            ("portal_url: https://portal.your-studio.example", "where public/ is served"),
            ("api_url: https://api.your-studio.example", "the payment API (portal deploy)"),
            ("terms:", "a client or an invoice may override them"),
            ("  net_days: 21", "an invoice is due 21 days after it is issued"),
            ("  late_fee:", "added when an invoice is late; delete for none"),
            ("    steps:", ""),
            ("      - days_overdue: 1", "from the first day late,"),
            ('        percent: "3"', "3 percent"),
            ("        of: total", "of the invoice's total is added"),
            ("  early_discount:", "a reward for paying early; delete for none"),
            ('    percent: "2"', "2 percent off"),
            ("    within_days: 10", "if paid within 10 days of the issue date"),
            ("reminders:", "emails before and after the due date (portal remind)"),
            ("  before_due: [10, 5, 3]", "days before the due date"),
            ("  on_due: true", "and on the day itself"),
            ("  overdue: [1, 7, 14, 30]", "days after it; then every 30 days until paid"),
            ("thank_you: >-", "in receipts; {contact} and {client} are filled in"),
            ("  Thank you, {contact}! It is a pleasure to work with {client}.", ""),
            ("# payment_terms: Pay by bank transfer to", "free text printed under the terms"),
        ],
    )


def client_yaml(client_id: str = STARTER_CLIENT) -> str:
    rel = f"clients/{client_id}.yaml"
    return _render(
        rel,
        "client",
        [
            f"A client. Its id is the file name: this is client {client_id}. To rename it,",
            "rename the file and change `client:` in its invoices.",
        ],
        [
            ("name: First Client Ltd", "the client's name, as on its invoices"),
            ("locale: en", "its portal's language (default: the agency's)"),
            ("currency: USD", "its invoices' currency (default: the agency's)"),
            ('# tax_id: "GB 123456789"', "its tax or VAT number, on its invoices"),
            ("# po_number: PO-1234", "its purchase order number, on its invoices"),
            ("address:", "its postal address, one line each"),
            ("  - 2 Client Road", ""),
            ("  - Client Town 11111", ""),
            ("  - Country", ""),
            ("contacts:", "who receives invoices, receipts and reminders"),
            ("  - name: Alex Example", "at least one contact has role: billing"),
            (f"    email: alex@{client_id}.example", ""),
            ("    role: billing", "or leadership: copied on late reminders"),
            ("token_version: 1", "raise it to give the client a new portal address"),
        ],
    )


_EXAMPLE_ITEMS: list[Line] = [
    ("  - description: Website design", "what the client reads"),
    ("    quantity: 1", "hours, days or pieces"),
    ('    unit_price: "1500.00"', "exact, as text, in the invoice's currency"),
    ("  - description: Stock photography", ""),
    ("    kind: expense", "scope (the default), out_of_scope or expense"),
    ("    quantity: 3", ""),
    ('    unit_price: "29.99"', ""),
]

_PLACEHOLDER_ITEMS: list[Line] = [
    ("  - description: Describe the work", "what the client reads"),
    ("    quantity: 1", "hours, days or pieces"),
    ('    unit_price: "0.00"', "exact, as text, in the invoice's currency"),
]


def invoice_yaml(
    number: str,
    client_id: str,
    issued: date,
    currency: str,
    net_days: int,
    *,
    draft: bool,
) -> str:
    """An invoice due by the terms; a draft has a placeholder item and is not published."""
    rel = f"invoices/{number}.yaml"
    due = issued + timedelta(days=net_days)
    lines: list[Line] = [
        (f"client: {client_id}", "the client's id: its file in clients/"),
        (
            f"issued: {issued.isoformat()}",
            f"the issue date; due {due.isoformat()} (Net {net_days})",
        ),
        (f"# due: {due.isoformat()}", "or a due date of its own"),
        ("# po_number: PO-1234", "the client's purchase order for this invoice"),
        ('# tax: {label: VAT, percent: "20"}', "tax on the items, if you charge it"),
    ]
    if draft:
        lines.append(("status: draft", "not published: delete this line when it is ready"))
    lines.append(("items:", f"the invoice's lines, in {currency}"))
    lines += _PLACEHOLDER_ITEMS if draft else _EXAMPLE_ITEMS
    return _render(
        rel,
        "invoice",
        [f"Invoice {number}: the file name is its number."],
        lines,
    )
