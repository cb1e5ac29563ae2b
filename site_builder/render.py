"""Writers' front half: a theme folder -> HTML pages, one Jinja2 environment per language."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from site_builder.i18n import resolve_locale, translations
from site_builder.views import Page

DEFAULT_THEME = Path(__file__).resolve().parent.parent / "themes" / "default"


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
                autoescape=select_autoescape(["html", "htm", "xml"], default=True),
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(self.translations(locale), newstyle=True)  # type: ignore[attr-defined]
            self._envs[catalog] = env
        return env

    def render(self, page: Page, locale: str) -> str:
        if page.template is None:
            return page.body
        return self.environment(locale).get_template(page.template).render(page.context)
