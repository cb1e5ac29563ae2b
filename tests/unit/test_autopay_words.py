"""A saved method, the mandate and a planned charge in words, in the client's language."""

from __future__ import annotations

from datetime import date

import pytest

from site_builder.autopay_words import charge_line, mandate, method_name
from site_builder.billing.autopay import AutopayPolicy
from site_builder.formatting import format_day
from site_builder.model import SavedMethod
from site_builder.render import Theme

EN = Theme().translations("en")
PL = Theme().translations("pl")


@pytest.mark.parametrize(
    ("method", "words"),
    [
        (SavedMethod(type="card", brand="visa", last4="4242"), "Visa •••• 4242"),
        (SavedMethod(type="card", brand="amex", last4="0005"), "American Express •••• 0005"),
        (SavedMethod(type="card", brand="mastercard", last4="4444"), "Mastercard •••• 4444"),
        (SavedMethod(type="card", last4="1111"), "Card •••• 1111"),
        (SavedMethod(type="sepa_debit", brand="BANK", last4="3000"), "SEPA Direct Debit •••• 3000"),
        (SavedMethod(type="us_bank_account", brand="CHASE", last4="6789"), "ACH •••• 6789"),
        (SavedMethod(type="bacs_debit", last4="2345"), "Bacs Direct Debit •••• 2345"),
    ],
)
def test_a_method_is_named_as_its_owner_knows_it(method: SavedMethod, words: str) -> None:
    assert method_name(EN, method) == words


def test_the_scheme_of_a_debit_is_translated_and_a_brand_is_not() -> None:
    assert method_name(PL, SavedMethod(type="sepa_debit", last4="3000")) == (
        "Polecenie zapłaty SEPA •••• 3000"
    )
    assert method_name(PL, SavedMethod(type="card", brand="visa", last4="4242")) == "Visa •••• 4242"


def test_the_mandate_follows_when_and_the_notice() -> None:
    due = AutopayPolicy("allowed", "due", 3, (3, 7))
    issue = AutopayPolicy("allowed", "issue", 1, (3, 7))
    same_day = AutopayPolicy("allowed", "due", 0, (3, 7))
    assert "on the day each is due, as shown on each invoice" in mandate(EN, "Acme", due)[0]
    assert mandate(EN, "Acme", due)[1] == "You will be emailed 3 days before each charge."
    words = mandate(EN, "Acme", issue)
    assert "on the day each is issued (each instalment" in words[0]
    assert words[1] == "You will be emailed 1 day before each charge."
    assert mandate(EN, "Acme", same_day)[1].startswith("You will be emailed on the day")
    assert (
        mandate(PL, "Acme", due)[1] == "Otrzymasz wiadomość e-mail 3 dni przed każdym obciążeniem."
    )


def test_a_charge_line_names_the_amount_method_and_day_in_the_clients_language() -> None:
    ru = Theme().translations("ru")
    line = charge_line(ru, "ru", "Visa •••• 4242", "2 500,00 €", date(2026, 12, 1))
    day = format_day(date(2026, 12, 1), "ru")  # "1 декабря 2026 г." (a narrow space before г.)
    assert line == f"Сумма 2 500,00 € будет списана {day} со способа оплаты Visa •••• 4242."
    line = charge_line(EN, "en", "Visa •••• 4242", "$1.00", date(2026, 12, 9))
    assert line == "$1.00 will be charged to Visa •••• 4242 on December 9, 2026."
