"""The invoice emails: a new invoice, an updated one, a cancelled one, in the client's language.

Rendered by the drain when it sends (``functions/work.py``), from the client's snapshot and
the store's payments, by the same rules as the invoice page: what it is for, the amounts
with their dates as the page lists them (``wording.period_lines``, never "in 5 days": the
email is read on later days too), the portal link, the payment and late-payment terms. The
invoice's PDF is attached where this process can render one (``functions/documents.py``); where it
cannot, the email links the PDF the build puts beside the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from email.headerregistry import Address
from typing import Any

from babel.lists import format_list
from babel.support import Translations

from functions.deliveries import Difference, NewsKind
from functions.mailer import Attachment, Mail
from site_builder import wording
from site_builder.bundle import Account, ClientBundle
from site_builder.formatting import format_day, format_money
from site_builder.i18n import resolve_locale
from site_builder.render import Theme

SHOWN_LINES = 3  # what the invoice is for: its title, or its first lines and "and N more"


def wanted(bundle: ClientBundle, kind: NewsKind) -> bool:
    """Whether the client's ``notify:`` lets this kind of invoice email go."""
    notify = bundle.client.notify
    return {
        "new": notify.new_invoice,
        "updated": notify.updated_invoice,
        "void": notify.void_invoice,
    }[kind]


def subject(t: Translations, kind: NewsKind, number: str, agency: str) -> str:
    if kind == "void":
        return t.gettext("Invoice %(number)s has been cancelled") % {"number": number}
    if kind == "updated":
        return t.gettext("Invoice %(number)s has been updated") % {"number": number}
    return t.gettext("Invoice %(number)s from %(agency)s") % {"number": number, "agency": agency}


def what_for(t: Translations, account: Account, locale: str) -> str:
    """The title, or the first lines' descriptions: what a client looks for in a subject."""
    inv = account.invoice
    if inv.title:
        return inv.title
    names = [i.description for i in inv.items[:SHOWN_LINES]]
    more = len(inv.items) - SHOWN_LINES
    if more > 0:
        names.append(t.ngettext("%(num)d more line", "%(num)d more lines", more) % {"num": more})
    return format_list(names, locale=resolve_locale(locale)[0])


def part_name(t: Translations, kind: str, n: int, label: str | None) -> str:
    """A plan's part as the invoice page names it: "Deposit", "Instalment 2 (Launch)"."""
    if kind == "deposit":
        name = t.gettext("Deposit")
    elif kind == "balance":
        name = t.gettext("Balance")
    else:
        name = f"{t.gettext('Instalment')} {n}"
    return f"{name} ({label})" if label else name


def schedule(
    t: Translations, account: Account, locale: str, fmt: Callable[[int], str]
) -> list[dict[str, Any]]:
    """What is to be paid, by when: one row for the invoice, or one for each part of a plan,
    each with its amounts by period when they change (a discount ending, a fee falling due)."""
    st = account.statement
    if len(st.entries) > 1:
        return [
            {
                "name": part_name(t, e.kind, e.n, e.label),
                "amount": fmt(e.amount),
                "due_line": wording.due_line(t, locale, e.due, e.status),
                "periods": _periods(t, locale, account.timeline.entries.get(e.n, ()), fmt),
            }
            for e in st.entries
        ]
    return [
        {
            "name": t.gettext("Total"),
            "amount": fmt(st.totals.total),
            "due_line": wording.due_line(t, locale, st.due, st.status),
            "periods": _periods(t, locale, account.timeline.invoice, fmt),
        }
    ]


def _periods(
    t: Translations, locale: str, periods: Sequence[Any], fmt: Callable[[int], str]
) -> list[tuple[str, str]]:
    lines = wording.period_lines(t, locale, periods, fmt) if periods else []
    return [] if len(lines) < 2 else lines  # one unchanging amount: the row says it


