"""What a party's tax identifier is called: EIN, NIP, ИНН, VAT, 统一社会信用代码 …

An accounts department files an invoice by the identifiers on it, and reads them by the
name its own tax office gives them: "Tax ID: 91-2847561" makes a clerk guess which register
the number is in. The name comes from the party's country (the agency's for its own number,
the client's for the client's), read from the address by ``documents.paper.country_of``.

Pure rules, no I/O: a gettext catalog translates the two names that are words rather than
proper names ("VAT", and "Tax ID" where the country is not known or has no entry here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.support import Translations

# The identifier a business prints on its invoices, by its tax office's own name for it.
# Proper names, printed as they are in every language: an EIN is an EIN to a Polish reader.
NAMES = {
    "US": "EIN",  # Employer Identification Number (IRS)
    "PL": "NIP",  # Numer Identyfikacji Podatkowej: Polish invoices say NIP, also for VAT
    "RU": "ИНН",  # идентификационный номер налогоплательщика
    "BY": "УНП",  # учётный номер плательщика
    "KZ": "БИН",  # бизнес-идентификационный номер
    "MY": "SST",  # the Sales and Service Tax registration number (Royal Malaysian Customs)
    "CN": "统一社会信用代码",  # unified social credit code
    "TW": "統一編號",  # the business administration number on every uniform invoice
    "JP": "登録番号",  # the qualified-invoice issuer's registration number (T + 13 digits)
    "KR": "사업자등록번호",  # business registration number
    "IN": "GSTIN",
    "AU": "ABN",
    "NZ": "GST",
    "CA": "BN",  # the CRA's Business Number (GST/HST accounts are BN + RT0001)
    "BR": "CNPJ",
    "MX": "RFC",
    "CH": "UID",  # Unternehmens-Identifikationsnummer (CHE-…, with MWST when VAT-registered)
}

# Where the number on an invoice is a VAT number: the EU (Poland aside: see NAMES), Northern
# Ireland's XI numbers, the United Kingdom, Norway's MVA register and the EEA's others.
VAT_COUNTRIES = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR"),
        *("HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT", "RO", "SE", "SI", "SK"),
        *("GB", "XI", "IS", "LI", "NO"),
    }
)

# A two-letter country prefix ("GB 284 6173 92", "NIP PL 6762481357") is part of the number
_COUNTRY_PREFIX = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class TaxId:
    label: str  # "EIN", "VAT", or the label the content wrote before the number
    number: str


def split_written(value: str) -> tuple[str | None, str]:
    """The label the content wrote before the number, if any, and the number.

    "EIN 91-2847561" -> ("EIN", "91-2847561"); "NIP PL 6762481357" -> ("NIP", "PL 6762481357");
    "GB 284 6173 92" -> (None, the same): the words before the first word holding a digit
    are a label, but a two-letter country code just before the digits is the number's own.
    """
    words = value.split()
    first = next((i for i, word in enumerate(words) if any(c.isdigit() for c in word)), None)
    if not first:  # no digits at all, or the value starts with them: nothing written
        return None, value
    label = words[:first]
    if _COUNTRY_PREFIX.fullmatch(label[-1]):
        label = label[:-1]
        first -= 1
    text = " ".join(label).rstrip(":：").strip()
    if not text:
        return None, value
    return text, " ".join(words[first:])


def label_for(country: str | None) -> str | None:
    """The country's name for a business's tax identifier; "VAT" in the VAT area; else None."""
    if country is None:
        return None
    country = country.upper()
    if country in NAMES:
        return NAMES[country]
    return "VAT" if country in VAT_COUNTRIES else None


def tax_id(t: Translations, value: str, country: str | None) -> TaxId:
    """``value`` labelled for print: as the content labelled it, else by ``country``.

    A label the agency wrote is kept: it knows its client's register better than a table (a
    Tokyo branch quoting its Japanese invoice registration in Chinese). Else the country's
    name; "VAT" is translated ("НДС", "增值税号"); unknown countries read "Tax ID".
    """
    written, number = split_written(value)
    if written is not None:
        return TaxId(written, number)
    label = label_for(country)
    if label == "VAT":
        return TaxId(t.gettext("VAT"), value)
    return TaxId(label or t.gettext("Tax ID"), value)
