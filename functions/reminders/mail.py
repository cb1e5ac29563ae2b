"""The reminder email: HTML and plain text in the client's language, decided by the job.

Everything in it comes from the same rules and catalogs as the portal: the due line
("Due 28 November 2026 — in 5 days"), the amount due today with fees and any
early-payment discount still open, the payment and late-payment terms. The HTML has
its styles written inline (mail clients drop <style> blocks) by the template itself.
"""

from __future__ import annotations

from datetime import date
from email.headerregistry import Address
from functools import lru_cache

from babel.lists import format_list
from babel.support import Translations
from jinja2 import Template

from functions.mailer import Mail
from site_builder import wording
from site_builder.billing import FeeCharge
from site_builder.billing.reminders import Step
from site_builder.bundle import Account, ClientBundle
from site_builder.formatting import format_day, format_money
from site_builder.i18n import resolve_locale
from site_builder.render import Theme


def reminder_key(invoice: str, instalment: int, step: str) -> str:
    """The reminder's identity: its outbox key, log key and Message-ID."""
    return f"reminder:{invoice}:{instalment}:{step}"


def subject(t: Translations, number: str, kind: str, n: int, days: int) -> str:
    """What a person would write: "Invoice INV-1042 is due in 5 days".

    ``kind`` is the entry's (``full`` for the invoice as a whole, ``deposit``,
    ``instalment`` or ``balance``); ``days`` is from today to its due date.
    """
    args = {"number": number, "n": n, "num": abs(days)}
    if kind == "instalment":
        if days > 0:
            text = t.ngettext(
                "Instalment %(n)d of invoice %(number)s is due in %(num)d day",
                "Instalment %(n)d of invoice %(number)s is due in %(num)d days",
                days,
            )
        elif days == 0:
            text = t.gettext("Instalment %(n)d of invoice %(number)s is due today")
        else:
            text = t.ngettext(
                "Instalment %(n)d of invoice %(number)s is %(num)d day overdue",
                "Instalment %(n)d of invoice %(number)s is %(num)d days overdue",
                -days,
            )
    elif kind == "deposit":
        if days > 0:
            text = t.ngettext(
                "The deposit for invoice %(number)s is due in %(num)d day",
                "The deposit for invoice %(number)s is due in %(num)d days",
                days,
            )
        elif days == 0:
            text = t.gettext("The deposit for invoice %(number)s is due today")
        else:
            text = t.ngettext(
                "The deposit for invoice %(number)s is %(num)d day overdue",
                "The deposit for invoice %(number)s is %(num)d days overdue",
                -days,
            )
    elif kind == "balance":
        if days > 0:
            text = t.ngettext(
                "The balance of invoice %(number)s is due in %(num)d day",
                "The balance of invoice %(number)s is due in %(num)d days",
                days,
            )
        elif days == 0:
            text = t.gettext("The balance of invoice %(number)s is due today")
        else:
            text = t.ngettext(
                "The balance of invoice %(number)s is %(num)d day overdue",
                "The balance of invoice %(number)s is %(num)d days overdue",
                -days,
            )
    elif days > 0:
        text = t.ngettext(
            "Invoice %(number)s is due in %(num)d day",
            "Invoice %(number)s is due in %(num)d days",
            days,
        )
    elif days == 0:
        text = t.gettext("Invoice %(number)s is due today")
    else:
        text = t.ngettext(
            "Invoice %(number)s is %(num)d day overdue",
            "Invoice %(number)s is %(num)d days overdue",
            -days,
        )
    return text % args


def opening(t: Translations, tone: str, overdue: bool) -> str:
    """The first sentence, in the step's tone: friendly, firm or final, never threatening."""
    if tone == "final" and overdue:
        return t.gettext(
            "We have written to you several times about the invoice below, and it is still "
            "unpaid. Please pay it now, or contact us so that we can agree on a way forward "
            "together."
        )
    if tone in ("firm", "final"):
        if overdue:
            return t.gettext(
                "The invoice below is now overdue. Please arrange payment as soon as you can, "
                "or reply to this email if anything is holding it up."
            )
        return t.gettext("Please make sure that the invoice below is paid by its due date.")
    if overdue:
        return t.gettext(
            "We have not received payment for the invoice below yet. Perhaps it slipped "
            "through: it happens to all of us."
        )
    return t.gettext("This is a friendly reminder about the invoice below.")


