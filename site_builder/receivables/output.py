"""``portal status`` output: stable JSON for scripts and CSV of the clients.

The terminal tables are the command's own (portal/status_output.py).

The JSON document (``--format json``), keys sorted, amounts in integer minor
units of their currency, shares and day averages as decimal strings::

    {
      "schema": 1,
      "today": "YYYY-MM-DD",          aging and the windows end on this day
      "build_day": "YYYY-MM-DD",      amounts (late fees, discounts) are as of this day
      "built_at": "<ISO time>",       when the build ran
      "client": null | "<client id>", the --client filter
      "thresholds": {"min_paid_invoices": 3, "share_late": "0.5", "average_days_late": "7"},
      "currencies": {"<ISO code>": {
          "open": int, "open_invoices": int,        everything not yet paid (not void)
          "overdue": int, "overdue_invoices": int,  the parts past their due date
          "paid_this_month": int,                   payments from the 1st to today
          "aging": {"current": int, "days_1_30": int, "days_31_60": int,
                    "days_61_90": int, "over_90": int},
          "invoiced_90_days": int,                  issued in the 90 days up to today
          "dso_90_days": "12.3" | null,             open / invoiced_90_days x 90
          "months": [{"month": "YYYY-MM", "invoiced": int, "collected": int}, ...12, oldest first]
      }},
      "clients": [{                                 every client with a (non-void) invoice, by id
          "client": "<id>",
          "balance": {"<ISO code>": int},           amount due, per currency it bills in
          "overdue": {"<ISO code>": int},
          "oldest_overdue": null | {"invoice", "currency", "due", "days_overdue", "amount_due"},
          "paid_invoices": int, "paid_late": int,
          "share_paid_late": "0.50" | null, "average_days_late": "15.0" | null,
          "habitual_late_payer": bool
      }],
      "attention": {
          "failed_emails": [{"key", "attempts", "last_error", "invoice", "subject"}],
          "reviews": [{"event", "problem", ...what the webhook recorded}],
          "disputes": [{"payment", "invoice", "amount", "event"}],
          "pending_publish": [{"key", "client", "attempts", "last_error"}],
          "undelivered_invoices": [{"key", "invoice", "kind"}]   published, its email queued
          "unbuilt_payments": [{"payment", "invoice", "client", "received", "why"}],
          "credits": [{"client", "currency", "amount", "invoices"}]   paid beyond what was owed:
                                                    to refund or apply (amount: minor units)
      }
    }

New keys may be added; the keys above keep their meaning.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import orjson

from site_builder.receivables.attention import Attention
from site_builder.receivables.figures import ClientFigures, Receivables

SCHEMA = 1
CSV_COLUMNS = (
    "client",
    "currency",
    "balance",
    "overdue",
    "oldest_overdue_invoice",
    "oldest_overdue_due",
    "oldest_overdue_days",
    "paid_invoices",
    "paid_late",
    "share_paid_late",
    "average_days_late",
    "habitual_late_payer",
)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def as_document(
    figures: Receivables,
    attention: Attention,
    built_at: str = "",
    client: str | None = None,
) -> dict[str, Any]:
    """The JSON document described in this module's docstring."""
    t = figures.thresholds
    return {
        "schema": SCHEMA,
        "today": figures.today.isoformat(),
        "build_day": figures.build_day,
        "built_at": built_at,
        "client": client,
        "thresholds": {
            "min_paid_invoices": t.min_paid_invoices,
            "share_late": str(t.share_late),
            "average_days_late": str(t.average_days_late),
        },
        "currencies": {
            code: {
                "open": c.open,
                "open_invoices": c.open_invoices,
                "overdue": c.overdue,
                "overdue_invoices": c.overdue_invoices,
                "paid_this_month": c.paid_this_month,
                "aging": dict(c.aging),
                "invoiced_90_days": c.invoiced_90_days,
                "dso_90_days": _text(c.dso),
                "months": [
                    {"month": m.month, "invoiced": m.invoiced, "collected": m.collected}
                    for m in c.months
                ],
            }
            for code, c in figures.currencies.items()
        },
        "clients": [_client(c) for c in figures.clients.values()],
        "attention": attention.as_dict(),
    }


def _client(c: ClientFigures) -> dict[str, Any]:
    oldest = c.oldest_overdue
    return {
        "client": c.client,
        "balance": dict(sorted(c.balance.items())),
        "overdue": dict(sorted(c.overdue.items())),
        "oldest_overdue": None
        if oldest is None
        else {
            "invoice": oldest.invoice,
            "currency": oldest.currency,
            "due": oldest.due,
            "days_overdue": oldest.days_overdue,
            "amount_due": oldest.amount_due,
        },
        "paid_invoices": c.paid_invoices,
        "paid_late": c.paid_late,
        "share_paid_late": _text(c.share_late),
        "average_days_late": _text(c.average_days_late),
        "habitual_late_payer": c.habitual_late_payer,
    }


def dumps(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def client_csv(figures: Receivables) -> str:
    """One row per client and currency it bills in; amounts in minor units, as in the JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in figures.clients.values():
        oldest = c.oldest_overdue
        for currency in sorted(c.balance):
            writer.writerow(
                [
                    c.client,
                    currency,
                    c.balance[currency],
                    c.overdue.get(currency, 0),
                    oldest.invoice if oldest else "",
                    oldest.due if oldest else "",
                    oldest.days_overdue if oldest else "",
                    c.paid_invoices,
                    c.paid_late,
                    _text(c.share_late) or "",
                    _text(c.average_days_late) or "",
                    "yes" if c.habitual_late_payer else "no",
                ]
            )
    return out.getvalue()


def percent(share: Decimal | None) -> str:
    return "—" if share is None else f"{(share * 100).quantize(Decimal(1))}%"
