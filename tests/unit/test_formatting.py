from datetime import date

import pytest
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from site_builder.formatting import format_day, format_money
from site_builder.i18n import UI_LOCALES
from site_builder.money import to_major

CURRENCIES = ["USD", "EUR", "PLN", "JPY", "GBP", "MYR", "CNY", "TWD", "RUB", "KWD"]


@given(
    minor=st.integers(min_value=-(10**13), max_value=10**13),
    locale=st.sampled_from(UI_LOCALES),
    currency=st.sampled_from(CURRENCIES),
)
def test_fast_money_format_matches_babel(minor: int, locale: str, currency: str) -> None:
    expected = format_currency(to_major(minor, currency), currency, locale=locale)
    assert format_money(minor, currency, locale) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "PLN1,234.50"),
        ("pl", "1\xa0234,50\xa0zł"),
        ("ru", "1\xa0234,50\xa0PLN"),
        ("zh_Hans", "PLN1,234.50"),
    ],
)
def test_each_locale_writes_money_its_own_way(locale: str, expected: str) -> None:
    assert format_money(123450, "PLN", locale) == expected


def test_zero_decimal_currency_has_no_fraction() -> None:
    assert format_money(123456, "JPY", "en") == "¥123,456"
    assert format_money(5, "JPY", "ru") == "5\xa0¥"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "March 14, 2026"),
        ("en_GB", "14 March 2026"),
        ("pl", "14 marca 2026"),
        ("ru", "14 марта 2026\u202fг."),
        ("zh_Hans", "2026年3月14日"),
        ("zh_Hant", "2026年3月14日"),
        ("ms", "14 Mac 2026"),
    ],
)
def test_dates_in_each_locale(locale: str, expected: str) -> None:
    assert format_day(date(2026, 3, 14), locale) == expected
