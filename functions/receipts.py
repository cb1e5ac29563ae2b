"""The receipt email: HTML and plain text in the client's language, with the thank-you."""

from __future__ import annotations

from datetime import date

from functions.mailer import Attachment, Mail
from functions.recorded import saved_of
from functions.store.base import Payment
from site_builder.autopay_words import method_name
from site_builder.bundle import ClientBundle
from site_builder.formatting import format_day, format_money
from site_builder.render import Theme
from site_builder.views import receipt_name, thank_you_text

# as the portal names them (themes/default/templates/_macros.html): an offline payment's
# receipt names its method as the content wrote it
_METHODS = {
    "card": "Card",
    "bank_debit": "Bank debit",
    "cheque": "Cheque",
    "cash": "Cash",
    "bank_transfer": "Bank transfer",
    "wire": "Bank transfer",
    # the methods a client knows by their own name (functions/methods.py): brands, as
    # written, but for those the Chinese catalogs name in Chinese
    "link": "Link",
    "paypal": "PayPal",
    "klarna": "Klarna",
    "ideal": "iDEAL",
    "blik": "BLIK",
    "p24": "Przelewy24",
    "fpx": "FPX",
    "alipay": "Alipay",
    "wechat_pay": "WeChat Pay",
}


def receipt_mail(
    bundle: ClientBundle,
    payment: Payment,
    balance: int,
    token: str,
    theme: Theme,
    *,
    pdf: bytes | None = None,
) -> Mail:
    """The receipt for ``payment``; ``balance`` is what the invoice still owes after it;
    ``pdf`` the receipt page's, attached (None where it cannot be rendered: the page links it).
    """
    agency, client, locale = bundle.agency, bundle.client, bundle.locale
    t = theme.translations(locale)
    billing = [c for c in client.contacts if c.role == "billing"]
    number = receipt_name(payment.receipt, payment.id)  # the store's R-2026-0007
    context = {
        "lang": locale.replace("_", "-"),
        "agency": agency,
        "thank_you": thank_you_text(bundle, billing[0].name),
        "receipt": {
            "number": number,
            "invoice": payment.invoice,
            "amount": format_money(payment.amount, payment.currency, locale),
            "date": format_day(date.fromisoformat(payment.received), locale),
        },
        # an automatic charge: its saved method, as the portal and the receipt page name it
        "method": (
            method_name(t, saved)
            if (saved := saved_of(payment)) is not None
            else t.gettext(_METHODS.get(payment.method, "Other"))
        ),
        "balance": format_money(balance, payment.currency, locale),
        "receipt_url": f"{agency.portal_url}/c/{token}/receipts/{number}.html",
        "subject": t.gettext("Receipt %(number)s for invoice %(invoice)s")
        % {"number": number, "invoice": payment.invoice},
    }
    env = theme.environment(locale)
    return Mail(
        to=tuple(c.email for c in billing),
        subject=context["subject"],
        text=env.get_template("emails/receipt.txt").render(context),
        html=env.get_template("emails/receipt.html").render(context),
        sender=agency.email,
        message_id=f"receipt:{payment.id}",
        attachments=(Attachment(f"{number}.pdf", "application/pdf", pdf),) if pdf else (),
    )
