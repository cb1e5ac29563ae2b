"""Where Stripe's setup page returns (``GET /autopay/done``): whether the method is saved.

As ``/paid`` does for a payment: the store says whether the method the session set up is the
client's saved one; before the webhook has arrived, Stripe's own view of the session says
whether it is still being set up or was not completed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from functions.autopay.enrol import PURPOSE, Portal
from functions.notices import Notice, translations
from functions.recorded import saved_method
from functions.sessions import SessionsApi
from functions.snapshots import Snapshots
from functions.store.base import Store
from site_builder.autopay_words import method_name
from site_builder.tokens import client_token

log = logging.getLogger(__name__)


def setup_returned(
    *, store: Store, snapshots: Snapshots, sessions: SessionsApi, secret: str, session_id: str
) -> Notice | None:
    """What became of a setup session, in the client's language; None if it is not ours."""
    import stripe as sdk  # here: only a return from Stripe's page pays for the SDK

    try:
        found = sessions.retrieve(session_id, {"expand": ["setup_intent"]})
    except sdk.StripeError as exc:
        log.warning("setup session %s not known from Stripe: %s", session_id, exc)
        return None
    session = found.to_dict() if hasattr(found, "to_dict") else found
    metadata = session.get("metadata") or {}
    if session.get("mode") != "setup" or metadata.get("purpose") != PURPOSE:
        return None
    bundle = snapshots.load(str(metadata.get("client", "")))
    if bundle is None:
        return None
    portal = Portal(bundle, client_token(secret, bundle.client.id, bundle.client.token_version))
    t = translations(bundle.locale)
    saved = store.method(bundle.client.id)
    if saved is not None and saved["payment_method"] == _set_up(session.get("setup_intent")):
        words = method_name(t, saved_method(saved))
        return portal.notice(
            200,
            t.gettext("Automatic payments are on"),
            t.gettext(
                "Your invoices will be charged to %(method)s on the days shown in your portal. "
                "You will be emailed before each charge."
            )
            % {"method": words},
        )
    if session.get("status") == "complete":
        return portal.notice(
            200,
            t.gettext("Automatic payments: being set up"),
            t.gettext("Your payment method is being set up. Your portal will show it in a moment."),
        )
    return portal.notice(
        200,
        t.gettext("Automatic payments not turned on"),
        t.gettext(
            "The payment method was not saved, and nothing will be charged automatically. "
            "You can try again from your portal."
        ),
    )


def _set_up(intent: Any) -> str | None:
    """The PaymentMethod a session's (expanded) SetupIntent set up, if any."""
    if not isinstance(intent, Mapping):
        return None
    method = intent.get("payment_method")
    if isinstance(method, Mapping):
        return str(method.get("id"))
    return method if isinstance(method, str) else None
