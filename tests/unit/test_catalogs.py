from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from site_builder.i18n import UI_LOCALES
from site_builder.render import DEFAULT_THEME

LOCALES = DEFAULT_THEME / "locales"


def catalog(locale: str):
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def template_ids() -> set[str]:
    with (LOCALES / "messages.pot").open("rb") as pot:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}


@pytest.mark.parametrize("locale", [loc for loc in UI_LOCALES if loc != "en"])
def test_every_message_is_translated_with_its_placeholders(locale: str) -> None:
    cat = catalog(locale)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}
    assert template_ids() <= ids, "run `make translations` and translate the new strings"
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{locale}: untranslated {message.id!r}"
        assert not list(message.check(cat)), f"{locale}: {message.id!r}"


def test_the_template_is_current() -> None:
    """Every gettext call in the theme and the code has an entry in messages.pot."""
    root = Path(__file__).resolve().parents[2]
    method_map = [
        ("site_builder/**.py", "python"),
        ("themes/default/templates/**.html", "jinja2"),
        ("themes/default/templates/**.txt", "jinja2"),
        ("functions/**.py", "python"),
    ]
    options = {
        "themes/default/templates/**.html": {"extensions": "jinja2.ext.i18n"},
        "themes/default/templates/**.txt": {"extensions": "jinja2.ext.i18n"},
    }
    found = {
        m[2] if isinstance(m[2], str) else m[2][0]
        for m in extract_from_dir(root, method_map, options)
    }
    assert found, "extraction found no messages"
    assert found == template_ids(), "run `make translations`"
