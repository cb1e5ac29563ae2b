"""The HTTP face of the local Stripe: the v1 API subset, test helpers and the hosted page."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import checkout_page
from .errors import StripeError
from .methods import REDIRECT_METHODS
from .objects import API_VERSION, new_id
from .params import parse_form
from .records import PayResult, RequestInfo
from .state import Store

log = logging.getLogger(__name__)

Params = dict[str, Any]
Handler = Callable[[Store, Request, Params, RequestInfo], dict[str, Any]]

_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _json(
    status: int, body: bytes, request_id: str, extra: dict[str, str] | None = None
) -> Response:
    headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION, **(extra or {})}
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2).encode()


def _authorized(request: Request) -> StripeError | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    key = credentials.strip()
    if scheme.lower() == "basic" and key:
        try:
            key = base64.b64decode(key).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    elif scheme.lower() != "bearer":
        key = ""
    if not key:
        return StripeError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
            status=401,
        )
    if not key.startswith(("sk_", "rk_")):
        return StripeError(f"Invalid API Key provided: {key[:8]}***", status=401)
    return None


def api(store: Store, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with authentication, parameter parsing, idempotency and error shapes."""

    async def endpoint(request: Request) -> Response:
        request_id = new_id("req", 14)
        problem = _authorized(request)
        if problem is not None:
            return _json(problem.status, _encode(problem.body()), request_id)
        if request.method == "POST":
            params = parse_form(await request.body())
            query = parse_form(request.url.query)
            params = {**query, **params}
        else:
            params = parse_form(request.url.query)
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        req = RequestInfo(request_id=request_id, idempotency_key=key)
        path = request.url.path
        extra = {"Idempotency-Key": key} if key else {}
        with store.lock:
            try:
                if key:
                    saved = store.idempotent_lookup(key, request.method, path, params)
                    if saved is not None:
                        return _json(
                            saved.status,
                            saved.body,
                            request_id,
                            {**extra, "Idempotent-Replayed": "true"},
                        )
                body = _encode(handler(store, request, params, req))
            except StripeError as exc:
                error_body = _encode(exc.body())
                if key and exc.executed:
                    # a decline is the request's result: a retry with the key replays it
                    store.idempotent_save(key, request.method, path, params, exc.status, error_body)
                return _json(exc.status, error_body, request_id, extra)
            except Exception:
                log.exception("local Stripe failed on %s %s", request.method, path)
                error = StripeError(
                    "An unexpected error occurred in the local Stripe server.",
                    status=500,
                    type="api_error",
                )
                return _json(500, _encode(error.body()), request_id, extra)
            if key:
                store.idempotent_save(key, request.method, path, params, 200, body)
        return _json(200, body, request_id, extra)

    return endpoint


