"""The monthly statement email: who gets one on which day, queued once, composed when sent.

The agency turns it on in ``agency.yaml`` (``statements: {email: monthly, day: 1}``); a client
may turn it off (or on) for itself (``statements: {email: off}``). On that day of each month
the reminders job (``functions/reminders/job.py``) queues one email per client with an
account: something still owed or held in credit, or any line on the statement in the month
before (a client with nothing owed and nothing happened gets none, as Xero's "outstanding
and activity" statements do). Each is keyed ``statement:<client>:<yyyy-mm>`` and queued by
``Store.apply`` under that key, so a rerun, two overlapping runs or a retried Lambda queue it
once; the day after, the month's key is taken already and nothing more goes out.

The job runs only on the day itself (a statement of the 1st that went out on the 4th would
be dated oddly); a month whose day the job did not run is skipped, not sent late.

The email is rendered by the drain when it sends (``functions/work.py``), from the client's
snapshot and the store's payments, so it names the closing balance the statement page
shows that day (``site_builder.views``: as of ``statement_day``), with the page's PDF where
this process can render one (``functions/documents.py``).

A bulkhead per client, as the reminders' own: a client whose statement cannot be decided is
a review for a person (once per client and problem), never a stop for the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from email.headerregistry import Address

from babel.lists import format_list

from functions.mailer import Attachment, Mail
from functions.recorded import with_store_payments
from functions.snapshots import Snapshots
from functions.store.base import Change, OutboxItem, Store
from site_builder.billing.account import (
    AccountStatement,
    account_statement,
    period_start,
    statement_day,
)
from site_builder.billing.dates import add_months
from site_builder.bundle import Account, ClientBundle, accounts
from site_builder.formatting import format_day, format_money
from site_builder.i18n import resolve_locale
from site_builder.model import ClientStatements, Statements
from site_builder.render import Theme

ERROR_CHARS = 300  # of an exception's text kept in a review: enough to see what to fix
FAILED = "statement not prepared"
PAGE = "statement.html"  # beside the client's portal index (site_builder.views.STATEMENT)


# --- the rules: pure ----------------------------------------------------------------------


def statement_month(agency: Statements, client: ClientStatements, today: date) -> str | None:
    """The month (``yyyy-mm``) whose statement goes out to this client on ``today``; None:
    none today (not the day, or the email is off for it)."""
    email = client.email or agency.email
    if email != "monthly" or today.day != agency.day:
        return None
    return f"{today.year:04d}-{today.month:02d}"


def has_account(sheet: AccountStatement, today: date) -> bool:
    """Whether the client has something to be told: a balance either way (owed, or credit
    held), an open item, or any line since the same day a month ago."""
    since = add_months(today, -1)
    return any(
        s.closing != 0 or s.owed or s.credit or s.open_items or any(x.on > since for x in s.lines)
        for s in sheet.sections
    )


def statement_key(client: str, month: str) -> str:
    return f"statement:{client}:{month}"


# --- queueing: the job's part ---------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    """One statement of a run, for the report and the dry-run list."""

    client: str
    month: str
    locale: str
    to: tuple[str, ...]
    closing: str  # per currency, as the email says it: "$1,200.00; €300.00"
    key: str


@dataclass
class StatementRun:
    sent: list[StatementRow] = field(default_factory=list)  # queued (dry run: would be)
    already: list[StatementRow] = field(default_factory=list)  # queued before this month
    problems: list[str] = field(default_factory=list)


def queue_statements(
    store: Store, snapshots: Snapshots, today: date, *, dry_run: bool = False
) -> StatementRun:
    """Queue this month's statement emails if ``today`` is the agency's statement day."""
    run = StatementRun()
    clients = store.clients()
    if not clients:
        return run
    first = snapshots.load(clients[0], only=())
    if first is None or first.agency.statements.day != today.day:
        return run  # the agency is the same in every snapshot: one read decides the day
    for client_id in clients:
        try:
            row = _decide(store, snapshots, client_id, today)
        except Exception as exc:  # this client's data; the others' statements still go
            error = _one_line(exc)
            run.problems.append(f"{client_id}: {FAILED} ({error}); tried again next month")
            if not dry_run:
                store.apply(_review(client_id, error, today))
            continue
        if row is None:
            continue
        if dry_run:
            run.sent.append(row)
            continue
        item = OutboxItem(
            key=row.key,
            kind="email",
            payload={"template": "statement", "client": client_id, "month": row.month},
        )
        queued = store.apply(Change(event_id=row.key, outbox=[item]))
        (run.sent if queued else run.already).append(row)
    return run


def _decide(store: Store, snapshots: Snapshots, client_id: str, today: date) -> StatementRow | None:
    bundle = snapshots.load(client_id)
    if bundle is None:
        return None  # a client the build has not made yet: the next build brings it
    month = statement_month(bundle.agency.statements, bundle.client.statements, today)
    if month is None:
        return None
    figures = accounts(with_store_payments(bundle, store), today)
    if not has_account(account_statement(figures, period_start(today), today), today):
        return None
    sheet = as_page_shows(figures, today)
    locale = bundle.locale
    closing = "; ".join(format_money(s.closing, s.currency, locale) for s in sheet.sections)
    return StatementRow(
        client=client_id,
        month=month,
        locale=locale,
        to=tuple(c.email for c in bundle.client.contacts if c.role == "billing"),
        closing=closing,
        key=statement_key(client_id, month),
    )


def as_page_shows(figures: Sequence[Account], today: date) -> AccountStatement:
    """The statement as the page shows it: as of the day its figures last changed."""
    as_of = statement_day(figures, today) or today
    return account_statement(figures, period_start(as_of), as_of)


def _one_line(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def _review(client_id: str, error: str, today: date) -> Change:
    fingerprint = hashlib.sha256(error.encode()).hexdigest()[:16]
    return Change(
        event_id=f"statements:{client_id}:{fingerprint}",
        reviews=[
            {
                "problem": f"{FAILED} for client {client_id} ({error})",
                "client": client_id,
                "error": error,
                "day": today.isoformat(),
            }
        ],
    )


# --- the email: rendered when sent -----------------------------------------------------------


def _address(name: str, email: str) -> str:
    username, _, domain = email.rpartition("@")
    return str(Address(display_name=name, username=username, domain=domain))


def statement_mail(
    bundle: ClientBundle,
    figures: Sequence[Account],
    today: date,
    token: str,
    theme: Theme,
    *,
    key: str,
    pdf: bytes | None = None,
) -> Mail | None:
    """The statement email: the closing balance and what is overdue per currency, the link
    to the statement page, its PDF attached when given. ``figures``: the client's accounts
    with the store's payments, as of ``today``. None: nothing on the account any more."""
    sheet = as_page_shows(figures, today)
    if not sheet.sections:
        return None
    agency, client, locale = bundle.agency, bundle.client, bundle.locale
    t = theme.translations(locale)
    billing = [c for c in client.contacts if c.role == "billing"]
    sections = []
    for s in sheet.sections:
        overdue = sum(amount for name, amount in s.aging if name != "current")
        sections.append(
            {
                "currency": s.currency,
                "closing": format_money(s.closing, s.currency, locale),
                "overdue": format_money(overdue, s.currency, locale) if overdue else None,
                "owed": format_money(s.owed, s.currency, locale),
                "credit": format_money(s.credit, s.currency, locale) if s.credit else None,
            }
        )
    page = f"{agency.portal_url}/c/{token}/{PAGE}"
    subject = t.gettext("Statement of account from %(agency)s, %(date)s") % {
        "agency": agency.name,
        "date": format_day(sheet.end, locale),
    }
    context = {
        "lang": locale.replace("_", "-"),
        "agency": agency,
        "subject": subject,
        "greeting": t.gettext("Hello %(names)s,")
        % {"names": format_list([c.name for c in billing], locale=resolve_locale(locale)[0])},
        "as_of": format_day(sheet.end, locale),
        "sections": sections,
        "url": page,
        "pdf_url": page.removesuffix(".html") + ".pdf",
        "attached": pdf is not None,
        "questions": t.gettext("Questions? Reply to this email or write to %(email)s.")
        % {"email": agency.email},
    }
    env = theme.environment(locale)
    return Mail(
        to=tuple(_address(c.name, c.email) for c in billing),
        subject=subject,
        text=env.get_template("emails/statement.txt").render(context),
        html=env.get_template("emails/statement.html").render(context),
        sender=_address(agency.name, agency.email),
        message_id=key,
        headers=(("Auto-Submitted", "auto-generated"), ("Content-Language", context["lang"])),
        attachments=(Attachment("statement.pdf", "application/pdf", pdf),) if pdf else (),
    )
