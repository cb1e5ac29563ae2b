"""The one FastAPI app: ``/checkout``, ``/webhooks/stripe`` and ``/health``.

Routes are thin: they parse, call a service (``checkout.open_checkout``,
``payments.plan`` + ``Store.apply``) and answer. The same app runs under
uvicorn locally and under Mangum on Lambda.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from functions.checkout import Redirect, SessionsApi, open_checkout
from functions.payments import plan
from functions.store.base import Store

if TYPE_CHECKING:
    from functions.mailer import Mailer
    from functions.site import Site
    from functions.snapshots import Snapshots

SIGNATURE_TOLERANCE = 300  # seconds, as Stripe's own libraries
MAX_BODY = 64 * 1024


@dataclass
class Services:
    """What the routes and the jobs work with; made once per process (``config``)."""

    store: Store
    snapshots: Snapshots
    sessions: SessionsApi
    portal_secret: str
    webhook_secret: str
    timezone: str = "UTC"
    today: Callable[[], date] | None = None
    # the outbox's work only: a request never waits for mail or the site
    mailer: Mailer | None = None
    site: Site | None = None

    def day(self) -> date:
        return self.today() if self.today else datetime.now(ZoneInfo(self.timezone)).date()


def _page(status: int, message: str) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">'
        f"<title>{html.escape(message)}</title></head><body><p>{html.escape(message)}</p>"
        "</body></html>"
    )
    return HTMLResponse(body, status_code=status)


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="clientportal", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/checkout")
    async def checkout(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return _page(413, "Request too large.")
        form = parse_qs(body.decode("utf-8", "replace"))

        def field(name: str) -> str:
            return form.get(name, [""])[0]

        # any amount or currency in the form is ignored: the server prices the invoice
        result = await run_in_threadpool(
            open_checkout,
            store=services.store,
            snapshots=services.snapshots,
            sessions=services.sessions,
            secret=services.portal_secret,
            invoice=field("invoice"),
            token=field("token"),
            instalment=field("instalment") or None,
            today=services.day(),
        )
        if isinstance(result, Redirect):
            return RedirectResponse(result.url, status_code=303)
        return _page(result.status, result.reason)

    @app.post("/webhooks/stripe")
    async def stripe_webhook(request: Request) -> Response:
        payload = await request.body()
        signature = request.headers.get("stripe-signature", "")
        event = await run_in_threadpool(verify, payload, signature, services.webhook_secret)
        if event is None:
            return JSONResponse({"error": "invalid signature"}, status_code=400)
        applied = await run_in_threadpool(record, services, event)
        return JSONResponse({"received": True, "duplicate": not applied})

    return app


def verify(payload: bytes, signature: str, secret: str) -> dict[str, Any] | None:
    """The event, if Stripe signed it within the tolerance; None for anything else."""
    import stripe  # only webhook requests pay for importing the SDK

    try:
        stripe.Webhook.construct_event(payload, signature, secret, SIGNATURE_TOLERANCE)
    except (ValueError, stripe.SignatureVerificationError):
        return None
    return json.loads(payload)


def record(services: Services, event: dict[str, Any]) -> bool:
    """Apply what the event means; False if it was seen before."""
    obj = event["data"]["object"]
    kind = event["type"]
    session = services.store.session(obj["id"]) if kind.startswith("checkout.session.") else None
    intent = obj.get("payment_intent")
    existing = services.store.payment(intent) if isinstance(intent, str) else None
    received = datetime.fromtimestamp(event.get("created", 0), ZoneInfo(services.timezone)).date()
    if services.today is not None:
        # a pinned day (tests, `portal serve --today`) is the latest anything can happen on:
        # the billing rules ignore payments dated after it
        received = min(received, services.day())
    return services.store.apply(plan(event, session, existing, received.isoformat()))
