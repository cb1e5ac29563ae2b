"""A client's one Stripe Customer: the store's, else made now and kept for good."""

from __future__ import annotations

from functions.autopay.stripe_api import StripeObjects
from functions.store.base import Store
from site_builder.bundle import ClientBundle


def client_customer(store: Store, stripe: StripeObjects, bundle: ClientBundle) -> str:
    """The client's Customer id, made at Stripe the first time it is needed.

    The idempotency key makes a retried or doubled request one Customer at Stripe; the
    store's first writer wins over two made at once after Stripe forgot the key (24 hours).
    """
    client = bundle.client
    known = store.customer(client.id)
    if known is not None:
        return known
    billing = next(c for c in client.contacts if c.role == "billing")
    made = stripe.create_customer(
        {"email": billing.email, "name": client.name, "metadata": {"client": client.id}},
        {"idempotency_key": f"customer:{client.id}"},
    )
    return store.save_customer(client.id, str(made["id"]))
