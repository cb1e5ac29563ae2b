"""Turning automatic payments on, changing the method, turning them off: ``POST /autopay``.

The portal's forms name a client and its portal token (checked as ``/checkout`` checks it:
an unknown client and a wrong token get the same 404) and an action. ``on`` and ``change``
open Stripe's Checkout in ``setup`` mode for the client's one Stripe Customer: the method
is saved when Stripe says the setup succeeded (``functions/autopay/saved.py``), never here.
``off`` takes the client off autopay in the store first, so nothing is charged from that
moment whatever Stripe answers, then detaches the method at Stripe and re-publishes the
client's pages.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from functions.autopay.customers import client_customer
from functions.autopay.stripe_api import StripeObjects
from functions.checkout import SESSION_LIFETIME, Redirect, excluded_methods, stripe_locale
from functions.notices import Notice, translations
from functions.sessions import SessionsApi
from functions.snapshots import Snapshots
from functions.store.base import Change, OutboxItem, Store
from site_builder.billing.autopay import autopay_policy
from site_builder.bundle import ClientBundle
from site_builder.tokens import token_matches

log = logging.getLogger(__name__)
ACTIONS = ("on", "change", "off")
NO_PORTAL = "No such portal."  # one answer for an unknown client or a wrong token
PURPOSE = "autopay"  # the setup session's metadata.purpose: what the webhook knows it by
OFF_REASON = "turned off by the client"


@dataclass(frozen=True)
class Portal:
    """The client whose portal sent the form, its token checked."""

    bundle: ClientBundle
    token: str

    @property
    def index(self) -> str:
        return portal_index(self.bundle.agency.portal_url, self.token)

    def notice(self, status: int, title: str, message: str) -> Notice:
        t = translations(self.bundle.locale)
        return Notice(
            status,
            title,
            message,
            back=self.index,
            back_label=t.gettext("Back to your portal"),
            lang=self.bundle.locale.replace("_", "-"),
            agency=self.bundle.agency.name,
        )


def portal_index(portal_url: str, token: str) -> str:
    return f"{portal_url.rstrip('/')}/c/{token}/index.html"


def find_portal(snapshots: Snapshots, secret: str, client_id: str, token: str) -> Portal | None:
    bundle = snapshots.load(client_id)
    if bundle is None:
        return None
    if not token_matches(secret, bundle.client.id, bundle.client.token_version, token):
        return None
    return Portal(bundle, token)


def enrol(
    *,
    store: Store,
    snapshots: Snapshots,
    sessions: SessionsApi,
    stripe: StripeObjects,
    secret: str,
    client_id: str,
    token: str,
    action: str,
    today: date,
    now: float | None = None,
) -> Redirect | Notice:
    """Stripe's setup page (``on``, ``change``), or a page that says what happened or why not.

    404: an unknown client or a wrong token; 409: the agency does not offer automatic
    payments to this client; 502: Stripe refused or could not be reached.
    """
    now = time.time() if now is None else now
    portal = find_portal(snapshots, secret, client_id, token)
    if portal is None or action not in ACTIONS:
        return Notice(404, NO_PORTAL, NO_PORTAL)
    t = translations(portal.bundle.locale)
    if action == "off":
        return turn_off(store, stripe, portal, today)
    policy = autopay_policy(portal.bundle.agency, portal.bundle.client)
    if policy.mode == "off":
        return portal.notice(
            409,
            t.gettext("Automatic payments are not offered"),
            t.gettext("Automatic payments are not offered for this account. Please contact us."),
        )
    import stripe as sdk  # here: the health check's cold start does not load the SDK

    try:
        customer = client_customer(store, stripe, portal.bundle)
        session = _setup_session(sessions, store, portal, customer, now)
    except sdk.StripeError as exc:
        log.warning("autopay %s: Stripe refused: %s", client_id, exc)
        return portal.notice(
            502,
            t.gettext("Payment page unavailable"),
            t.gettext("The payment page could not be opened just now. Please try again shortly."),
        )
    return Redirect(session["url"])


def _setup_session(
    sessions: SessionsApi, store: Store, portal: Portal, customer: str, now: float
) -> Any:
    bundle = portal.bundle
    agency, client = bundle.agency, bundle.client
    currency = client.currency or agency.currency
    metadata = {"client": client.id, "purpose": PURPOSE}
    params: dict[str, Any] = {
        "mode": "setup",
        "customer": customer,
        # setup mode with Stripe's dynamic payment methods needs the currency they are for
        "currency": currency.lower(),
        "locale": stripe_locale(bundle.locale),
        "metadata": metadata,
        "setup_intent_data": {"metadata": metadata},
        "expires_at": int(now) + SESSION_LIFETIME,
        "success_url": f"{agency.api_url.rstrip('/')}/autopay/done?session={{CHECKOUT_SESSION_ID}}",
        "cancel_url": portal.index,
    }
    if excluded := excluded_methods(agency, currency):
        params["excluded_payment_method_types"] = excluded
    # one session per press and lifetime: a double click is one session, a press after the
    # last one expired (or after a change was saved) a new one
    saved = store.method(client.id)
    window = int(now) // SESSION_LIFETIME
    key = f"autopay-setup:{client.id}:{saved['payment_method'] if saved else 'none'}:{window}"
    return sessions.create(params, {"idempotency_key": key})


def turn_off(store: Store, stripe: StripeObjects, portal: Portal, today: date) -> Notice:
    """Off in the store first (the charging job reads it), then at Stripe, then the pages."""
    bundle = portal.bundle
    t = translations(bundle.locale)
    dropped = store.drop_method(bundle.client.id, OFF_REASON, today.isoformat())
    if dropped is not None:
        detach(stripe, str(dropped["payment_method"]))
        store.apply(republish(bundle.client.id, f"autopay-off:{dropped['payment_method']}"))
    return portal.notice(
        200,
        t.gettext("Automatic payments are off"),
        t.gettext(
            "Nothing will be charged automatically. Your invoices stay payable from your portal."
        ),
    )


def detach(stripe: StripeObjects, payment_method: str) -> bool:
    """Detach a method no longer saved; False (and a line in the log) when Stripe refuses.

    The store no longer names it, so it is never charged either way: a method left attached
    is only untidy (Stripe refuses a second detach of one already detached, also fine).
    """
    import stripe as sdk

    try:
        stripe.detach_payment_method(payment_method)
    except sdk.StripeError as exc:
        log.warning("could not detach %s at Stripe: %s", payment_method, exc)
        return False
    return True


def republish(client: str, key: str) -> Change:
    """The client's pages made again, once per ``key``: what the store recorded shows."""
    return Change(
        key,
        outbox=[
            OutboxItem(key=f"publish:{client}:{key}", kind="publish", payload={"client": client})
        ],
    )
