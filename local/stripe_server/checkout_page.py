"""The hosted checkout page: self-contained HTML, no scripts, no external resources."""

from __future__ import annotations

from html import escape
from typing import Any

from .currency import babel_locale, format_amount
from .sessions import bank_debit_type

BANNER = "Test mode — no money moves"

BANK_LABELS = {
    "us_bank_account": "US bank account (ACH Direct Debit)",
    "sepa_debit": "SEPA Direct Debit",
    "bacs_debit": "Bacs Direct Debit",
    "au_becs_debit": "BECS Direct Debit",
    "acss_debit": "Pre-authorized debit (ACSS)",
    "customer_balance": "Bank transfer",
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
input[type=text]{width:100%;padding:.55rem;font:inherit;border:1px solid #667;border-radius:4px}
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
    card_number: str = "4242 4242 4242 4242",
    bank_delay: float = 2.0,
) -> str:
    """The page for an open session, optionally with an error from a failed attempt."""
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
    parts.append(_cancel_link(session))
    return _layout(
        f"Pay {format_amount(session['amount_total'], session['currency'])}",
        "\n".join(parts),
        session.get("locale"),
    )


def render_closed(session: dict[str, Any]) -> str:
    """The page for a session that can no longer be paid."""
    if session["status"] == "expired":
        title = "This checkout session has expired"
        text = "Nothing was charged. Ask for a new payment link if you still want to pay."
        link = _cancel_link(session)
    else:
        title = "This checkout session is already complete"
        if session["payment_status"] == "paid":
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
    if session["payment_status"] == "paid":
        text = f"Your payment of {_money(session['amount_total'], session)} was received."
    else:
        text = "Your bank debit is being processed."
    return _layout(title, f"<h1>{title}</h1>\n<p>{text}</p>", session.get("locale"))


def render_missing() -> str:
    title = "Checkout session not found"
    return _layout(title, f"<h1>{title}</h1>\n<p>Check the link you followed.</p>")
