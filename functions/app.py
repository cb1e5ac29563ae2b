"""The one FastAPI app: ``/checkout``, ``/autopay``, ``/webhooks/stripe`` and ``/health``.

Routes are thin: they parse, call a service (``checkout.open_checkout``,
``payments.plan`` + ``Store.apply``) and answer. The same app runs under
uvicorn locally and under Mangum on Lambda.

No input is a server error. A webhook body is capped, then its signature checked,
then parsed, then checked against the schema of its event type (``events``), and
only then planned and applied; what is signed but not understood is answered 200 (a
5xx would have Stripe retry it for three days) and kept for a person as a review.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions import overpay
from functions.autopay import saved
from functions.autopay.enrol import NO_PORTAL, enrol
from functions.autopay.returned import setup_returned
from functions.autopay.stripe_api import StripeObjects
from functions.checkout import NOT_FOUND, Redirect, open_checkout
from functions.events import AUTOPAY_KINDS, NotUnderstood, review, understand
from functions.methods import offered_method, paid_with
from functions.notices import STYLE_SOURCE, Notice, render, returned
from functions.payments import HANDLED, plan
from functions.sessions import SessionsApi
from functions.store.base import CheckoutSession, Payment, Store

if TYPE_CHECKING:
    from functions.mailer import Mailer
    from functions.site import Site
    from functions.snapshots import Snapshots

log = logging.getLogger(__name__)
SIGNATURE_TOLERANCE = 300  # seconds, as Stripe's own libraries
MAX_BODY = 64 * 1024  # a checkout form: three short fields
# A webhook body: Stripe's events are a few KB (an object and its previous attributes);
# anything past this is refused before it is verified or parsed.
MAX_WEBHOOK_BODY = 512 * 1024
# What /checkout's form may name: an invoice number (the content's slugs, and a recurring
# invoice's "<number>-<period>"), a portal token (URL-safe base64), an instalment's number.
# Anything else is the same 404 as an unknown invoice, before the store is asked.
_INVOICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SESSION = re.compile(r"cs_(?:test_|live_)?[A-Za-z0-9]{1,250}")
_INSTALMENT = re.compile(r"[1-9][0-9]{0,3}")
_CLIENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # a client id, as the content's slugs
# A Host header that can be named in a Content-Security-Policy as it is
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")


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
    # autopay's Customers, SetupIntents, PaymentIntents, PaymentMethods: by default the same
    # SDK client as ``sessions`` (``config.StripeSessions`` answers both)
    stripe: StripeObjects | None = None

    def __post_init__(self) -> None:
        if self.stripe is None and isinstance(self.sessions, StripeObjects):
            self.stripe = self.sessions

    def day(self) -> date:
        return self.today() if self.today else datetime.now(ZoneInfo(self.timezone)).date()


def _page(notice: Notice) -> HTMLResponse:
    return HTMLResponse(render(notice), status_code=notice.status)


def _plain(status: int, message: str) -> HTMLResponse:
    """A page for a request that names nothing we know: in English, with no way back."""
    return _page(Notice(status, message, message))


class _App(FastAPI):
    """The app, with the security headers outside everything else."""

    def build_middleware_stack(self) -> ASGIApp:
        # outermost, around Starlette's own error handler: even its 500 carries the headers
        return _SecurityHeaders(super().build_middleware_stack())


class _SecurityHeaders:
    """Every answer: ``nosniff``, and ``no-store`` (each is about one request and may name an
    invoice); an HTML page also the portal pages' Content-Security-Policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Cache-Control"] = "no-store"
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = _page_policy(scope)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _page_policy(scope: Scope) -> str:
    """The portal pages' policy, with this API as the origin forms may post to."""
    # imported here: only an HTML answer pays for the views' imports (Markdown, calendars)
    from site_builder.views import content_security_policy

    host = Headers(scope=scope).get("host", "")
    if not _HOST.fullmatch(host):
        host = "localhost"  # the sender's text: only a plain host and port go into a header
    scheme = "https" if scope.get("scheme") == "https" else "http"
    policy = content_security_policy(f"{scheme}://{host}")
    # the notices' one inline stylesheet, by its hash: no other inline style or script runs
    policy = policy.replace("style-src 'self'", f"style-src 'self' {STYLE_SOURCE}")
    return f"{policy}; frame-ancestors 'none'"


