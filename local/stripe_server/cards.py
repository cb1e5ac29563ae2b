"""Test cards, test PaymentMethods and test bank accounts: which pay, which fail, and how.

Numbers and ids are Stripe's documented test values (docs.stripe.com/testing): the same
number behaves here as it does in Stripe's test mode, on the hosted page and off-session.
"""

from __future__ import annotations

from dataclasses import dataclass

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
}
# the error ``code`` Stripe gives with each decline code (card_declined unless the decline
# has a code of its own)
DECLINE_CODES = {
    "generic_decline": "card_declined",
    "insufficient_funds": "card_declined",
    "expired_card": "expired_card",
    "authentication_required": "authentication_required",
}


@dataclass(frozen=True)
class CardBehaviour:
    """What a test card does: when paying on the page, when saved, when charged off-session."""

    brand: str
    country: str = "US"
    funding: str = "credit"
    pay: str | None = None  # decline code when paying on the hosted page (None: it pays)
    setup: str | None = None  # decline code when saving it (SetupIntent)
    off_session: str | None = None  # decline code when charged without the customer


_DECLINED = CardBehaviour(
    "visa", pay="generic_decline", setup="generic_decline", off_session="generic_decline"
)
TEST_CARDS: dict[str, CardBehaviour] = {
    "4242424242424242": CardBehaviour("visa"),
    "4000056655665556": CardBehaviour("visa", funding="debit"),
    "5555555555554444": CardBehaviour("mastercard"),
    "378282246310005": CardBehaviour("amex"),
    "4000000000000002": _DECLINED,
    # insufficient funds only when money moves: saving it (a zero-amount check) succeeds
    "4000000000009995": CardBehaviour(
        "visa", pay="insufficient_funds", off_session="insufficient_funds"
    ),
    "4000000000000069": CardBehaviour(
        "visa", pay="expired_card", setup="expired_card", off_session="expired_card"
    ),
    # "attaching this card to a Customer succeeds, but attempts to charge it fail"
    "4000000000000341": CardBehaviour("visa", pay="generic_decline", off_session="generic_decline"),
    # authentication on every payment: the hosted page passes its challenge (the client is
    # there), an off-session charge cannot, so it fails with authentication_required
    "4000002760003184": CardBehaviour("visa", off_session="authentication_required"),
    # authentication when set up, none afterwards: off-session charges succeed
    "4000002500003155": CardBehaviour("visa"),
}

# Stripe's test PaymentMethod ids, and the card each stands for
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
}


@dataclass(frozen=True)
class BankBehaviour:
    country: str
    bank_code: str  # SEPA: the bank code inside the IBAN; ACH: the routing number
    last4: str
    failure: str | None  # the return code when a debit from it settles (None: it pays)


# SEPA test IBANs and ACH test account numbers (routing 110000000) as Stripe documents them
TEST_IBANS: dict[str, BankBehaviour] = {
    "DE89370400440532013000": BankBehaviour("DE", "37040044", "3000", None),
    "DE62370400440532013001": BankBehaviour("DE", "37040044", "3001", "insufficient_funds"),
    "AT611904300234573201": BankBehaviour("AT", "19043", "3201", None),
    "AT861904300235473202": BankBehaviour("AT", "19043", "3202", "insufficient_funds"),
    "FR1420041010050500013M02606": BankBehaviour("FR", "20041", "2606", None),
    "FR3020041010050500013M02609": BankBehaviour("FR", "20041", "2609", "insufficient_funds"),
}
ACH_ROUTING = "110000000"
TEST_ACH_ACCOUNTS: dict[str, BankBehaviour] = {
    "000123456789": BankBehaviour("US", ACH_ROUTING, "6789", None),
    "000222222227": BankBehaviour("US", ACH_ROUTING, "2227", "insufficient_funds"),
    "000111111113": BankBehaviour("US", ACH_ROUTING, "1113", "account_closed"),
    "000333333335": BankBehaviour("US", ACH_ROUTING, "3335", "debit_not_authorized"),
}
BANK_FAILURES = {
    "insufficient_funds": "The customer's account has insufficient funds to cover this payment.",
    "account_closed": "The customer's bank account has been closed.",
    "debit_not_authorized": "The customer has notified their bank that this payment was "
    "unauthorized.",
}


def _luhn_ok(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def number_problem(number: str) -> str | None:
    """Why a card number cannot be used at all, or None for a known test card."""
    if not number:
        return "Your card number is incomplete."
    if not number.isdigit() or not 13 <= len(number) <= 19 or not _luhn_ok(number):
        return "Your card number is incorrect."
    if number not in TEST_CARDS:
        return (
            "Your card was declined. Your request was in test mode, but used a non test card. "
            "Use 4242 4242 4242 4242."
        )
    return None


def card_problem(number: str, *, saving: bool = False) -> str | None:
    """Why a test card is refused on the hosted page (paying, or ``saving`` it), or None."""
    problem = number_problem(number)
    if problem is not None:
        return problem
    card = TEST_CARDS[number]
    decline = card.setup if saving else card.pay
    return DECLINE_MESSAGES[decline] if decline else None