def change_lines(
    t: Translations, changes: Sequence[Difference], locale: str, currency: str
) -> list[str]:
    """What changed, a line each: "Total: $1,000.00 → $1,200.00"."""

    def money(value: Any) -> str:
        return format_money(int(value), currency, locale) if value is not None else "—"

    def day(value: Any) -> str:
        return format_day(date.fromisoformat(value), locale) if value else "—"

    lines = []
    for change in changes:
        if change.field == "total":
            lines.append(f"{t.gettext('Total')}: {money(change.old)} → {money(change.new)}")
        elif change.field == "due":
            lines.append(f"{t.gettext('Due date')}: {day(change.old)} → {day(change.new)}")
        elif change.field == "currency":
            lines.append(f"{t.gettext('Currency')}: {change.old} → {change.new}")
        elif change.field == "lines":
            lines.append(t.gettext("The invoice's lines have changed: the invoice shows them."))
        elif change.field == "instalment":

            def part(value: Any) -> str:
                if not value:
                    return "—"
                due, amount = value
                return t.gettext("%(amount)s due %(date)s") % {
                    "amount": money(amount),
                    "date": day(due),
                }

            name = f"{t.gettext('Instalment')} {change.n}"
            lines.append(f"{name}: {part(change.old)} → {part(change.new)}")
    return lines


def _address(name: str, email: str) -> str:
    username, _, domain = email.rpartition("@")
    return str(Address(display_name=name, username=username, domain=domain))


def _free_terms(t: Translations, bundle: ClientBundle) -> str | None:
    # one text per locale: the client's, else the agency's own behind a marker, as on the page
    return wording.marked(t, bundle.locale, bundle.agency.payment_terms, bundle.agency.locale)


def invoice_mail(
    bundle: ClientBundle,
    account: Account,
    kind: NewsKind,
    token: str,
    theme: Theme,
    *,
    changes: Sequence[Difference] = (),
    pdf: bytes | None = None,
    key: str,
) -> Mail:
    """The email for ``kind`` of news about ``account``'s invoice; ``key`` is its outbox key
    (the Message-ID: a retried send is recognisably the same message)."""
    agency, client, locale = bundle.agency, bundle.client, bundle.locale
    inv, st = account.invoice, account.statement
    t = theme.translations(locale)

    def fmt(minor: int) -> str:
        return format_money(minor, inv.currency, locale)

    billing = [c for c in client.contacts if c.role == "billing"]
    page = f"{agency.portal_url}/c/{token}/invoices/{inv.number}"
    context = {
        "lang": locale.replace("_", "-"),
        "agency": agency,
        "kind": kind,
        "subject": subject(t, kind, inv.number, agency.name),
        "greeting": t.gettext("Hello %(names)s,")
        % {"names": format_list([c.name for c in billing], locale=resolve_locale(locale)[0])},
        "number": inv.number,
        "issued": format_day(inv.issued, locale),
        "what_for": what_for(t, account, locale),
        "schedule": schedule(t, account, locale, fmt) if kind != "void" else [],
        "changes": change_lines(t, changes, locale, inv.currency),
        "url": f"{page}.html",
        "pdf_url": f"{page}.pdf",
        "attached": pdf is not None,
        "payment_terms": wording.payment_terms(
            t,
            locale,
            account.terms,
            inv.issued,
            st.due,
            inv.currency,
            st.discount_offered,
            st.entries,
        )
        if kind != "void"
        else [],
        "free_terms": _free_terms(t, bundle) if kind != "void" else None,
        "late_terms": wording.late_fee_terms(
            t, locale, account.terms.late_fee, inv.currency, plan=len(st.entries) > 1
        )
        if kind != "void"
        else [],
        "questions": t.gettext("Questions? Reply to this email or write to %(email)s.")
        % {"email": agency.email},
    }
    env = theme.environment(locale)
    attachments = (Attachment(f"{inv.number}.pdf", "application/pdf", pdf),) if pdf else ()
    return Mail(
        to=tuple(_address(c.name, c.email) for c in billing),
        subject=context["subject"],
        text=env.get_template("emails/invoice.txt").render(context),
        html=env.get_template("emails/invoice.html").render(context),
        sender=_address(agency.name, agency.email),
        message_id=key,
        headers=(("Auto-Submitted", "auto-generated"), ("Content-Language", context["lang"])),
        attachments=attachments,
    )