async def _read(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be longer than ``limit`` bytes.

    A declared length over the limit is refused before anything is read; a body without
    one (chunked) is read until it passes the limit, and no further.
    """
    try:
        if int(request.headers.get("content-length", "0")) > limit:
            return None
    except ValueError:  # uvicorn refuses a malformed length; Mangum passes what it is given
        pass
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(services: Services) -> FastAPI:
    app = _App(title="clientportal", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/checkout")
    async def checkout(request: Request) -> Response:
        body = await _read(request, MAX_BODY)
        if body is None:
            return _plain(413, "Request too large.")
        form = parse_qs(body.decode("utf-8", "replace"))

        def field(name: str) -> str:
            return form.get(name, [""])[0]

        invoice, token, instalment = field("invoice"), field("token"), field("instalment")
        # the Pay form's box "save this method and pay future invoices automatically"
        autopay = field("autopay") == "on"
        if not (
            _INVOICE.fullmatch(invoice)
            and _TOKEN.fullmatch(token)
            and (not instalment or _INSTALMENT.fullmatch(instalment))
        ):
            return _plain(404, NOT_FOUND)
        # any amount or currency in the form is ignored: the server prices the invoice
        result = await run_in_threadpool(
            open_checkout,
            store=services.store,
            snapshots=services.snapshots,
            sessions=services.sessions,
            secret=services.portal_secret,
            invoice=invoice,
            token=token,
            instalment=instalment or None,
            today=services.day(),
            autopay=autopay,
            stripe=services.stripe,
        )
        if isinstance(result, Redirect):
            return RedirectResponse(result.url, status_code=303)
        return _page(result)

    @app.post("/autopay")
    async def autopay(request: Request) -> Response:
        """The portal's autopay forms: on, change the method, off."""
        body = await _read(request, MAX_BODY)
        if body is None:
            return _plain(413, "Request too large.")
        form = parse_qs(body.decode("utf-8", "replace"))

        def field(name: str) -> str:
            return form.get(name, [""])[0]

        client, token, action = field("client"), field("token"), field("action")
        if not (_CLIENT.fullmatch(client) and _TOKEN.fullmatch(token)) or services.stripe is None:
            return _plain(404, NO_PORTAL)
        result = await run_in_threadpool(
            enrol,
            store=services.store,
            snapshots=services.snapshots,
            sessions=services.sessions,
            stripe=services.stripe,
            secret=services.portal_secret,
            client_id=client,
            token=token,
            action=action,
            today=services.day(),
        )
        if isinstance(result, Redirect):
            return RedirectResponse(result.url, status_code=303)
        return _page(result)

    async def came_back(session: str, look: Callable[..., Notice | None], unknown: str) -> Response:
        """A page for the payer Stripe sends back: what became of the session, at once."""
        if not _SESSION.fullmatch(session):
            return _plain(404, unknown)
        found = await run_in_threadpool(
            look,
            store=services.store,
            snapshots=services.snapshots,
            sessions=services.sessions,
            secret=services.portal_secret,
            session_id=session,
        )
        return _page(found) if found is not None else _plain(404, unknown)

    @app.get("/autopay/done")
    async def autopay_done(session: str = "") -> Response:
        """Where Stripe's setup page returns: whether the method is saved."""
        return await came_back(session, setup_returned, NO_PORTAL)

    @app.get("/paid")
    async def paid(session: str = "") -> Response:
        """Where Stripe's checkout returns: what became of the payment."""
        return await came_back(session, returned, NOT_FOUND)

    @app.post("/webhooks/stripe")
    async def stripe_webhook(request: Request) -> Response:
        payload = await _read(request, MAX_WEBHOOK_BODY)
        if payload is None:
            return JSONResponse({"error": "body too large"}, status_code=413)
        signature = request.headers.get("stripe-signature", "")
        event = await run_in_threadpool(verify, payload, signature, services.webhook_secret)
        if event is None:
            return JSONResponse({"error": "invalid signature or body"}, status_code=400)
        try:
            return JSONResponse(await run_in_threadpool(receive, services, event, payload))
        except saved.TryAgain:  # Stripe could not be asked about a saved method: send it again
            return JSONResponse({"error": "try again later"}, status_code=503)

    return app


def verify(payload: bytes, signature: str, secret: str) -> dict[str, Any] | None:
    """The body as a JSON object, if Stripe signed it within the tolerance; else None."""
    import stripe  # only webhook requests pay for importing the SDK

    if not signature.isascii():  # the SDK's compare_digest raises on other text
        return None
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, SIGNATURE_TOLERANCE)
        body = json.loads(payload)
    # ValueError: not UTF-8, not JSON, or a number past Python's 4,300 digits;
    # RecursionError: arrays nested thousands deep
    except (ValueError, RecursionError, stripe.SignatureVerificationError):
        return None
    return body if isinstance(body, dict) else None


