"""The agency report, ``build/report.html``: the figures of ``portal status`` as pictures.

Private (it lives in build/, never in public/). One self-contained file:
inline SVG charts, its stylesheet inline under a Content-Security-Policy that
allows exactly that stylesheet (by hash) and nothing else, no script at all,
and a print stylesheet so it reads on paper.

``render_report`` is what a local server shows; ``write_report`` is what
``portal build`` calls at its end.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from site_builder.formatting import format_day, money_formatter
from site_builder.receivables import Status, build_status
from site_builder.receivables.charts import aging_bar, monthly_chart
from site_builder.receivables.figures import ClientFigures
from site_builder.receivables.output import percent
from site_builder.records import PaymentRecords
from site_builder.render import Theme
from site_builder.views import Row
from site_builder.writer import write_atomic

TEMPLATE = "report.html"
STYLESHEET = "report.css"
TABLE_ROWS = 50  # per table; a large agency's full list is in portal status --format csv


def render_report(
    out: Path,
    content: Path,
    store: PaymentRecords | None = None,
    *,
    today: date | None = None,
    theme: Theme | None = None,
) -> str:
    """The report's HTML for the build in ``out/build`` (NoBuild if there is none)."""
    return render(build_status(out, content, store, today), theme or Theme())


def write_report(
    out: Path, content: Path, store: PaymentRecords | None = None, *, theme: Theme | None = None
) -> Path:
    """Render the report and swap it into ``out/build/report.html`` atomically."""
    path = out / "build" / "report.html"
    write_atomic(path, render_report(out, content, store, theme=theme).encode())
    return path


def render(status: Status, theme: Theme) -> str:
    css = (theme.folder / "static" / STYLESHEET).read_text(encoding="utf-8")
    context = {**report_context(status), "css": css, "csp": content_security_policy(css)}
    return theme.environment("en").get_template(TEMPLATE).render(context)


def content_security_policy(css: str) -> str:
    """Nothing may load or run; only the report's own inline stylesheet applies."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def report_context(status: Status) -> dict[str, Any]:
    """Plain data for the template: every figure formatted, every chart as geometry."""
    agency, figures = status.agency, status.figures
    locale = agency.locale
    currencies = []
    for code, c in figures.currencies.items():
        money = money_formatter(locale, code)
        currencies.append(
            Row(
                code=code,
                open=money(c.open),
                open_invoices=c.open_invoices,
                overdue=money(c.overdue),
                overdue_invoices=c.overdue_invoices,
                paid_this_month=money(c.paid_this_month),
                dso="—" if c.dso is None else f"{c.dso} days",
                aging=aging_bar(c, money),
                monthly=monthly_chart(c, money),
            )
        )
    build_day = date.fromisoformat(figures.build_day) if figures.build_day else None
    t = figures.thresholds
    return {
        "agency": agency,
        "today": format_day(figures.today, locale),
        "build_day": format_day(build_day, locale) if build_day else "",
        "built_at": status.built_at,
        "currencies": currencies,
        "thresholds": Row(
            min_paid=t.min_paid_invoices,
            share=percent(t.share_late),
            days=t.average_days_late,
        ),
        "late_payers": _late_payer_rows(figures.clients.values()),
        "overdue": _overdue_rows(figures.clients.values(), locale),
        "attention": {
            **status.attention.as_dict(),
            # a review holds what its webhook recorded: give the template the usual three
            "reviews": [
                Row(problem=r.get("problem"), invoice=r.get("invoice"), event=r.get("event"))
                for r in status.attention.reviews
            ],
            "credits": [
                Row(
                    client=c["client"],
                    amount=money_formatter(locale, c["currency"])(c["amount"]),
                    invoices=", ".join(c["invoices"]),
                )
                for c in status.attention.credits
            ],
        },
        "attention_count": status.attention.count(),
    }


def _late_payer_rows(clients: Any) -> dict[str, Any]:
    """Clients with a payment history, the flagged first, then the latest payers."""
    known: list[ClientFigures] = [c for c in clients if c.paid_invoices]
    known.sort(key=lambda c: (not c.habitual_late_payer, -c.paid_late, -c.days_late, c.client))
    rows = [
        Row(
            client=c.client,
            paid=c.paid_invoices,
            late=c.paid_late,
            share=percent(c.share_late),
            average=c.average_days_late,
            flagged=c.habitual_late_payer,
        )
        for c in known[:TABLE_ROWS]
    ]
    return {"rows": rows, "more": max(0, len(known) - TABLE_ROWS)}


def _overdue_rows(clients: Any, locale: str) -> dict[str, Any]:
    late = [c for c in clients if c.oldest_overdue is not None]
    late.sort(key=lambda c: (-c.oldest_overdue.days_overdue, c.client))
    rows = []
    for c in late[:TABLE_ROWS]:
        oldest = c.oldest_overdue
        rows.append(
            Row(
                client=c.client,
                overdue=", ".join(
                    money_formatter(locale, code)(amount)
                    for code, amount in sorted(c.overdue.items())
                    if amount
                ),
                invoice=oldest.invoice,
                due=format_day(date.fromisoformat(oldest.due), locale),
                days=oldest.days_overdue,
                flagged=c.habitual_late_payer,
            )
        )
    return {"rows": rows, "more": max(0, len(late) - TABLE_ROWS)}
