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
from typing import Any

from functions.autopay.customers import client_customer
from functions.autopay.stripe_api import StripeObjects
from functions.methods import BANK_DEBITS
from functions.notices import Notice, invoice_page, translations
from functions.recorded import invoice_account
from functions.sessions import SessionsApi
from functions.snapshots import Snapshots
from functions.store.base import CheckoutSession, Store
from site_builder.billing.autopay import autopay_policy
from site_builder.bundle import ClientBundle
from site_builder.model import PAYMENT_METHOD_TYPES, Agency
from site_builder.money import MoneyError, to_stripe
from site_builder.tokens import token_matches

log = logging.getLogger(__name__)
SESSION_LIFETIME = 3600  # seconds; Stripe accepts 30 minutes to 24 hours
REFUSED = frozenset({"paid", "void", "draft", "disputed"})
NOT_FOUND = "No such invoice in this portal."  # one answer for an unknown invoice or token
# What an agency's allowed_payment_method_types can leave out: a card, every bank debit and
# Stripe's bank transfer (as functions/methods.py records them)
_EXCLUDABLE = ("card", *sorted(BANK_DEBITS), "customer_balance")


@dataclass(frozen=True)
class Redirect:
    url: str


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
    autopay: bool = False,
    stripe: StripeObjects | None = None,
) -> Redirect | Notice:
    """Stripe's page for the amount due today, or a page that says why not.

    ``autopay``: the client ticked "save this method and pay future invoices automatically";
    where the agency offers autopay the session saves the paying method to the client's
    Customer (``stripe`` makes it), else the box is ignored and the invoice paid as usual.

    404: an unknown invoice or a wrong token (the same answer); 409: nothing Stripe can be
    asked to charge; 502: Stripe refused or could not be reached.
    """
    now = time.time() if now is None else now
    not_found = Notice(404, NOT_FOUND, NOT_FOUND)
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
    t = translations(bundle.locale)

    def refused(status: int, title: str, message: str) -> Notice:
        return Notice(
            status,
            title,
            message,
            back=invoice_page(bundle.agency.portal_url, token, invoice),
            back_label=t.gettext("Back to the invoice"),
            lang=bundle.locale.replace("_", "-"),
            agency=bundle.agency.name,
        )

    if st.status in REFUSED:
        if st.status == "paid":
            return refused(
                409, t.gettext("Already paid"), t.gettext("This invoice is paid. Thank you!")
            )
        if st.status == "disputed":
            return refused(
                409,
                t.gettext("Under dispute"),
                t.gettext("This invoice is under dispute: please contact us before paying it."),
            )
        return refused(409, t.gettext("Nothing to pay"), t.gettext("This invoice is not payable."))
    n: int | None = None
    amount = st.amount_due
    if instalment:
        entry_figures = next((e for e in st.entries if str(e.n) == instalment), None)
        if entry_figures is None:
            return not_found
        n, amount = entry_figures.n, entry_figures.amount_due
    if amount <= 0:
        return refused(
            409, t.gettext("Already paid"), t.gettext("This instalment is paid. Thank you!")
        )

    try:
        to_stripe(amount, st.currency)
    except MoneyError as exc:
        return refused(
            409,
            t.gettext("Cannot be paid online"),
            t.gettext("This amount cannot be paid online (%(why)s). Please contact us.")
            % {"why": exc},
        )

    saving = (
        autopay
        and stripe is not None
        and autopay_policy(bundle.agency, bundle.client).mode != "off"
    )
    reusable = store.open_session(invoice, n, amount, now, autopay=saving)
    if reusable is not None:
        return Redirect(reusable.url)
    import stripe as sdk  # here: the health check's cold start does not load the SDK

    try:
        customer = client_customer(store, stripe, bundle) if saving and stripe else None
        session = _create(
            sessions, bundle, token, invoice, n, amount, st.currency, today, now, customer
        )
    except sdk.StripeError as exc:
        # the client sees a page that says what to do; the agency sees Stripe's own words
        log.warning("checkout %s: Stripe refused the session: %s", invoice, exc)
        return refused(
            502,
            t.gettext("Payment page unavailable"),
            t.gettext("The payment page could not be opened just now. Please try again shortly."),
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
    customer: str | None = None,
) -> CheckoutSession:
    """The session; with ``customer``, one that also saves the paying method for autopay."""
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
        "locale": stripe_locale(bundle.locale),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "expires_at": int(now) + SESSION_LIFETIME,
        # the API's return page says at once what became of the payment, then links back
        "success_url": f"{agency.api_url.rstrip('/')}/paid?session={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{portal}/invoices/{invoice}.html",
    }
    if excluded := excluded_methods(agency, currency):
        params["excluded_payment_method_types"] = excluded
    key = f"checkout:{invoice}:{n or 0}:{amount}:{today.isoformat()}"
    if customer is not None:
        # the paying method is saved to the client's Customer for off-session charges; Stripe
        # takes a customer or a customer_email, not both (the Customer has the address)
        del params["customer_email"]
        params["customer"] = customer
        params["payment_intent_data"]["setup_future_usage"] = "off_session"
        key += ":autopay"  # another session than the plain one for the same amount
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
        autopay=customer is not None,
    )


def excluded_methods(agency: Agency, currency: str) -> list[str] | None:
    """What a session in ``currency`` must not offer; None: Stripe's dynamic methods decide.

    The agency's list for the currency (``payment_methods``), else its
    ``allowed_payment_method_types`` for every currency. API versions from 2026-09-30 refuse
    ``payment_method_types``, so a list is sent as the methods left out instead.
    """
    wanted = (agency.payment_methods or {}).get(currency.upper())
    if wanted:
        return [t for t in PAYMENT_METHOD_TYPES if t not in wanted]
    if agency.allowed_payment_method_types:
        return [t for t in _EXCLUDABLE if t not in agency.allowed_payment_method_types]
    return None


def stripe_locale(locale: str) -> str:
    tag = locale.replace("_", "-")
    return {"zh-Hans": "zh", "zh-Hant": "zh-TW"}.get(tag, tag.split("-")[0])
