"""The outbox's work: what the drain does with each kind of item.

``email``: a mail decided earlier (``{"mail": ...}``: a reminder, dropped if
its invoice was paid while it waited) or a receipt rendered now
(``{"template": "receipt", "payment": ...}``), so it shows the balance as of
sending. ``publish``: re-render one client's pages.
A mail server's permanent refusal, and an item whose payload cannot be read as
its kind's work, are kept for a person; anything else (a snapshot that does not
load yet, an outage) is retried by the drain with back-off.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cache
from typing import Any

from functions.app import Services
from functions.mailer import Mail, MailError
from functions.offline import offline_payment
from functions.outbox import DrainReport, Handler, PermanentFailure, drain
from functions.publish import republish
from functions.receipts import receipt_mail
from functions.recorded import invoice_account
from functions.reminders.job import still_wanted
from site_builder.render import Theme
from site_builder.tokens import client_token


@cache
def _theme() -> Theme:
    return Theme()


def handlers(services: Services) -> dict[str, Handler]:
    return {
        "email": lambda payload: send_email(services, payload),
        "publish": lambda payload: publish(services, payload),
    }


def drain_outbox(services: Services, limit: int = 50, seconds: float = 0.0) -> DrainReport:
    """One pass of at most ``limit`` items; with ``seconds``, passes until the outbox has
    nothing due or the time is spent (a morning's page changes take one run, not twelve)."""
    deadline = time.monotonic() + seconds
    report = drain(services.store, handlers(services), limit=limit)
    while len(report.done) + len(report.retried) >= limit and time.monotonic() < deadline:
        more = drain(services.store, handlers(services), limit=limit)
        if not more.done and not more.retried:
            break
        report.done += more.done
        report.retried.update(more.retried)
    return report


def send_email(services: Services, payload: Mapping[str, Any]) -> None:
    if services.mailer is None:
        raise RuntimeError("no mailer configured")  # retried: configuration gets fixed
    if "mail" in payload:
        mail = _mail(payload["mail"])
        if not still_wanted(mail.message_id, services.store, services.snapshots, services.day()):
            return  # a reminder for an invoice paid (or disputed) while it waited: dropped
    elif payload.get("template") == "receipt":
        found = receipt(services, payload["payment"], payload.get("client"))
        if found is None:
            return  # an offline payment that moved no money (a credit): no receipt
        mail = found
    else:
        raise PermanentFailure(f"unknown email: {sorted(payload)}")
    try:
        services.mailer.send(mail)
    except MailError as exc:
        if not exc.transient:
            raise PermanentFailure(str(exc)) from exc
        raise


def _mail(fields: Any) -> Mail:
    """The mail an item carries; one that cannot be read never will be: kept for a person."""
    try:
        return Mail.from_payload(fields)
    except (TypeError, ValueError, KeyError) as exc:
        raise PermanentFailure(f"mail not understood: {type(exc).__name__}: {exc}") from exc


def receipt(services: Services, payment_id: str, client_id: str | None = None) -> Mail | None:
    """The receipt for a recorded payment, with the invoice's balance after it.

    ``client_id``: the payment is an offline one (``content/payments/``), read from that
    client's snapshot when the store has no record of it (``functions/offline.py``).
    """
    payment = services.store.payment(payment_id)
    if payment is None and client_id is None:
        raise PermanentFailure(f"no payment {payment_id}")
    owner = payment.client if payment is not None else str(client_id)
    bundle = services.snapshots.load(owner)
    if bundle is None:
        raise LookupError(f"no snapshot for client {owner} yet")  # the build is coming
    if payment is None:
        payment = offline_payment(bundle, payment_id)
        if payment is None:
            return None
    account = invoice_account(bundle, services.store, payment.invoice, services.day())
    if account is None:
        raise PermanentFailure(f"invoice {payment.invoice} is not in the client's snapshot")
    balance = account.statement.balance
    client = bundle.client
    token = client_token(services.portal_secret, client.id, client.token_version)
    return receipt_mail(bundle, payment, balance, token, _theme())


def publish(services: Services, payload: Mapping[str, Any]) -> None:
    if services.site is None:
        raise RuntimeError("no site configured")
    client = payload.get("client")
    if not isinstance(client, str) or not client:
        raise PermanentFailure(f"publish names no client: {dict(payload)}")
    republish(
        client,
        snapshots=services.snapshots,
        store=services.store,
        site=services.site,
        theme=_theme(),
        secret=services.portal_secret,
        today=services.day(),
    )
