"""The API's own pages: short, styled, in the client's language, with the way back.

Pay pressed on an invoice already paid, the return from Stripe's checkout, an address that
names nothing: each is a page a client reads, so it looks like the portal (one small inline
stylesheet, which the pages' Content-Security-Policy allows by its hash and nothing else) and
says where to go next. ``returned`` tells the truth about a checkout at once, from what the
store has recorded or, before the webhook has arrived, from Stripe's own view of the session.
"""

from __future__ import annotations

import base64
import hashlib
import html
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from site_builder.formatting import format_money
from site_builder.render import Theme
from site_builder.tokens import client_token

if TYPE_CHECKING:
    from babel.support import Translations

    from functions.sessions import SessionsApi
    from functions.snapshots import Snapshots
    from functions.store.base import Store

STYLE = (
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI','PingFang SC',"
    "'Microsoft YaHei','Noto Sans',sans-serif;color:#1d2433;background:#f6f7f9}"
    "main{max-width:32rem;margin:4rem auto;padding:2rem;background:#fff;"
    "border:1px solid #d9dde5;border-radius:.5rem}"
    "h1{font-size:1.3rem;margin:0 0 .75rem}p{margin:.5rem 0}a{color:#1f5fbf}"
    ".agency{color:#5b6475;font-size:.9rem;margin-bottom:1rem}"
)
# for the Content-Security-Policy's style-src: this stylesheet, no other inline style
STYLE_SOURCE = f"'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'"


@dataclass(frozen=True)
class Notice:
    status: int
    title: str
    message: str
    back: str | None = None  # the client's invoice page
    back_label: str = ""
    lang: str = "en"
    agency: str = ""


def render(notice: Notice) -> str:
    e = html.escape
    back = f'<p><a href="{e(notice.back)}">{e(notice.back_label)}</a></p>' if notice.back else ""
    agency = f'<p class="agency">{e(notice.agency)}</p>' if notice.agency else ""
    return (
        f'<!doctype html><html lang="{e(notice.lang)}"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{e(notice.title)}</title><style>{STYLE}</style></head><body><main>"
        f"{agency}<h1>{e(notice.title)}</h1><p>{e(notice.message)}</p>{back}</main></body></html>"
    )


@cache
def _theme() -> Theme:
    return Theme()


def translations(locale: str) -> Translations:
    return _theme().translations(locale)


def invoice_page(portal_url: str, token: str, number: str) -> str:
    return f"{portal_url.rstrip('/')}/c/{token}/invoices/{number}.html"


def returned(
    *, store: Store, snapshots: Snapshots, sessions: SessionsApi, secret: str, session_id: str
) -> Notice | None:
    """What became of a checkout, for the page Stripe's return lands on; None if unknown."""
    session = store.session(session_id)
    bundle = snapshots.load(session.client) if session is not None else None
    if session is None or bundle is None:
        return None
    t, locale = translations(bundle.locale), bundle.locale
    recorded = [p.status for p in store.payments(session.invoice) if p.session == session_id]
    state = recorded[0] if recorded else _asked(sessions, session_id)
    args = {
        "amount": format_money(session.amount, session.currency, locale),
        "number": session.invoice,
    }
    if state == "succeeded":
        title = t.gettext("Thank you: payment received")
        message = t.gettext(
            "We have received %(amount)s for invoice %(number)s. Your receipt follows by email."
        )
    elif state == "pending":
        title = t.gettext("Thank you: payment processing")
        message = t.gettext(
            "Your bank is processing %(amount)s for invoice %(number)s. "
            "Your receipt follows by email once it arrives."
        )
    else:
        title = t.gettext("Payment not completed")
        message = t.gettext(
            "The payment of %(amount)s for invoice %(number)s was not completed. "
            "You can try again from the invoice."
        )
    token = client_token(secret, bundle.client.id, bundle.client.token_version)
    return Notice(
        200,
        title,
        message % args,
        back=invoice_page(bundle.agency.portal_url, token, session.invoice),
        back_label=t.gettext("Back to the invoice"),
        lang=locale.replace("_", "-"),
        agency=bundle.agency.name,
    )


def _asked(sessions: SessionsApi, session_id: str) -> str:
    """The session as Stripe sees it, before its webhook: succeeded, pending or open."""
    import stripe  # here: only a return from checkout pays for the SDK

    try:
        found = sessions.retrieve(session_id)
    except stripe.StripeError:
        return "pending"  # cannot tell yet: the webhook will, and the receipt follows it
    if found["payment_status"] in ("paid", "no_payment_required"):
        return "succeeded"
    return "pending" if found["status"] == "complete" else "open"
