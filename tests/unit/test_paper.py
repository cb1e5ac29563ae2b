"""Which sheet a client's documents are printed on (site_builder/documents/paper.py)."""

from __future__ import annotations

import pytest

from site_builder.documents import country_of, paper_for


@pytest.mark.parametrize("country", ["US", "CA", "MX", "PH", "CL", "us"])
def test_letter_where_cldr_says_letter(country: str) -> None:
    assert paper_for(country) == "Letter"


@pytest.mark.parametrize("country", ["PL", "GB", "CN", "TW", "JP", "LV", "MY", "BR", None, ""])
def test_a4_everywhere_else_and_when_unknown(country: str | None) -> None:
    assert paper_for(country) == "A4"


@pytest.mark.parametrize(
    ("address", "locale", "country"),
    [
        (["1420 Western Avenue", "Seattle, WA 98101", "United States"], "en", "US"),
        (["ul. Józefińska 14/3", "30-529 Kraków", "Polska"], "pl", "PL"),
        (["广东省深圳市南山区科苑路15号", "中国 518057"], "zh_Hans", "CN"),
        (["東京都港區南青山三丁目8番40號", "日本 107-0062"], "zh_Hant", "JP"),
        (["ул. Бривибас, 85", "Рига, LV-1001", "Латвия"], "ru", "LV"),
        (["4th Floor, 27 Great Sutton Street", "London EC1V 0DS", "United Kingdom"], "en_GB", "GB"),
        (["12 Rue de Rivoli", "Canada"], "pl", "CA"),  # English names are read in any locale
    ],
)
def test_the_country_is_read_from_the_address(
    address: list[str], locale: str, country: str
) -> None:
    assert country_of(address, locale) == country


@pytest.mark.parametrize(
    ("locale", "country"),
    [
        ("en", "US"),
        ("en_GB", "GB"),
        ("pl", "PL"),
        ("zh_Hant", "TW"),
        ("zh_Hans", "CN"),
        ("xx", None),
    ],
)
def test_without_a_country_line_the_locale_decides(locale: str, country: str | None) -> None:
    assert country_of(["Somewhere 1", "12345 Town"], locale) == country
    assert country_of(None, locale) == country
