"""Locales and translations: which UI languages exist, and their catalogs.

Catalogs are gettext ``.po`` files in the theme
(``locales/<locale>/LC_MESSAGES/messages.po``, the layout pybabel makes).
They are compiled in memory when first used, so no binary ``.mo`` file is
kept in the repository and an edited ``.po`` takes effect on the next build.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

# The UI languages we ship catalogs for; a client's locale may be more
# specific (``en_GB``, ``pl_PL``) and then uses its language's catalog.
UI_LOCALES = ("en", "zh_Hans", "zh_Hant", "ru", "pl", "ms")


@cache
def resolve_locale(tag: str) -> tuple[Locale, str]:
    """The Babel locale for ``tag`` and the UI catalog that serves it."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(
            f"unknown locale {tag!r} (expected one of {', '.join(UI_LOCALES)} or a variant)"
        ) from None
    if locale.language == "zh":
        script = locale.script or ("Hant" if locale.territory in {"TW", "HK", "MO"} else "Hans")
        catalog = f"zh_{script}"
    else:
        catalog = locale.language
    if catalog not in UI_LOCALES:
        raise ValueError(
            f"no translation for locale {tag!r} (expected one of {', '.join(UI_LOCALES)})"
        )
    return locale, catalog


@cache
def translations(locales_dir: Path, catalog: str) -> Translations:
    po_path = locales_dir / catalog / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Translations()  # English source strings
    with po_path.open("rb") as po:
        parsed = read_po(po, locale=catalog)
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")
