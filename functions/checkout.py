"""Opening a Stripe Checkout for an invoice: every figure comes from the server's own data.

The browser names an invoice, its portal token and optionally an instalment;
the amount is the billing rules' amount due today, from the client's snapshot
plus every payment the store has recorded since the build.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from functions.recorded import invoice_account
from functions.snapshots import Snapshots
from functions.store.base import CheckoutSession, Store
from site_builder.bundle import ClientBundle
from site_builder.money import MoneyError, to_stripe
from site_builder.tokens import token_matches

log = logging.getLogger(__name__)
SESSION_LIFETIME = 3600  # seconds; Stripe accepts 30 minutes to 24 hours
REFUSED = {
    "paid": "This invoice is already paid.",
    "void": "This invoice is not payable.",
    "draft": "This invoice is not payable.",
    "disputed": "This invoice is under dispute: please contact us before paying it.",
}


class SessionsApi(Protocol):
    def create(self, params: dict[str, Any], options: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class Redirect:
    url: str


@dataclass(frozen=True)
class Refusal:
    # 404: unknown invoice or wrong token (the same answer); 409: nothing Stripe can be asked
    # to charge; 502: Stripe refused or could not be reached
    status: int
    reason: str


def open_checkout(
    *,
    store: Store,
    snapshots: Snapshots,
    sessions: SessionsApi,
    secret: str,
    invoice: str,
    token: str,
    instalment: str | None,
    today: date,
    now: float | None = None,
) -> Redirect | Refusal:
    now = time.time() if now is None else now
    not_found = Refusal(404, "No such invoice in this portal.")
    entry = store.invoice(invoice)
    bundle = snapshots.load(entry["client"]) if entry else None
    if entry is None or bundle is None:
        return not_found
    if not token_matches(secret, bundle.client.id, bundle.client.token_version, token):
        return not_found
    figures = invoice_account(bundle, store, invoice, today)
    if figures is None:
        return not_found
    st = figures.statement
    if st.status in REFUSED:
        return Refusal(409, REFUSED[st.status])
    n: int | None = None
    amount = st.amount_due
    if instalment:
        entry_figures = next((e for e in st.entries if str(e.n) == instalment), None)
        if entry_figures is None:
            return not_found
        n, amount = entry_figures.n, entry_figures.amount_due
    if amount <= 0:
        return Refusal(409, "This instalment is already paid.")

    try:
        to_stripe(amount, st.currency)
    except MoneyError as exc:
        return Refusal(409, f"This amount cannot be paid online: {exc}. Please contact us.")

    reusable = store.open_session(invoice, n, amount, now)
    if reusable is not None:
        return Redirect(reusable.url)
    import stripe  # here: the health check's cold start does not load the SDK

    try:
        session = _create(sessions, bundle, token, invoice, n, amount, st.currency, today, now)
    except stripe.StripeError as exc:
        # the client sees a page that says what to do; the agency sees Stripe's own words
        log.warning("checkout %s: Stripe refused the session: %s", invoice, exc)
        return Refusal(
            502, "The payment page could not be opened just now. Please try again in a moment."
        )
    store.save_session(session)
    return Redirect(session.url)


def _create(
    sessions: SessionsApi,
    bundle: ClientBundle,
    token: str,
    invoice: str,
    n: int | None,
    amount: int,
    currency: str,
    today: date,
    now: float,
) -> CheckoutSession:
    agency, client = bundle.agency, bundle.client
    portal = f"{agency.portal_url}/c/{token}"
    billing = next(c for c in client.contacts if c.role == "billing")
    name = f"Invoice {invoice}" + (f", instalment {n}" if n else "")
    metadata = {
        "invoice": invoice,
        "client": client.id,
        "instalment": str(n or ""),
        "amount": str(amount),
    }
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": to_stripe(amount, currency),
                    "product_data": {"name": name},
                },
            }
        ],
        "client_reference_id": invoice,
        "customer_email": billing.email,
        "locale": _stripe_locale(bundle.locale),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "expires_at": int(now) + SESSION_LIFETIME,
        "success_url": f"{portal}/invoices/{invoice}.html?paid={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{portal}/invoices/{invoice}.html",
    }
    if agency.allowed_payment_method_types:
        # API versions from 2026-09-30 refuse payment_method_types; exclude the rest instead
        params["excluded_payment_method_types"] = [
            t
            for t in ("us_bank_account", "sepa_debit", "card")
            if t not in agency.allowed_payment_method_types
        ]
    key = f"checkout:{invoice}:{n or 0}:{amount}:{today.isoformat()}"
    created = sessions.create(params, {"idempotency_key": key})
    return CheckoutSession(
        id=created["id"],
        invoice=invoice,
        client=client.id,
        instalment=n,
        amount=amount,
        currency=currency,
        url=created["url"],
        expires_at=int(created["expires_at"]),
    )


def _stripe_locale(locale: str) -> str:
    tag = locale.replace("_", "-")
    return {"zh-Hans": "zh", "zh-Hant": "zh-TW"}.get(tag, tag.split("-")[0])
