"""A tax identifier is labelled as its party's country names it (site_builder/tax_ids.py)."""

from __future__ import annotations

import pytest

from site_builder.render import Theme
from site_builder.tax_ids import TaxId, label_for, split_written, tax_id

THEME = Theme()


@pytest.mark.parametrize(
    ("country", "label"),
    [
        ("US", "EIN"),
        ("PL", "NIP"),  # in the EU, but Polish invoices say NIP
        ("RU", "ИНН"),
        ("MY", "SST"),
        ("CN", "统一社会信用代码"),
        ("TW", "統一編號"),
        ("JP", "登録番号"),
        ("GB", "VAT"),
        ("LV", "VAT"),
        ("de", "VAT"),  # a lower-case code is still Germany
        ("ZZ", None),
        (None, None),
    ],
)
def test_each_country_names_its_identifier(country: str | None, label: str | None) -> None:
    assert label_for(country) == label


@pytest.mark.parametrize(
    ("value", "written", "number"),
    [
        ("EIN 91-2847561", "EIN", "91-2847561"),
        ("NIP PL 6762481357", "NIP", "PL 6762481357"),  # the country prefix stays with it
        ("NIP: 676-248-13-57", "NIP", "676-248-13-57"),
        ("统一社会信用代码 91440300MA5G8K2X7Q", "统一社会信用代码", "91440300MA5G8K2X7Q"),
        ("No. Pendaftaran SST W10-2208-32001457", "No. Pendaftaran SST", "W10-2208-32001457"),
        ("EIN 93-1739204 (501(c)(3) non-profit)", "EIN", "93-1739204 (501(c)(3) non-profit)"),
        ("GB 284 6173 92", None, "GB 284 6173 92"),
        ("91-2847561", None, "91-2847561"),
        ("LV40103567891", None, "LV40103567891"),
        ("pending", None, "pending"),
    ],
)
def test_a_label_written_before_the_number_is_found(
    value: str, written: str | None, number: str
) -> None:
    assert split_written(value) == (written, number)


@pytest.mark.parametrize(
    ("locale", "value", "country", "expected"),
    [
        ("en", "91-2847561", "US", TaxId("EIN", "91-2847561")),
        ("pl", "676-248-13-57", "PL", TaxId("NIP", "676-248-13-57")),
        ("ru", "7707083893", "RU", TaxId("ИНН", "7707083893")),
        ("ms", "W10-2208-32001457", "MY", TaxId("SST", "W10-2208-32001457")),
        ("zh_Hant", "04595257", "TW", TaxId("統一編號", "04595257")),
        # "VAT" is a word, so it is read in the reader's language
        ("en_GB", "GB 284 6173 92", "GB", TaxId("VAT", "GB 284 6173 92")),
        ("ru", "LV40103567891", "LV", TaxId("Номер НДС", "LV40103567891")),
        ("zh_Hans", "DE123456789", "DE", TaxId("增值税号", "DE123456789")),
        # an EIN is an EIN to every reader: a proper name is not translated
        ("pl", "12-3456789", "US", TaxId("EIN", "12-3456789")),
        # no country, or none in the table: the generic name, in the reader's language
        ("en", "12345", None, TaxId("Tax ID", "12345")),
        ("pl", "12345", "ZZ", TaxId("Identyfikator podatkowy", "12345")),
        ("ru", "12345", None, TaxId("Налоговый номер", "12345")),
        # what the agency wrote wins over the table: it knows its client's register
        ("zh_Hant", "適格請求書發行事業者登錄號碼 T4010401123456", "JP",
         TaxId("適格請求書發行事業者登錄號碼", "T4010401123456")),
    ],
)  # fmt: skip
def test_the_label_comes_from_the_content_else_the_country(
    locale: str, value: str, country: str | None, expected: TaxId
) -> None:
    assert tax_id(THEME.translations(locale), value, country) == expected
