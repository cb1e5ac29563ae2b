"""Automatic payments in words: a saved method's name, the mandate, a planned charge.

One place for these sentences, read by the portal's pages and by the emails about automatic
charges, so a client reads the same "Visa •••• 4242" everywhere. Pure functions of their
arguments and a gettext catalog; the figures come from ``billing.autopay``.
"""

from __future__ import annotations

from datetime import date

from babel.support import Translations

from site_builder.billing.autopay import AutopayPolicy
from site_builder.formatting import format_day
from site_builder.model import SavedMethod
from site_builder.wording import fill

MASK = "••••"  # before the last four digits, as card statements and Stripe print them

# Card brands as Stripe names them -> as people write them (brand names are not translated)
BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "cartes_bancaires": "Cartes Bancaires",
    "eftpos_au": "eftpos",
    "interac": "Interac",
    "link": "Link",
}


def method_name(t: Translations, method: SavedMethod) -> str:
    """ "Visa •••• 4242", "SEPA Direct Debit •••• 3000", "ACH •••• 6789": the method as its
    owner knows it. A bank debit is named by its scheme (the bank's name Stripe may give is
    not what a client calls it); a card by its brand, else "Card"."""
    kind = method.type
    if kind == "card":
        brand = (method.brand or "").lower()
        name = BRANDS.get(brand) or (method.brand or "").title() or t.gettext("Card")
    elif kind == "sepa_debit":
        name = t.gettext("SEPA Direct Debit")
    elif kind == "us_bank_account":
        name = "ACH"  # the US scheme's own name, as US banks print it
    elif kind == "bacs_debit":
        name = t.gettext("Bacs Direct Debit")
    elif kind == "au_becs_debit":
        name = t.gettext("BECS Direct Debit")
    else:
        name = BRANDS.get(kind) or kind.replace("_", " ").title()
    return f"{name} {MASK} {method.last4}"


def mandate(t: Translations, agency: str, policy: AutopayPolicy) -> list[str]:
    """The mandate a client accepts by turning automatic payments on (SEPA and ACH debits
    need one): who may charge what, on which day, the notice, and how to stop it."""
    if policy.when == "issue":
        what = t.gettext(
            "By turning on automatic payments you authorise %(agency)s to charge this payment "
            "method for your future invoices from %(agency)s on the day each is issued (each "
            "instalment of a payment plan on the day it is due), as shown on each invoice, and "
            "to send instructions to your bank to debit your account accordingly."
        )
    else:
        what = t.gettext(
            "By turning on automatic payments you authorise %(agency)s to charge this payment "
            "method for your future invoices from %(agency)s on the day each is due, as shown "
            "on each invoice, and to send instructions to your bank to debit your account "
            "accordingly."
        )
    n = policy.notice_days
    if n == 0:
        notice = t.gettext("You will be emailed on the day of each charge, before it is made.")
    else:
        notice = t.ngettext(
            "You will be emailed %(num)d day before each charge.",
            "You will be emailed %(num)d days before each charge.",
            n,
        ) % {"num": n}
    return [
        what % {"agency": agency},
        notice,
        t.gettext("You can turn this off at any time on this page."),
    ]


def charge_line(t: Translations, locale: str, method: str, amount: str, day: date) -> str:
    """ "$1,000.00 will be charged to Visa •••• 4242 on 9 December 2026": a planned charge,
    its day in the client's locale as the pages write dates."""
    values = {"amount": amount, "method": method, "date": format_day(day, locale)}
    return fill(t.gettext("%(amount)s will be charged to %(method)s on %(date)s."), values)
