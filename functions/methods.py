"""How a payment was really made: Stripe's payment method type, in the words we record.

A Checkout Session event says which methods the client was offered, not which one paid:
a session offering a card and a bank debit that was paid by bank debit looks the same as
one paid by card. The paying method is on the payment intent's charge
(``payment_method_details.type``), which the webhook asks Stripe for once, here.

The recorded vocabulary is ``site_builder.model.Payment.method``: ``card``; ``bank_debit``
for every bank debit scheme; ``bank_transfer`` for Stripe's bank transfers (a customer
balance funded by a transfer); a few methods a client knows by their own name (BLIK,
Alipay…); and ``other`` for the rest, so a new Stripe method is recorded, never refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from functions.sessions import SessionsApi

log = logging.getLogger(__name__)

BANK_DEBITS = frozenset({
    "us_bank_account", "sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit",
    "nz_bank_account",
})  # fmt: skip
# the named methods keep Stripe's own type as their word
NAMED = frozenset(
    {"link", "paypal", "klarna", "ideal", "blik", "p24", "fpx", "alipay", "wechat_pay"}
)
STRIPE_METHODS: dict[str, str] = {
    "card": "card",
    "card_present": "card",
    "customer_balance": "bank_transfer",
    **dict.fromkeys(BANK_DEBITS, "bank_debit"),
    **{name: name for name in NAMED},
}
# Stripe's type names, as events.MethodType checks them: anything else is not one
_TYPE = re.compile(r"[a-z0-9_]{1,64}")
# What the webhook asks Stripe: the session's payment intent and its latest charge, in one call
EXPAND = ["payment_intent.latest_charge"]


def method_of(stripe_type: str) -> str:
    """Our word for a Stripe payment method type (``other`` for one we do not name)."""
    return STRIPE_METHODS.get(stripe_type, "other")


def offered_method(types: Iterable[str]) -> str | None:
    """The method a session's offered types leave no doubt about; None when they allow two."""
    methods = {method_of(t) for t in types}
    return methods.pop() if len(methods) == 1 else None


def paid_with(sessions: SessionsApi, session_id: str) -> str | None:
    """The method that paid ``session_id``, as Stripe's charge names it; None if unknown.

    None when Stripe cannot be asked just now or does not say yet (a bank transfer has no
    charge until the money arrives): the payment is then recorded all the same, with what
    the event shows (``payments.plan``), since a label is never worth losing or delaying a
    payment for; a later event of the same payment asks again.
    """
    try:
        found = sessions.retrieve(session_id, {"expand": EXPAND})
        session = found.to_dict() if hasattr(found, "to_dict") else found
        stripe_type = _charge_type(session.get("payment_intent"))
    # whatever fails (Stripe unreachable or refusing, an answer of another shape), the
    # payment is recorded: this is a label, and the event already proved the money
    except Exception as exc:
        log.warning("payment method of %s not known from Stripe: %s", session_id, exc)
        return None
    return method_of(stripe_type) if stripe_type is not None else None


def _charge_type(intent: Any) -> str | None:
    """The type on the intent's latest charge, else the intent's one type; None if neither."""
    if not isinstance(intent, Mapping):
        return None
    charge = intent.get("latest_charge")
    if isinstance(charge, Mapping):
        details = charge.get("payment_method_details")
        if isinstance(details, Mapping) and _is_type(details.get("type")):
            return str(details["type"])
    types = intent.get("payment_method_types")
    if isinstance(types, list) and len(types) == 1 and _is_type(types[0]):
        return str(types[0])
    return None


def _is_type(value: Any) -> bool:
    return isinstance(value, str) and _TYPE.fullmatch(value) is not None
