"""Which sheet a document is printed on: US Letter where that is the local paper, else A4.

Pure rules, no I/O. The list of Letter countries is CLDR's (supplementalData.xml,
``measurementData/paperSize type="US-Letter"``, CLDR 46); Babel ships CLDR's measurement
system but not its paper sizes, so the list is kept here. Everywhere else uses A4.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.core import get_global

Paper = Literal["A4", "Letter"]

# CLDR 46 paperSize US-Letter: Belize, Canada, Chile, Colombia, Costa Rica, Guatemala, Mexico,
# Nicaragua, Panama, the Philippines, Puerto Rico, El Salvador, the United States, Venezuela.
LETTER_COUNTRIES = frozenset(
    {"BZ", "CA", "CL", "CO", "CR", "GT", "MX", "NI", "PA", "PH", "PR", "SV", "US", "VE"}
)


def paper_for(country: str | None) -> Paper:
    """The sheet for a client in ``country`` (ISO 3166 alpha-2); A4 when it is not known.

    A4 is the default because it is CLDR's world default (``001``) and a Letter printer
    prints an A4 page with its margins intact, while the reverse can crop the last lines.
    """
    return "Letter" if country and country.upper() in LETTER_COUNTRIES else "A4"


def country_of(address: Sequence[str] | None, locale: str) -> str | None:
    """The country an address names, read from its lines; else the locale's likely country.

    Content has no country field yet: addresses end with the country's name in the client's
    own language ("Polska", "中国 518057", "United States"), so the lines are read from the
    last one up, each matched (postal code digits aside) against the country names CLDR gives
    in that language and in English. With no such line, the locale's likely territory stands
    in (``en`` -> US, ``pl`` -> PL, ``zh_Hant`` -> TW), as CLDR's likely subtags say.
    """
    names = _country_names(locale)
    for line in reversed(address or ()):
        if code := names.get(_bare(line)):
            return code
    return _likely_territory(locale)


def _bare(line: str) -> str:
    # "中国 518057" -> "中国", "Рига, LV-1001" -> "рига, lv-": postal codes are digits
    return "".join(ch for ch in line if not ch.isdigit()).strip(" -,").casefold()


@cache
def _country_names(locale: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for tag in ("en", locale):
        try:
            territories = Locale.parse(tag.replace("-", "_")).territories
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        for code, name in territories.items():
            if len(code) == 2 and code.isalpha():  # countries, not regions such as "419"
                names[name.casefold()] = code
    return names


@cache
def _likely_territory(locale: str) -> str | None:
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if parsed.territory:
        return parsed.territory
    subtags = get_global("likely_subtags")
    key = f"{parsed.language}_{parsed.script}" if parsed.script else parsed.language
    territory = subtags.get(key, subtags.get(parsed.language, "")).split("_")[-1]
    return territory if len(territory) == 2 and territory.isalpha() else None
