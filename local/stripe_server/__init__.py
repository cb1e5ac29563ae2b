"""A local, in-memory, Stripe-compatible HTTP server for tests and offline demos.

It speaks enough of Stripe's v1 API for the real ``stripe`` SDK (Checkout Sessions,
PaymentIntents, Charges, Refunds, Events), serves a hosted checkout page with test cards and
bank debits, and delivers signed webhooks. It binds only 127.0.0.1 and keeps no files.

Why written here rather than taken from a library: nothing published runs Checkout's flows
(a hosted page, a payment that completes, a bank debit that settles days later, signed
webhooks that follow); Stripe's own stripe-mock is stateless and answers fixtures, so a
session it creates can never be paid. Its request and object shapes follow Stripe's docs.

    with LocalStripe(webhook_url=..., webhook_secret="whsec_...") as server:
        client = server.client()   # stripe.StripeClient pointed at server.url
"""

from .objects import API_VERSION
from .records import PayResult
from .server import DEFAULT_API_KEY, LocalStripe
from .state import Store
from .webhooks import Delivery, sign_payload

__all__ = [
    "API_VERSION",
    "DEFAULT_API_KEY",
    "Delivery",
    "LocalStripe",
    "PayResult",
    "Store",
    "sign_payload",
]
