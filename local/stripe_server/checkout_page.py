"""The hosted checkout page: self-contained HTML, no scripts, no external resources."""

from __future__ import annotations

from html import escape
from typing import Any

from .cards import ACH_ROUTING
from .currency import babel_locale, format_amount
from .methods import BANKS, BLIK_FAILURES, LABELS, bank_debit_type

BANNER = "Test mode — no money moves"
DEFAULT_CARD = "4242 4242 4242 4242"
BANK_LABELS = LABELS
# Stripe's own mandate and consent wording for saving a method (its Checkout shows these
# before a SEPA or ACH debit is authorised; a saved card gets the shorter consent line)
MERCHANT = "this business"
MANDATES = {
    "card": f"By saving your card, you allow {MERCHANT} to charge it for future payments in "
    "accordance with their terms.",
    "sepa_debit": f"By providing your payment information and confirming this payment, you "
    f"authorise (A) {MERCHANT} and Stripe, our payment service provider, to send instructions "
    "to your bank to debit your account and (B) your bank to debit your account in accordance "
    "with those instructions. As part of your rights, you are entitled to a refund from your "
    "bank under the terms and conditions of your agreement with your bank. A refund must be "
    "claimed within 8 weeks starting from the date on which your account was debited. Your "
    "rights are explained in a statement that you can obtain from your bank. You agree to "
    "receive notifications for future debits up to 2 days before they occur.",
    "us_bank_account": f"By saving your bank account, you authorize {MERCHANT} to debit the "
    "bank account specified above for any amount owed for charges arising from your use of "
    f"{MERCHANT}'s services and/or purchase of products from {MERCHANT}, pursuant to "
    f"{MERCHANT}'s website and terms, until this authorization is revoked. You may amend or "
    f"cancel this authorization at any time by providing notice to {MERCHANT} with 30 "
    "(thirty) days notice.",
}

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1a1a2e;background:#f4f5f7}
.banner{background:#ffd43b;color:#1a1a2e;text-align:center;font-weight:700;padding:.6rem 1rem;
border-bottom:2px solid #1a1a2e}
main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.6rem;margin:0 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
table{width:100%;border-collapse:collapse;margin:0 0 1rem}
th,td{padding:.4rem 0;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap}
tbody tr{border-bottom:1px solid #dde}
tfoot th{padding-top:.6rem;font-size:1.1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=text],select{width:100%;padding:.55rem;font:inherit;border:1px solid #667;
border-radius:4px}
.mandate{font-size:.85rem;color:#33334a;border-left:3px solid #3b3bb3;padding-left:.6rem}
button{font:inherit;font-weight:600;padding:.6rem 1rem;border:0;border-radius:4px;
background:#3b3bb3;color:#fff;cursor:pointer;margin-top:.6rem}
button.secondary{background:#fff;color:#3b3bb3;border:2px solid #3b3bb3}
:focus-visible{outline:3px solid #ff8c00;outline-offset:2px}
.hint{color:#4a4a5a;font-size:.9rem;margin:.3rem 0 0}
.error{background:#fde8e8;color:#8a1111;border:1px solid #8a1111;border-radius:4px;
padding:.6rem .8rem;font-weight:600}
.muted{color:#4a4a5a}
form{margin:0}
caption{text-align:left}
.cancel{display:inline-block;margin-top:1.5rem}
"""


def _layout(title: str, body: str, locale: str | None = None) -> str:
    lang = str(babel_locale(locale)).replace("_", "-")
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<div class="banner" role="note">{escape(BANNER)}</div>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _money(amount: int, session: dict[str, Any]) -> str:
    return escape(format_amount(amount, session["currency"], session.get("locale")))


def _title(session: dict[str, Any]) -> str:
    if session["mode"] == "setup":
        return "Save a way to pay"
    return f"Pay {format_amount(session['amount_total'], session['currency'])}"


def _cancel_link(session: dict[str, Any]) -> str:
    url = session.get("cancel_url")
    if not url:
        return ""
    return f'<p><a class="cancel" href="{escape(url)}">Cancel</a></p>'


def render_checkout(
    session: dict[str, Any],
    line_items: list[dict[str, Any]],
    *,
    error: str | None = None,
    card_number: str = DEFAULT_CARD,
    bank_delay: float = 2.0,
) -> str:
    """The page for an open session, optionally with an error from a failed attempt."""
    if session["mode"] == "setup":
        return _render_setup(session, error=error, card_number=card_number)
    total = _money(session["amount_total"], session)
    action = f"/pay/{escape(session['id'])}"
    rows = "\n".join(
        "<tr>"
        f"<td>{escape(item['description'])}</td>"
        f'<td class="num">{item["quantity"]} × {_money(item["price"]["unit_amount"], session)}</td>'
        f'<td class="num">{_money(item["amount_total"], session)}</td>'
        "</tr>"
        for item in line_items
    )
    parts = [
        f"<h1>Pay {total}</h1>",
    ]
    if session.get("client_reference_id"):
        parts.append(f'<p class="muted">Reference: {escape(session["client_reference_id"])}</p>')
    parts.append(
        '<table>\n<caption class="muted">Summary</caption>\n'
        '<thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th>'
        '<th scope="col" class="num">Amount</th></tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody>\n"
        f'<tfoot><tr><th scope="row" colspan="2">Total due</th>'
        f'<th class="num">{total}</th></tr></tfoot>\n</table>'
    )
    if error:
        parts.append(f'<p class="error" role="alert" id="payment-error">{escape(error)}</p>')
    methods = session["payment_method_types"]
    if "card" in methods:
        described = (
            ' aria-describedby="payment-error card-hint"'
            if error
            else (' aria-describedby="card-hint"')
        )
        parts.append(
            "<h2>Card</h2>\n"
            f'<form method="post" action="{action}">\n'
            '<input type="hidden" name="method" value="card">\n'
            '<label for="card_number">Card number</label>\n'
            '<input type="text" id="card_number" name="card_number" inputmode="numeric" '
            f'autocomplete="cc-number" value="{escape(card_number)}"{described}>\n'
            '<p class="hint" id="card-hint">Test cards: 4242 4242 4242 4242 succeeds; '
            "4000 0000 0000 0002 is declined.</p>\n"
            '<button type="submit">Pay by card</button>\n</form>'
        )
    bank_type = bank_debit_type(session["currency"])
    if bank_type in methods:
        delay = f"{bank_delay:g}"
        way = "bank transfer" if bank_type == "customer_balance" else "bank debit"
        parts.append(
            f"<h2>{escape(BANK_LABELS[bank_type])}</h2>\n"
            f'<p class="hint">A {way} completes now and settles {delay} s later.</p>\n'
            f'<form method="post" action="{action}">\n'
            '<input type="hidden" name="method" value="bank_ok">\n'
            f'<button type="submit" class="secondary">Pay by {way} (succeeds)</button>\n'
            "</form>\n"
            f'<form method="post" action="{action}">\n'
            '<input type="hidden" name="method" value="bank_fail">\n'
            f'<button type="submit" class="secondary">Pay by {way} (fails)</button>\n'
            "</form>"
        )
    parts.extend(_redirect_forms(session, action))
    parts.append(_cancel_link(session))
    return _layout(_title(session), "\n".join(parts), session.get("locale"))


def _error(error: str | None) -> str:
    if not error:
        return ""
    return f'<p class="error" role="alert" id="payment-error">{escape(error)}</p>'


def _bank_select(method: str) -> str:
    options = "\n".join(
        f'<option value="{escape(code)}">{escape(name)}</option>'
        for code, name in BANKS[method].items()
    )
    return (
        f'<label for="{method}-bank">Bank</label>\n'
        f'<select id="{method}-bank" name="bank" required>\n{options}\n</select>\n'
    )


def _redirect_forms(session: dict[str, Any], action: str) -> list[str]:
    """BLIK's code field; the bank choice of P24 and FPX; Alipay's and WeChat Pay's button."""
    parts: list[str] = []
    methods = session["payment_method_types"]
    if "blik" in methods:
        failing = "; ".join(f"{code}: {why}" for code, (why, _) in BLIK_FAILURES.items())
        parts.append(
            "<h2>BLIK</h2>\n"
            f'<form method="post" action="{action}">\n'
            '<input type="hidden" name="method" value="blik">\n'
            '<label for="blik_code">BLIK code</label>\n'
            '<input type="text" id="blik_code" name="blik_code" inputmode="numeric" '
            'autocomplete="one-time-code" maxlength="6" aria-describedby="blik-hint">\n'
            '<p class="hint" id="blik-hint">Enter the 6-digit code from your banking app. '
            f"Test codes: any 6 digits authorise the payment; {escape(failing)}.</p>\n"
            '<button type="submit">Pay with BLIK</button>\n</form>'
        )
    for method in ("p24", "fpx", "alipay", "wechat_pay"):
        if method not in methods:
            continue
        label = escape(LABELS[method])
        choice = _bank_select(method) if method in BANKS else ""
        parts.append(
            f"<h2>{label}</h2>\n"
            f'<form method="post" action="{action}">\n'
            f'<input type="hidden" name="method" value="{method}">\n{choice}'
            f'<button type="submit" class="secondary">Continue to {label}</button>\n</form>'
        )
    return parts


def _render_setup(session: dict[str, Any], *, error: str | None, card_number: str) -> str:
    """Setup mode: the consent or mandate text, and the card or bank account form."""
    action = f"/pay/{escape(session['id'])}"
    parts = [f"<h1>{escape(_title(session))}</h1>"]
    parts.append(
        '<p class="muted">Nothing is charged now: the method is saved for future payments.</p>'
    )
    parts.append(_error(error))
    methods = session["payment_method_types"]
    if "card" in methods:
        parts.append(
            "<h2>Card</h2>\n"
            f'<form method="post" action="{action}">\n'
            '<input type="hidden" name="method" value="card">\n'
            '<label for="card_number">Card number</label>\n'
            '<input type="text" id="card_number" name="card_number" inputmode="numeric" '
            f'autocomplete="cc-number" value="{escape(card_number)}" '
            'aria-describedby="card-hint card-mandate">\n'
            '<p class="hint" id="card-hint">Test cards: 4242 4242 4242 4242 is saved and pays; '
            "4000 0000 0000 0341 is saved but declined when charged; 4000 0000 0000 9995 "
            "declines for insufficient funds when charged; 4000 0027 6000 3184 asks for "
            "authentication on every payment.</p>\n"
            f'<p class="mandate" id="card-mandate">{escape(MANDATES["card"])}</p>\n'
            '<button type="submit">Save card</button>\n</form>'
        )
    if "sepa_debit" in methods:
        parts.append(
            f"<h2>{escape(LABELS['sepa_debit'])}</h2>\n"
            f'<form method="post" action="{action}">\n'
            '<input type="hidden" name="method" value="sepa_debit">\n'
            '<label for="iban">IBAN</label>\n'
            '<input type="text" id="iban" name="iban" value="DE89 3704 0044 0532 0130 00" '
            'aria-describedby="iban-hint sepa-mandate">\n'
            '<p class="hint" id="iban-hint">Test IBANs: DE89 3704 0044 0532 0130 00 pays; '
            "DE62 3704 0044 0532 0130 01 is returned unpaid.</p>\n"
            f'<p class="mandate" id="sepa-mandate">{escape(MANDATES["sepa_debit"])}</p>\n'
            '<button type="submit">Accept the mandate and save</button>\n</form>'
        )
    if "us_bank_account" in methods:
        parts.append(
            f"<h2>{escape(LABELS['us_bank_account'])}</h2>\n"
            f'<form method="post" action="{action}">\n'
            '<input type="hidden" name="method" value="us_bank_account">\n'
            '<label for="routing_number">Routing number</label>\n'
            f'<input type="text" id="routing_number" name="routing_number" value="{ACH_ROUTING}">\n'
            '<label for="account_number">Account number</label>\n'
            '<input type="text" id="account_number" name="account_number" value="000123456789" '
            'aria-describedby="ach-hint ach-mandate">\n'
            '<p class="hint" id="ach-hint">Test accounts: 000123456789 pays; 000222222227 is '
            "returned for insufficient funds.</p>\n"
            f'<p class="mandate" id="ach-mandate">{escape(MANDATES["us_bank_account"])}</p>\n'
            '<button type="submit">Accept and save</button>\n</form>'
        )
    for method in methods:
        if method in ("card", "sepa_debit", "us_bank_account"):
            continue
        parts.append(
            f"<h2>{escape(LABELS.get(method, method))}</h2>\n"
            f'<form method="post" action="{action}">\n'
            f'<input type="hidden" name="method" value="{escape(method)}">\n'
            '<button type="submit" class="secondary">Save the test bank account</button>\n'
            "</form>"
        )
    parts.append(_cancel_link(session))
    return _layout(_title(session), "\n".join(p for p in parts if p), session.get("locale"))


def render_authorize(session: dict[str, Any], method: str, bank: str | None) -> str:
    """The test page a redirect method sends the client to: authorise, fail, or leave."""
    label = LABELS[method]
    action = f"/pay/{escape(session['id'])}/authorize/{escape(method)}"
    bank_name = BANKS.get(method, {}).get(bank or "")
    amount = _money(session["amount_total"], session)
    where = f" at {escape(bank_name)}" if bank_name else ""
    hidden = f'<input type="hidden" name="bank" value="{escape(bank)}">\n' if bank else ""
    body = (
        f"<h1>{escape(label)} test payment page</h1>\n"
        f"<p>This page stands in for {escape(label)}{where}: authorise or fail the test "
        f"payment of {amount}.</p>\n"
        f'<form method="post" action="{action}">\n{hidden}'
        '<input type="hidden" name="outcome" value="authorize">\n'
        '<button type="submit">Authorize test payment</button>\n</form>\n'
        f'<form method="post" action="{action}">\n{hidden}'
        '<input type="hidden" name="outcome" value="fail">\n'
        '<button type="submit" class="secondary">Fail test payment</button>\n</form>\n'
        f"{_cancel_link(session)}"
    )
    return _layout(f"{label} test payment page", body, session.get("locale"))


def render_closed(session: dict[str, Any]) -> str:
    """The page for a session that can no longer be paid."""
    if session["status"] == "expired":
        title = "This checkout session has expired"
        text = "Nothing was charged. Ask for a new payment link if you still want to pay."
        link = _cancel_link(session)
    else:
        title = "This checkout session is already complete"
        if session["mode"] == "setup":
            text = "The payment method was saved."
        elif session["payment_status"] == "paid":
            text = f"A payment of {_money(session['amount_total'], session)} was received."
        else:
            text = "The payment is being processed by the bank."
        url = session.get("success_url")
        target = (url or "").replace("{CHECKOUT_SESSION_ID}", session["id"])
        link = f'<p><a href="{escape(target)}">Continue</a></p>' if url else ""
    body = f"<h1>{escape(title)}</h1>\n<p>{text}</p>\n{link}"
    return _layout(title, body, session.get("locale"))


def render_done(session: dict[str, Any]) -> str:
    """Shown after paying a session that has no success_url."""
    title = "Thank you"
    if session["mode"] == "setup":
        text = "Your payment method was saved."
    elif session["payment_status"] == "paid":
        text = f"Your payment of {_money(session['amount_total'], session)} was received."
    else:
        text = "Your bank debit is being processed."
    return _layout(title, f"<h1>{title}</h1>\n<p>{text}</p>", session.get("locale"))


def render_missing() -> str:
    title = "Checkout session not found"
    return _layout(title, f"<h1>{title}</h1>\n<p>Check the link you followed.</p>")