def _create_session(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.create_checkout_session(params, req)


def _list_sessions(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.list_checkout_sessions(params)


def _get_session(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.retrieve_checkout_session(request.path_params["id"], params)


def _line_items(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.list_line_items(request.path_params["id"], params)


def _expire(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.expire_checkout_session(request.path_params["id"], params, req)


def _get_intent(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.retrieve_payment_intent(request.path_params["id"], params)


def _get_charge(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.retrieve_charge(request.path_params["id"], params)


def _create_refund(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.create_refund(params, req)


def _get_refund(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.retrieve_refund(request.path_params["id"], params)


def _get_dispute(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.retrieve_dispute(request.path_params["id"], params)


def _get_event(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.retrieve_event(request.path_params["id"])


def _list_events(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.list_events(params)


def _create_customer(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.create_customer(params, req)


def _get_customer(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.retrieve_customer(request.path_params["id"], params)


def _update_customer(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.update_customer(request.path_params["id"], params, req)


def _customer_methods(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.list_customer_payment_methods(request.path_params["id"], params)


def _list_methods(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.list_payment_methods(params)


def _get_method(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.retrieve_payment_method(request.path_params["id"], params)


def _attach(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.attach_payment_method(request.path_params["id"], params, req)


def _detach(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.detach_payment_method(request.path_params["id"], params, req)


def _create_setup(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.create_setup_intent(params, req)


def _list_setups(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.list_setup_intents(params)


def _get_setup(store: Store, request: Request, params: Params, req: RequestInfo) -> dict[str, Any]:
    return store.retrieve_setup_intent(request.path_params["id"], params)


def _confirm_setup(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.confirm_setup_intent(request.path_params["id"], params, req)


def _create_intent(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.create_payment_intent(params, req)


def _list_intents(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.list_payment_intents(params)


def _test_dispute(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    return store.create_test_dispute(params, req)


def _test_advance_clock(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    raw = params.get("seconds")
    try:
        seconds = float(raw) if isinstance(raw, str) else None
    except ValueError:
        seconds = None
    if seconds is None or seconds < 0:
        raise StripeError("Pass seconds, a non-negative number.", param="seconds")
    store.advance_time(seconds)
    return {"object": "test_clock", "now": store.now()}


def _unknown_route(
    store: Store, request: Request, params: Params, req: RequestInfo
) -> dict[str, Any]:
    raise StripeError(
        f"Unrecognized request URL ({request.method}: {request.url.path}). This local Stripe "
        "server implements only part of the API: Checkout Sessions, Customers, PaymentMethods, "
        "SetupIntents, PaymentIntents, Charges, Refunds, Disputes and Events.",
        status=404,
    )


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def build_app(store: Store) -> Starlette:
    """The Starlette application serving ``store``."""

    async def show_page(request: Request) -> Response:
        view = store.session_view(request.path_params["id"])
        if view is None:
            return _page(checkout_page.render_missing(), 404)
        session, items = view
        if session["status"] != "open":
            return _page(checkout_page.render_closed(session))
        return _page(
            checkout_page.render_checkout(session, items, bank_delay=store.async_payment_delay)
        )

    def answer(session_id: str, result: PayResult, card_number: str = "") -> Response:
        if result.outcome == "redirect" and result.redirect_url:
            return RedirectResponse(result.redirect_url, status_code=303, headers=_PAGE_HEADERS)
        view = store.session_view(session_id)
        if view is None:
            return _page(checkout_page.render_missing(), 404)
        session, items = view
        if result.outcome == "complete":
            return _page(checkout_page.render_done(session))
        if result.outcome == "closed":
            return _page(checkout_page.render_closed(session), result.status)
        # the form again, with the problem named (role=alert), answered 200 as Stripe's page
        # shows a decline without failing a request: a 4xx would be a console error
        return _page(
            checkout_page.render_checkout(
                session,
                items,
                error=result.message,
                card_number=card_number or checkout_page.DEFAULT_CARD,
                bank_delay=store.async_payment_delay,
            )
        )

    async def submit_page(request: Request) -> Response:
        session_id = request.path_params["id"]
        raw = parse_form(await request.body())
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        card_number = form.get("card_number", "")
        result = store.pay(session_id, form.get("method", ""), card_number, form)
        return answer(session_id, result, card_number)

    async def show_redirect(request: Request) -> Response:
        """A redirect method's test page, as Stripe's test mode shows one."""
        view = store.session_view(request.path_params["id"])
        if view is None:
            return _page(checkout_page.render_missing(), 404)
        session, _ = view
        if session["status"] != "open":
            return _page(checkout_page.render_closed(session))
        method = request.path_params["method"]
        if method not in session["payment_method_types"] or method not in REDIRECT_METHODS:
            return _page(checkout_page.render_missing(), 404)
        bank = request.query_params.get("bank")
        return _page(checkout_page.render_authorize(session, method, bank))

    async def submit_redirect(request: Request) -> Response:
        session_id = request.path_params["id"]
        raw = parse_form(await request.body())
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        result = store.authorize(
            session_id,
            request.path_params["method"],
            form.get("bank") or None,
            form.get("outcome", ""),
        )
        return answer(session_id, result)

    def route(path: str, handler: Handler, method: str) -> Route:
        return Route(path, api(store, handler), methods=[method])

    unknown = api(store, _unknown_route)
    routes = [
        route("/v1/checkout/sessions", _create_session, "POST"),
        route("/v1/checkout/sessions", _list_sessions, "GET"),
        route("/v1/checkout/sessions/{id}", _get_session, "GET"),
        route("/v1/checkout/sessions/{id}/line_items", _line_items, "GET"),
        route("/v1/checkout/sessions/{id}/expire", _expire, "POST"),
        route("/v1/customers", _create_customer, "POST"),
        route("/v1/customers/{id}", _get_customer, "GET"),
        route("/v1/customers/{id}", _update_customer, "POST"),
        route("/v1/customers/{id}/payment_methods", _customer_methods, "GET"),
        route("/v1/payment_methods", _list_methods, "GET"),
        route("/v1/payment_methods/{id}", _get_method, "GET"),
        route("/v1/payment_methods/{id}/attach", _attach, "POST"),
        route("/v1/payment_methods/{id}/detach", _detach, "POST"),
        route("/v1/setup_intents", _create_setup, "POST"),
        route("/v1/setup_intents", _list_setups, "GET"),
        route("/v1/setup_intents/{id}", _get_setup, "GET"),
        route("/v1/setup_intents/{id}/confirm", _confirm_setup, "POST"),
        route("/v1/payment_intents", _create_intent, "POST"),
        route("/v1/payment_intents", _list_intents, "GET"),
        route("/v1/payment_intents/{id}", _get_intent, "GET"),
        route("/v1/charges/{id}", _get_charge, "GET"),
        route("/v1/refunds", _create_refund, "POST"),
        route("/v1/refunds/{id}", _get_refund, "GET"),
        route("/v1/disputes/{id}", _get_dispute, "GET"),
        route("/v1/events", _list_events, "GET"),
        route("/v1/events/{id}", _get_event, "GET"),
        route("/_test/disputes", _test_dispute, "POST"),
        route("/_test/advance_clock", _test_advance_clock, "POST"),
        Route("/pay/{id}", show_page, methods=["GET"]),
        Route("/pay/{id}", submit_page, methods=["POST"]),
        Route("/pay/{id}/authorize/{method}", show_redirect, methods=["GET"]),
        Route("/pay/{id}/authorize/{method}", submit_redirect, methods=["POST"]),
        Route("/v1/{rest:path}", unknown, methods=["GET", "POST", "DELETE"]),
    ]
    return Starlette(routes=routes)
