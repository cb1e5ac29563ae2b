"""Which payment methods a Checkout Session offers, and the redirect methods' test flows.

Stripe's dynamic payment methods show a client the methods of their currency and, for some,
of their country. The local server has no client IP to place a client, so the session's
``locale`` stands in for the country where Stripe's docs offer a method by country (BLIK and
Przelewy24 for Poland; Alipay and WeChat Pay for Chinese-speaking clients). An explicit list
(``allowed_payment_method_types``) is taken as given, within each method's currencies.
"""

from __future__ import annotations

from collections.abc import Iterable

# The bank debit scheme of a currency; a currency without one offers a bank transfer
BANK_DEBITS = {
    "usd": "us_bank_account",
    "eur": "sepa_debit",
    "gbp": "bacs_debit",
    "aud": "au_becs_debit",
    "cad": "acss_debit",
}

# Presentment currencies of each redirect method, per Stripe's method pages
_ALIPAY = frozenset({"cny", "aud", "cad", "eur", "gbp", "hkd", "jpy", "sgd", "myr", "nzd", "usd"})
_WECHAT = frozenset({
    "cny", "aud", "cad", "eur", "gbp", "hkd", "jpy", "sgd", "usd", "dkk", "nok", "sek", "chf",
})  # fmt: skip
REDIRECT_CURRENCIES: dict[str, frozenset[str]] = {
    "blik": frozenset({"pln"}),
    "p24": frozenset({"eur", "pln"}),
    "fpx": frozenset({"myr"}),
    "alipay": _ALIPAY,
    "wechat_pay": _WECHAT,
}
REDIRECT_METHODS = tuple(REDIRECT_CURRENCIES)
# methods a saved (setup) session can collect: cards and the bank debits with a mandate;
# Stripe's pages for BLIK, P24, FPX, Alipay and WeChat Pay say "Setup mode: not supported"
SETUP_METHODS = frozenset({"card", *BANK_DEBITS.values()})

LABELS = {
    "card": "Card",
    "us_bank_account": "US bank account (ACH Direct Debit)",
    "sepa_debit": "SEPA Direct Debit",
    "bacs_debit": "Bacs Direct Debit",
    "au_becs_debit": "BECS Direct Debit",
    "acss_debit": "Pre-authorized debit (ACSS)",
    "customer_balance": "Bank transfer",
    "blik": "BLIK",
    "p24": "Przelewy24",
    "fpx": "FPX",
    "alipay": "Alipay",
    "wechat_pay": "WeChat Pay",
}

# The banks Checkout lists for the bank-choice methods (a few of Stripe's documented codes)
BANKS: dict[str, dict[str, str]] = {
    "p24": {
        "pko_bank_polski": "PKO Bank Polski",
        "bank_pekao_sa": "Bank Pekao S.A.",
        "mbank_mtransfer": "mBank",
        "ing": "ING Bank Śląski",
        "santander_przelew24": "Santander",
        "blik": "BLIK via Przelewy24",
    },
    "fpx": {
        "maybank2u": "Maybank2U",
        "cimb": "CIMB Clicks",
        "public_bank": "Public Bank",
        "rhb": "RHB Bank",
        "hong_leong_bank": "Hong Leong Bank",
        "bank_islam": "Bank Islam",
    },
}

# BLIK: any 6-digit code authorises the payment (Stripe's test mode approves it without a
# banking app). These codes stand for the failures Stripe's endive API reports for BLIK
# (its decline codes); a code that is not six digits is refused before any attempt.
BLIK_FAILURES: dict[str, tuple[str, str]] = {
    "000001": ("code_expired", "The BLIK code has expired. Ask your bank app for a new one."),
    "000002": ("insufficient_funds", "The bank account has insufficient funds."),
    "000003": ("customer_declined", "The payment was declined in the banking app."),
    "000004": ("payment_limit_exceeded", "The payment exceeds the BLIK limit set by the bank."),
}
BLIK_INVALID = ("code_invalid", "The BLIK code is invalid: enter the 6 digits your bank app shows.")


def bank_debit_type(currency: str) -> str:
    """The bank payment method Stripe offers for a currency: its bank debit scheme, or for
    a currency without one here, a bank transfer (Stripe's ``customer_balance``). Either
    completes at once and settles later."""
    return BANK_DEBITS.get(currency, "customer_balance")


def _language(locale: str | None) -> str:
    return (locale or "").replace("_", "-").split("-")[0].lower()


def dynamic_methods(currency: str, locale: str | None) -> list[str]:
    """What Stripe's dynamic payment methods show for a currency and a client's locale."""
    language = _language(locale)
    offered = ["card"]
    if currency == "pln":
        offered += ["blik", "p24"]
    elif currency == "eur" and language == "pl":
        offered.append("p24")
    if currency == "myr":
        offered.append("fpx")
    if currency == "cny" or (language == "zh" and currency in _ALIPAY):
        offered.append("alipay")
    if currency == "cny" or (language == "zh" and currency in _WECHAT):
        offered.append("wechat_pay")
    offered.append(bank_debit_type(currency))
    return offered


def supports(method: str, currency: str) -> bool:
    """Whether an explicitly listed method can take this currency at all."""
    if method in REDIRECT_CURRENCIES:
        return currency in REDIRECT_CURRENCIES[method]
    if method in BANK_DEBITS.values() or method == "customer_balance":
        return bank_debit_type(currency) == method
    return method == "card"


def offered_methods(
    currency: str,
    locale: str | None,
    allowed: Iterable[str],
    excluded: Iterable[str],
    *,
    setup: bool = False,
) -> list[str]:
    """The session's ``payment_method_types``: the explicit list or the dynamic one,
    minus the excluded; a setup session keeps only what can be saved."""
    wanted = list(dict.fromkeys(allowed))
    if wanted:
        offered = [m for m in wanted if supports(m, currency)]
    else:
        offered = dynamic_methods(currency, locale)
    if setup:
        offered = [m for m in offered if m in SETUP_METHODS]
    skip = set(excluded)
    return [m for m in offered if m not in skip]