def fee_notice(
    t: Translations, locale: str, fees: list[FeeCharge], since: date | None, total: str, cur: str
) -> str | None:
    """The late fees added since the last reminder (or ever, before the first), in words."""
    if not fees:
        return None
    added = format_money(sum(f.amount for f in fees), cur, locale)
    if len(fees) == 1:
        text = t.gettext(
            "A late fee of %(amount)s was added on %(date)s, as the late-payment terms below "
            "set out. The amount due is now %(total)s."
        )
        return text % {"amount": added, "date": format_day(fees[0].on, locale), "total": total}
    first = since if since is not None else fees[0].on
    text = t.gettext(
        "Late fees of %(amount)s have been added since %(date)s, as the late-payment terms "
        "below set out. The amount due is now %(total)s."
    )
    return text % {"amount": added, "date": format_day(first, locale), "total": total}


@lru_cache(maxsize=64)
def _theme(theme: Theme, locale: str) -> tuple[Translations, Template, Template]:
    """A locale's catalog and templates, looked up once (a big run renders thousands)."""
    env = theme.environment(locale)
    return (
        theme.translations(locale),
        env.get_template("emails/reminder.txt"),
        env.get_template("emails/reminder.html"),
    )


@lru_cache(maxsize=4096)
def _address(name: str, email: str) -> str:
    # "Name <a@b>", quoted where the name needs it; the mailer encodes non-ASCII names
    username, _, domain = email.rpartition("@")
    return str(Address(display_name=name, username=username, domain=domain))


def reminder_mail(
    bundle: ClientBundle,
    account: Account,
    instalment: int,
    step: Step,
    today: date,
    token: str,
    theme: Theme,
    *,
    last_sent: date | None,
) -> Mail:
    """The reminder for one entry (``instalment`` 0: the whole invoice) on ``today``."""
    agency, client, locale = bundle.agency, bundle.client, bundle.locale
    inv, st = account.invoice, account.statement
    t, text_template, html_template = _theme(theme, locale)
    entry = next(e for e in st.entries if e.n == instalment) if instalment else None
    due = entry.due if entry else st.due
    amount_due = entry.amount_due if entry else st.amount_due
    fees = entry.fees if entry else st.fees
    status = st.status if entry is None or st.status in ("void", "disputed") else entry.status
    days = (due - today).days
    fmt_total = format_money(amount_due, inv.currency, locale)
    new_fees = [f for f in fees if f.on <= today and (last_sent is None or f.on > last_sent)]

    billing = [c for c in client.contacts if c.role == "billing"]
    copied = [c for c in client.contacts if c.role == "leadership"] if step.cc_leadership else []
    babel_locale = resolve_locale(locale)[0]
    key = reminder_key(inv.number, instalment, step.name)
    context = {
        "lang": locale.replace("_", "-"),
        "agency": agency,
        "subject": subject(t, inv.number, entry.kind if entry else "full", instalment, days),
        "greeting": t.gettext("Hello %(names)s,")
        % {"names": format_list([c.name for c in billing], locale=babel_locale)},
        "opening": opening(t, step.tone, days < 0),
        "tone": step.tone,
        "number": inv.number,
        "instalment": instalment,
        "entry_kind": entry.kind if entry else "full",
        "instalment_label": entry.label if entry else None,
        "due_line": wording.due_line_on(t, locale, due, today, status),
        "amount_due": fmt_total,
        "fee_notice": fee_notice(t, locale, new_fees, last_sent, fmt_total, inv.currency),
        "url": f"{agency.portal_url}/c/{token}/invoices/{inv.number}.html",
        "copied": (
            t.gettext("We have copied %(names)s so that this reaches everyone who can help.")
            % {"names": format_list([c.name for c in copied], locale=babel_locale)}
            if copied
            else None
        ),
        "payment_terms": wording.payment_terms(
            t,
            locale,
            account.terms,
            inv.issued,
            st.due,
            inv.currency,
            st.discount_offered,
            st.entries,
        ),
        "free_terms": wording.marked(t, locale, agency.payment_terms, agency.locale),
        # on a plan each fee is charged on the late instalment, and the terms say so
        "late_terms": wording.late_fee_terms(
            t, locale, account.terms.late_fee, inv.currency, plan=len(st.entries) > 1
        ),
        "already_paid": t.gettext(
            "If you have already paid, thank you, and please disregard this reminder."
        ),
        "questions": t.gettext("Questions? Reply to this email or write to %(email)s.")
        % {"email": agency.email},
    }
    return Mail(
        to=tuple(_address(c.name, c.email) for c in billing),
        cc=tuple(_address(c.name, c.email) for c in copied),
        subject=context["subject"],
        text=text_template.render(context),
        html=html_template.render(context),
        sender=_address(agency.name, agency.email),
        message_id=key,
        headers=(("Auto-Submitted", "auto-generated"), ("Content-Language", context["lang"])),
    )
