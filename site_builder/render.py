"""Writers' front half: a theme folder -> HTML pages, one Jinja2 environment per language."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from babel.support import Translations
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_eval_context,
    select_autoescape,
)
from jinja2.ext import Extension
from jinja2.nodes import EvalContext
from markupsafe import Markup

from site_builder.i18n import resolve_locale, translations
from site_builder.views import Page
from site_builder.wording import single_stops

DEFAULT_THEME = Path(__file__).resolve().parent.parent / "themes" / "default"


class CompiledGettext(Extension):
    """Translates each ``_('literal')`` once, when a template is compiled.

    Gettext at render time costs ~15 µs a call and a large build makes half a
    million of them; an environment per language can bake its translations in.
    ``_('Open invoices')`` becomes a string constant (escaped once by Jinja's
    optimiser) and ``_('Pay %(amount)s', amount=x)`` becomes
    ``_fmt('Zapłać %(amount)s', amount=x)``, which escapes ``x`` as usual.
    """

    _CALL = re.compile(r"""\b_\(\s*(['"])((?:(?!\1).)*?)\1\s*([,)])""", re.DOTALL)

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        gettext = self.environment.globals["_translations"].gettext

        def translate(match: re.Match[str]) -> str:
            text = repr(gettext(match.group(2)))
            return text if match.group(3) == ")" else f"_fmt({text},"

        return self._CALL.sub(translate, source)


@pass_eval_context
def _fmt(eval_ctx: EvalContext, text: str, **values: object) -> str:
    # as Jinja's newstyle gettext does: the catalog's text is trusted, the values are
    # escaped where the template is (HTML), and left alone in plain text; a value that ends
    # with a full stop ("Inc.", "г.") takes the sentence's own
    text = single_stops(text, values)
    if eval_ctx.autoescape:
        return Markup(text) % values
    return text % values


@dataclass(frozen=True)
class Asset:
    path: str  # "assets/<hash>.css"
    data: bytes


class Theme:
    """Templates, stylesheet and catalogs of one theme folder."""

    def __init__(self, folder: Path = DEFAULT_THEME) -> None:
        self.folder = folder
        self._envs: dict[str, Environment] = {}

    @cached_property
    def css(self) -> Asset:
        data = (self.folder / "static" / "portal.css").read_bytes()
        return Asset(f"assets/{hashlib.sha256(data).hexdigest()[:16]}.css", data)

    def files(self) -> list[Path]:
        """Every file the output depends on, for the build's change detection."""
        return sorted(p for p in self.folder.rglob("*") if p.is_file())

    def translations(self, locale: str) -> Translations:
        return translations(self.folder / "locales", resolve_locale(locale)[1])

    def environment(self, locale: str) -> Environment:
        catalog = resolve_locale(locale)[1]
        env = self._envs.get(catalog)
        if env is None:
            env = Environment(
                loader=FileSystemLoader(self.folder / "templates"),
                # HTML is escaped; plain-text mail bodies (.txt) are not
                autoescape=select_autoescape(["html", "htm", "xml"], default=False),
                undefined=StrictUndefined,
                auto_reload=False,  # a build never edits its own theme
                extensions=[CompiledGettext],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.globals.update(_translations=self.translations(locale), _fmt=_fmt)
            self._envs[catalog] = env
        return env

    def render(self, page: Page, locale: str) -> str:
        if page.template is None:
            return page.body
        return self.environment(locale).get_template(page.template).render(page.context)
