"""The local agency page: receivables at a glance, automatic payments, every client's portal,
and the mailbox.

Local only: ``portal serve`` mounts it under a path derived from the portal
secret (it links every portal, so it must be as unguessable as they are), and
the build never publishes it. Every value is escaped; each letter's HTML is
shown in a sandboxed frame from its own address, whose policy allows no script
and no request, so mail content never runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from functions.autopay.status import AutopayStatus, autopay_status
from functions.snapshots import FolderSnapshots
from functions.store.base import OutboxItem, Store
from local.serve.mailbox import Letter, letter, letters
from site_builder.formatting import format_money
from site_builder.model import Agency, Autopay
from site_builder.receivables.attention import attention, attention_lines
from site_builder.receivables.figures import CurrencyFigures, compute

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; frame-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def letter_headers(site: str) -> dict[str, str]:
    """A letter: its own inline styles and images, nothing else; sandboxed, so no script runs.

    A sandboxed document has no origin of its own, so its one allowed ancestor, the
    agency page, is named by origin rather than as 'self'.
    """
    return {
        **PAGE_HEADERS,
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
            f"form-action 'none'; frame-ancestors {site}; sandbox"
        ),
    }


def page_key(secret: str) -> str:
    """The agency page's path segment: stable for one secret, unguessable without it."""
    digest = hmac.new(secret.encode(), b"clientportal local agency page", hashlib.sha256)
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class PortalLink:
    client_id: str
    name: str
    locale: str
    currency: str
    url: str


@dataclass
class AgencyView:
    """Everything the page shows, gathered at the time of the request."""

    agency: str
    today: date
    receivables: list[CurrencyFigures]  # per currency: open, overdue, paid this month
    late_payers: list[str]
    portals: list[PortalLink]
    letters: list[Letter]
    waiting: list[OutboxItem] = field(default_factory=list)  # outbox work not done yet
    needs_attention: list[str] = field(default_factory=list)  # what a person should look at
    # ``portal status``'s automatic payments: who is on them, the next charges, the failures
    autopay: AutopayStatus = field(default_factory=AutopayStatus)
    autopay_settings: Autopay = field(default_factory=Autopay)  # the agency's, for the words
    names: dict[str, str] = field(default_factory=dict)  # client id -> name
    # late payers not on automatic payments: the page suggests ``autopay: {mode: required}``
    late_not_on_autopay: list[str] = field(default_factory=list)


def current_ledger(build_dir: Path, store: Store) -> dict[str, dict[str, Any]]:
    """The build's ledger, each invoice as the store has it now (a re-publish updates it)."""
    try:
        built = json.loads((build_dir / "ledger.json").read_text(encoding="utf-8"))["invoices"]
    except (OSError, ValueError, KeyError):
        return {}
    return {number: store.invoice(number) or entry for number, entry in built.items()}


def gather(
    *,
    agency: Agency,
    today: date,
    build_dir: Path,
    store: Store,
    portals: list[PortalLink],
    mail_folder: Path,
    problems: list[str] | None = None,
) -> AgencyView:
    """What the page shows now: the receivables are ``portal status``'s, payments since included.

    ``problems``: what ``portal serve`` itself met (a recorded payment the build left out),
    listed before the store's own "needs attention" items.
    """
    ledger = current_ledger(build_dir, store)
    figures = compute(ledger, today, agency.late_payers)
    names = {p.client_id: p.name for p in portals}
    late = [c for c, who in figures.clients.items() if who.habitual_late_payer]
    autopay = _autopay(store, build_dir, today)
    on = {o.client for o in autopay.on}
    return AgencyView(
        agency=agency.name,
        today=today,
        receivables=list(figures.currencies.values()),
        late_payers=[names.get(c, c) for c in late],
        portals=portals,
        letters=letters(mail_folder),
        waiting=store.unsent(),
        needs_attention=[*(problems or ()), *attention_lines(attention(store, ledger))],
        autopay=autopay,
        autopay_settings=agency.autopay,
        names=names,
        late_not_on_autopay=[names.get(c, c) for c in late if c not in on],
    )


def _autopay(store: Store, build_dir: Path, today: date) -> AutopayStatus:
    """``portal status``'s figures (functions/autopay/status.py), so the two never differ."""
    try:
        return autopay_status(store, FolderSnapshots(build_dir / "clients"), today)
    except Exception as exc:  # the rest of the page still shows; the section says why not
        return AutopayStatus(problems=[f"automatic payments not readable: {exc}"])


HERE = Path(__file__).resolve().parent
_ENV = Environment(
    loader=FileSystemLoader(HERE), autoescape=True, trim_blocks=True, lstrip_blocks=True
)
STYLE = (HERE / "agency.css").read_bytes()


def listed(items: Sequence[object]) -> str:
    """ "3, 7 and 14": a short list as a sentence has it."""
    words = [str(item) for item in items]
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def render(view: AgencyView) -> str:
    return _ENV.get_template("agency.html").render(
        view=view,
        money=lambda minor, currency: format_money(minor, currency, "en"),
        listed=listed,
    )


def agency_app(view: Callable[[], AgencyView], mail_folder: Path, site: str) -> Starlette:
    """The page, its stylesheet, and each letter's HTML, as one ASGI app to mount at ``site``."""
    headers = letter_headers(site)

    async def page(request: Request) -> Response:
        return HTMLResponse(render(view()), headers=PAGE_HEADERS)

    async def style(request: Request) -> Response:
        return Response(STYLE, headers=PAGE_HEADERS, media_type="text/css; charset=utf-8")

    async def mail(request: Request) -> Response:
        found = letter(mail_folder, request.path_params["name"])
        if found is None or found.html is None:
            return HTMLResponse("<!doctype html><title>No such letter</title>", 404, PAGE_HEADERS)
        return HTMLResponse(found.html, headers=headers)

    return Starlette(
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/agency.css", style, methods=["GET"]),
            Route("/mail/{name}", mail, methods=["GET"]),
        ]
    )
