"""The outbox's work: what the drain does with each kind of item.

``email``: a mail decided earlier (``{"mail": ...}``: a reminder, dropped if
its invoice was paid while it waited) or a receipt rendered now
(``{"template": "receipt", "payment": ...}``), so it shows the balance as of
sending; an invoice's email (``{"template": "invoice", "kind": "new" | "updated" |
"void"}``, ``functions/deliveries.py``), rendered now with its PDF; the monthly statement
(``{"template": "statement", "client", "month"}``, ``functions/statements.py``), likewise.
``publish``: re-render
one client's pages.
A mail server's permanent refusal, and an item whose payload cannot be read as
its kind's work, are kept for a person; anything else (a snapshot that does not
load yet, an outage) is retried by the drain with back-off.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any

from functions.app import Services
from functions.deliveries import Difference
from functions.mailer import Mail, MailError
from functions.offline import offline_payment
from functions.outbox import DrainReport, Handler, PermanentFailure, drain
from functions.publish import republish
from functions.receipts import receipt_mail
from functions.recorded import invoice_account, with_store_payments
from functions.reminders.job import still_wanted
from functions.store.base import Payment
from site_builder.bundle import ClientBundle, accounts
from site_builder.render import Theme
from site_builder.tokens import client_token
from site_builder.views import receipt_name


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
    elif payload.get("template") == "invoice":
        news = invoice_email(services, payload)
        if news is None:
            return  # the client turned this kind off (``notify:``), or it is void by now
        mail = news
    elif payload.get("template") == "statement":
        monthly = statement_email(services, payload)
        if monthly is None:
            return  # the account was settled and emptied while it waited: nothing to state
        mail = monthly
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
        # numbered by the store with this email (functions/offline.py): the page it links
        # is named by that number; a receipt queued before numbers existed keeps the id
        number = services.store.offline_receipt_numbers(owner).get(payment_id)
        payment = replace(payment, receipt=number)
    account = invoice_account(bundle, services.store, payment.invoice, services.day())
    if account is None:
        raise PermanentFailure(f"invoice {payment.invoice} is not in the client's snapshot")
    balance = account.statement.balance
    client = bundle.client
    token = client_token(services.portal_secret, client.id, client.token_version)
    return receipt_mail(
        bundle,
        payment,
        balance,
        token,
        _theme(),
        pdf=_receipt_pdf(services, bundle, payment, token),
    )


def _receipt_pdf(
    services: Services, bundle: ClientBundle, payment: Payment, token: str
) -> bytes | None:
    """The receipt page's PDF, as the re-publish renders the page (the store's payments)."""
    from functions import documents  # here: the health check renders no PDF

    if payment.status != "succeeded":
        return None
    counted = with_store_payments(bundle, services.store)
    figures = accounts(counted, services.day())
    page = f"c/{token}/receipts/{receipt_name(payment.receipt, payment.id)}.html"
    received = date.fromisoformat(payment.received)
    return documents.page_pdf(counted, figures, token, page, received, _theme())


def invoice_email(services: Services, payload: Mapping[str, Any]) -> Mail | None:
    """A new, updated or cancelled invoice's email (``functions/deliveries.py``), rendered
    now from the snapshot and the store's payments, with its PDF where one can be made."""
    from functions import documents, invoice_mail  # here: the health check renders no PDF

    try:
        kind, number, client_id = payload["kind"], str(payload["invoice"]), str(payload["client"])
        changes = [Difference.from_payload(c) for c in payload.get("changes") or ()]
    except (KeyError, TypeError) as exc:
        raise PermanentFailure(f"invoice email not understood: {exc!r}") from exc
    if kind not in ("new", "updated", "void"):
        raise PermanentFailure(f"invoice email of unknown kind {kind!r}")
    bundle = services.snapshots.load(client_id)
    if bundle is None:
        raise LookupError(f"no snapshot for client {client_id} yet")  # the build is coming
    if not invoice_mail.wanted(bundle, kind):
        return None
    counted = with_store_payments(bundle, services.store)
    # never before its issue day (a clock set back, as ``portal serve --today`` sets it)
    issued = [i.issued for i in bundle.invoices if i.number == number]
    figures = accounts(counted, max([services.day(), *issued]))
    account = next((a for a in figures if a.invoice.number == number), None)
    if account is None:
        # queued by a deploy a moment before it uploads the snapshot that has the invoice
        raise LookupError(f"invoice {number} is not in the snapshot of {client_id} yet")
    if kind != "void" and account.statement.status == "void":
        return None  # voided while its email waited: the cancellation notice says so
    token = client_token(services.portal_secret, client_id, bundle.client.token_version)
    pdf = None
    if kind != "void":
        page = f"c/{token}/invoices/{number}.html"
        pdf = documents.page_pdf(counted, figures, token, page, account.invoice.issued, _theme())
    key = str(payload.get("key") or f"invoice:{number}:{kind}")
    return invoice_mail.invoice_mail(
        counted, account, kind, token, _theme(), changes=changes, pdf=pdf, key=key
    )


def statement_email(services: Services, payload: Mapping[str, Any]) -> Mail | None:
    """The monthly statement (``functions/statements.py``), rendered now as the statement page
    shows it with the store's payments, with the page's PDF where one can be made."""
    from functions import documents, statements  # here: the health check renders no PDF

    try:
        client_id, month = str(payload["client"]), str(payload["month"])
    except (KeyError, TypeError) as exc:
        raise PermanentFailure(f"statement email not understood: {exc!r}") from exc
    bundle = services.snapshots.load(client_id)
    if bundle is None:
        raise LookupError(f"no snapshot for client {client_id} yet")  # the build is coming
    counted = with_store_payments(bundle, services.store)
    today = services.day()
    figures = accounts(counted, today)
    token = client_token(services.portal_secret, client_id, bundle.client.token_version)
    sheet = statements.as_page_shows(figures, today)
    pdf = None
    if sheet.sections:
        page = f"c/{token}/{statements.PAGE}"
        pdf = documents.page_pdf(counted, figures, token, page, sheet.end, _theme())
    key = statements.statement_key(client_id, month)
    return statements.statement_mail(counted, figures, today, token, _theme(), key=key, pdf=pdf)


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