def receive(services: Services, body: Mapping[str, Any], payload: bytes) -> dict[str, bool]:
    """What a signed JSON object means, applied once: the webhook's answer.

    An event we understand is planned and applied (``duplicate``: it was seen before); one we
    do not is kept for review and changes nothing else.
    """
    event = understand(body)
    if isinstance(event, NotUnderstood):
        keep_for_review(services, event, payload)
        return {"received": True, "understood": False}
    applied = record(services, event.plain())
    return {"received": True, "understood": True, "duplicate": not applied}


def keep_for_review(services: Services, failure: NotUnderstood, payload: bytes) -> bool:
    """Record a signed event that is not understood for a person, once; no state changes."""
    kept = services.store.apply(review(failure, payload))
    if kept:  # a line, not a traceback; the review holds the excerpt
        log.warning(
            "stripe event %s (%s) not understood: %s",
            failure.event_id or "without an id",
            ascii(failure.type),
            "; ".join(failure.errors),
        )
    return kept


def record(services: Services, event: Mapping[str, Any]) -> bool:
    """Apply what an understood event means (``Event.plain``); False if it was seen before."""
    received = datetime.fromtimestamp(event["created"], ZoneInfo(services.timezone)).date()
    if services.today is not None:
        # a pinned day (tests, `portal serve --today`) is the latest anything can happen on:
        # the billing rules ignore payments dated after it
        received = min(received, services.day())
    kind, day = event["type"], received.isoformat()
    if "data" in event and kind in AUTOPAY_KINDS:  # checked as an automatic charge's
        from functions.autopay.recording import record_intent

        return record_intent(services.store, event, day)
    if kind not in HANDLED:  # its object was not checked, so it is not read
        return services.store.apply(plan(event, None, None, day))
    obj = event["data"]["object"]
    if obj.get("mode") == "setup":  # a method saved for autopay (events.SetupSession)
        if services.stripe is None:
            raise saved.TryAgain("no Stripe client to read the saved method with")
        return saved.from_setup(services.store, services.stripe, event, services.day())
    session = services.store.session(obj["id"]) if kind.startswith("checkout.session.") else None
    intent = obj.get("payment_intent")
    existing = services.store.payment(intent) if isinstance(intent, str) else None
    if session is None or kind == "checkout.session.expired":
        return services.store.apply(plan(event, session, existing, day))
    # a session's payment: what the event cannot say is learnt here, at the edge
    method = None
    unknown = existing is None or existing.method == "other"  # asked once a payment, not event
    if unknown and offered_method(obj.get("payment_method_types") or []) is None:
        method = paid_with(services.sessions, session.id)  # the session offered several
    others = [p for p in services.store.payments(session.invoice) if p.id != intent]
    beyond = 0
    if existing is None and kind != "checkout.session.async_payment_failed":
        beyond = _beyond(services, session, str(intent), others, received)
    applied = services.store.apply(
        plan(event, session, existing, day, method=method, others=others, beyond=beyond)
    )
    if session.autopay and kind == "checkout.session.completed" and services.stripe is not None:
        # the client also asked to pay future invoices with this method: saved after the
        # payment, and again on a redelivery (which the save makes harmless)
        saved.from_payment(services.store, services.stripe, event, session, services.day())
    return applied


def _beyond(
    services: Services,
    session: CheckoutSession,
    intent: str,
    others: list[Payment],
    received: date,
) -> int:
    """How much of a new payment of ``session`` its invoice does not owe (0 if all of it).

    Asked only when the invoice has been paid something before (in the store, or counted
    by the build): a session's own amount never exceeds what was owed when it opened, so
    only earlier money can make it pay twice. The check is advice to a person; if it cannot
    be made (the client's snapshot unreadable), the payment is recorded all the same.
    """
    entry = services.store.invoice(session.invoice) or {}
    if not any(p.status != "failed" for p in others) and not entry.get("paid"):
        return 0
    try:
        bundle = services.snapshots.load(session.client)
        return overpay.beyond(bundle, others, session, intent, received) if bundle else 0
    except Exception as exc:  # a bulkhead: the payment matters more than the advice
        log.warning("could not check %s for a second payment: %s", session.invoice, exc)
        return 0
