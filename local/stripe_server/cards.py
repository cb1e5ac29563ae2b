"""Test card numbers: which pay, which are declined, and why."""

from __future__ import annotations

# Test card numbers and what happens when they are used on the hosted page.
TEST_CARDS: dict[str, tuple[str, str | None, str | None]] = {
    # number: (brand, decline_code, message)
    "4242424242424242": ("visa", None, None),
    "4000056655665556": ("visa", None, None),
    "5555555555554444": ("mastercard", None, None),
    "378282246310005": ("amex", None, None),
    "4000000000000002": ("visa", "generic_decline", "Your card was declined."),
    "4000000000009995": ("visa", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("visa", "expired_card", "Your card has expired."),
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


def card_problem(number: str) -> str | None:
    """Why a test card number is refused on the hosted page, or None if it pays."""
    if not number:
        return "Your card number is incomplete."
    if not number.isdigit() or not 13 <= len(number) <= 19 or not _luhn_ok(number):
        return "Your card number is incorrect."
    if number not in TEST_CARDS:
        return (
            "Your card was declined. Your request was in test mode, but used a non test card. "
            "Use 4242 4242 4242 4242."
        )
    return TEST_CARDS[number][2]
