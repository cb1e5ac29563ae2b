"""The emails about automatic charges, in the client's language: rendered when queued.

- The pre-charge notice (``notice_days`` before the charge day): what, how much (the rules'
  figure for that day), which method, which day; how to pay another way or turn it off.
- The failure: the reason in plain words (``reason_words``, from Stripe's decline code),
  the next retry day or that there is none, and the pay link. ``authentication_required``:
  only the client can confirm, so no retry; the method stays for later invoices.
- After the last retry failed, the same email says the method was removed and automatic
  payments are off (one email, not two at once).

The receipt after a successful charge is the ordinary receipt email (``functions/receipts``).
"""

from __future__ import annotations

from datetime import date
from email.headerregistry import Address

from babel.lists import format_list
from babel.support import Translations

from functions.mailer import Mail
from functions.store.base import ChargeAttempt
from site_builder import wording
from site_builder.billing.autopay import Charge
from site_builder.bundle import Account, ClientBundle
from site_builder.formatting import format_day, format_money
from site_builder.i18n import resolve_locale
from site_builder.render import Theme

# Stripe's decline and error codes -> the reason's kind (anything else: "declined")
_REASONS = {
    "insufficient_funds": "funds",
    "card_velocity_exceeded": "funds",
    "withdrawal_count_limit_exceeded": "funds",
    "expired_card": "expired",
    "authentication_required": "confirm",
    "incorrect_cvc": "details",
    "incorrect_number": "details",
    "invalid_cvc": "details",
    "invalid_expiry_month": "details",
    "invalid_expiry_year": "details",
    "incorrect_zip": "details",
}


def reason_words(t: Translations, reason: str | None) -> str:
    """Why a charge failed, as a person would say it."""
    kind = _REASONS.get(reason or "", "declined")
    if kind == "funds":
        return t.gettext("there were not enough funds available.")
    if kind == "expired":
        return t.gettext("the card has expired.")
    if kind == "confirm":
        return t.gettext("your bank asks you to confirm this payment yourself.")
    if kind == "details":
        return t.gettext("the card details were not accepted.")
    return t.gettext("your bank declined the payment.")


def _what(t: Translations, account: Account, instalment: int) -> str:
    """ "invoice INV-1042", or "Instalment 2 of 3 of invoice INV-1042": the part charged."""
    number, st = account.invoice.number, account.statement
    if instalment and len(st.entries) > 1:
        entry = next((e for e in st.entries if e.n == instalment), None)
        if entry is not None:
            part = entry.label or wording.part_names(t, st.entries)[entry.n]
            if part:
                return t.gettext("%(part)s of invoice %(number)s") % {
                    "part": part,
                    "number": number,
                }
    return t.gettext("invoice %(number)s") % {"number": number}


def _address(name: str, email: str) -> str:
    username, _, domain = email.rpartition("@")
    return str(Address(display_name=name, username=username, domain=domain))


def _common(bundle: ClientBundle, account: Account, token: str, t: Translations) -> dict:
    agency, client, locale = bundle.agency, bundle.client, bundle.locale
    billing = [c for c in client.contacts if c.role == "billing"]
    names = format_list([c.name for c in billing], locale=resolve_locale(locale)[0])
    return {
        "lang": locale.replace("_", "-"),
        "agency": agency,
        "greeting": t.gettext("Hello %(names)s,") % {"names": names},
        "url": f"{agency.portal_url}/c/{token}/invoices/{account.invoice.number}.html",
        "questions": t.gettext("Questions? Reply to this email or write to %(email)s.")
        % {"email": agency.email},
    }


def _mail(bundle: ClientBundle, theme: Theme, template: str, context: dict, key: str) -> Mail:
    env = theme.environment(bundle.locale)
    billing = [c for c in bundle.client.contacts if c.role == "billing"]
    return Mail(
        to=tuple(_address(c.name, c.email) for c in billing),
        subject=context["subject"],
        text=env.get_template(f"emails/{template}.txt").render(context),
        html=env.get_template(f"emails/{template}.html").render(context),
        sender=_address(bundle.agency.name, bundle.agency.email),
        message_id=key,
        headers=(("Auto-Submitted", "auto-generated"), ("Content-Language", context["lang"])),
    )


def notice_mail(
    bundle: ClientBundle,
    account: Account,
    charge: Charge,
    method: str,
    token: str,
    theme: Theme,
    *,
    key: str,
) -> Mail:
    """The email ``notice_days`` before an automatic charge: ``method`` is its words."""
    locale = bundle.locale
    t = theme.translations(locale)
    values = {
        "date": format_day(charge.day, locale),
        "amount": format_money(charge.amount, charge.currency, locale),
        "method": method,
        "what": _what(t, account, charge.instalment or 0),
        "number": account.invoice.number,
    }
    context = {
        **_common(bundle, account, token, t),
        "subject": t.gettext("Automatic payment for invoice %(number)s on %(date)s") % values,
        "charge": t.gettext("On %(date)s we will charge %(amount)s to %(method)s for %(what)s.")
        % values,
        "nothing_to_do": t.gettext(
            "There is nothing you need to do. To pay another way, pay before then from the "
            "invoice page; automatic payments can be turned off there too."
        ),
    }
    return _mail(bundle, theme, "autopay_notice", context, key)


def failed_mail(
    bundle: ClientBundle,
    account: Account,
    attempt: ChargeAttempt,
    method: str,
    retry: date | None,
    token: str,
    theme: Theme,
    *,
    key: str,
    turned_off: bool,
) -> Mail:
    """The email after a failed automatic charge: why, what happens next, the pay link.

    ``retry``: the next attempt's day, None when there is none; ``turned_off``: this was the
    last attempt, the method was removed and automatic payments are off.
    """
    locale = bundle.locale
    t = theme.translations(locale)
    values = {
        "date": format_day(date.fromisoformat(attempt.day), locale),
        "amount": format_money(attempt.amount, attempt.currency, locale),
        "method": method,
        "what": _what(t, account, attempt.instalment),
        "number": attempt.invoice,
    }
    if attempt.reason == "authentication_required":
        after = t.gettext(
            "Only you can confirm it, so we will not try again automatically. Please pay from "
            "the link below; your saved payment method stays in place for later invoices."
        )
    elif turned_off:
        after = (
            t.gettext(
                "This was the last attempt, so we have removed %(method)s and turned automatic "
                "payments off. Please pay from the link below. You can turn automatic payments on "
                "again from your portal with another card or account."
            )
            % values
        )
    elif retry is not None:
        after = t.gettext(
            "We will try again on %(date)s. To pay another way before then, use the link below."
        ) % {"date": format_day(retry, locale)}
    else:
        after = t.gettext("We will not try again automatically. Please pay from the link below.")
    subject = (
        t.gettext("Automatic payments are turned off")
        if turned_off
        else t.gettext("Automatic payment for invoice %(number)s did not go through") % values
    )
    context = {
        **_common(bundle, account, token, t),
        "subject": subject,
        "failed": t.gettext(
            "We tried to charge %(amount)s to %(method)s for %(what)s on %(date)s, and the "
            "payment did not go through:"
        )
        % values,
        "reason": reason_words(t, attempt.reason),
        "after": after,
    }
    return _mail(bundle, theme, "autopay_failed", context, key)
