"""A method saved for automatic payments, from Stripe's word that it was set up.

Two events save one: a Checkout Session in ``setup`` mode completed (``/autopay``), and a
payment's session opened with ``autopay=on`` completed (its PaymentIntent has
``setup_future_usage``). Either way the method is read from Stripe (the SetupIntent or the
PaymentIntent, with its PaymentMethod expanded), saved as the client's (the one it replaces
is detached at Stripe), and the client's pages are made again to show it.

Each step can be repeated: saving the saved method again changes nothing and hands back
nothing to detach, and the re-publish is keyed by the event, so a redelivered event (or one
retried after Stripe could not be asked) saves once, detaches once and publishes once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any

from functions.autopay.enrol import detach, republish
from functions.autopay.stripe_api import StripeObjects
from functions.store.base import Change, CheckoutSession, Store

log = logging.getLogger(__name__)
EXPAND = ["payment_method"]


class TryAgain(RuntimeError):
    """Stripe could not be asked: nothing was recorded, and the webhook answers so that
    Stripe delivers the event again later."""


def from_setup(store: Store, stripe: StripeObjects, event: Mapping[str, Any], today: date) -> bool:
    """A completed setup session (``events.SetupSession``); False if it was seen before."""
    obj = event["data"]["object"]
    client, customer = obj["metadata"]["client"], obj["customer"]
    if store.customer(client) != customer:
        # /autopay made the session for the client's Customer: another one is not ours
        problem = {"problem": "setup for another customer", "client": client, "customer": customer}
        return store.apply(Change(event["id"], reviews=[problem]))
    intent = _retrieve(stripe.retrieve_setup_intent, obj["setup_intent"]) or {}
    method = intent.get("payment_method")
    if intent.get("status") != "succeeded" or not isinstance(method, Mapping):
        problem = {
            "problem": "setup not succeeded",
            "client": client,
            "setup_intent": obj["setup_intent"],
            "status": intent.get("status"),
        }
        return store.apply(Change(event["id"], reviews=[problem]))
    return save(store, stripe, client, method, customer, event["id"], today)


def from_payment(
    store: Store,
    stripe: StripeObjects,
    event: Mapping[str, Any],
    session: CheckoutSession,
    today: date,
) -> bool:
    """The paying method of an ``autopay=on`` session's payment, once it is recorded."""
    intent = _retrieve(stripe.retrieve_payment_intent, event["data"]["object"]["payment_intent"])
    method = (intent or {}).get("payment_method")
    if intent is None or intent.get("setup_future_usage") != "off_session":
        return False  # nothing to save: the payment alone is what the client made
    if not isinstance(method, Mapping):
        return False
    customer = intent.get("customer") or store.customer(session.client)
    return save(store, stripe, session.client, method, customer, f"{event['id']}:autopay", today)


def save(
    store: Store,
    stripe: StripeObjects,
    client: str,
    method: Mapping[str, Any],
    customer: str | None,
    key: str,
    today: date,
) -> bool:
    """Save ``method`` as the client's, detach the one it replaces, re-publish (once per key)."""
    replaced = store.save_method(client, method_fields(method, customer), today.isoformat())
    if replaced is not None and replaced["payment_method"] != method["id"]:
        detach(stripe, str(replaced["payment_method"]))
    return store.apply(republish(client, key))


def method_fields(method: Mapping[str, Any], customer: str | None) -> dict[str, Any]:
    """A Stripe PaymentMethod as the store keeps it (``base.SAVED_METHOD_FIELDS``).

    The card's brand, or the bank's name where a bank debit has one; the last four digits
    of the card or account: what the client recognises it by.
    """
    kind = str(method["type"])
    details = method.get(kind)
    details = details if isinstance(details, Mapping) else {}
    return {
        "customer": method.get("customer") or customer,
        "payment_method": str(method["id"]),
        "type": kind,
        "brand": details.get("brand") or details.get("bank_name"),
        "last4": details.get("last4"),
    }


def _retrieve(call: Any, object_id: str) -> Mapping[str, Any] | None:
    """The object with its PaymentMethod; None if Stripe has no such object (asking again
    would not help); ``TryAgain`` if Stripe could not be asked just now."""
    import stripe as sdk  # here: only an autopay event pays for the SDK

    try:
        found = call(object_id, {"expand": EXPAND})
    except sdk.InvalidRequestError as exc:
        log.warning("%s not found at Stripe: %s", object_id, exc)
        return None
    except sdk.StripeError as exc:
        log.warning("could not read %s from Stripe: %s", object_id, exc)
        raise TryAgain(str(exc)) from exc
    return found.to_dict() if hasattr(found, "to_dict") else found
