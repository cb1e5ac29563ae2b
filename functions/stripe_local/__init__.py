"""A local, in-memory, Stripe-compatible HTTP server for tests and offline demos.

It speaks enough of Stripe's v1 API for the real ``stripe`` SDK (Checkout Sessions,
PaymentIntents, Charges, Refunds, Events), serves a hosted checkout page with test cards and
bank debits, and delivers signed webhooks. It binds only 127.0.0.1 and keeps no files.

    with LocalStripe(webhook_url=..., webhook_secret="whsec_...") as server:
        client = server.client()   # stripe.StripeClient pointed at server.url
"""

from .objects import API_VERSION
from .server import DEFAULT_API_KEY, LocalStripe
from .state import PayResult, Store
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
