"""Writers' front half: a theme folder -> HTML pages, one Jinja2 environment per language."""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from collections.abc import MutableMapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from babel.support import Translations
from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
    pass_eval_context,
    select_autoescape,
)
from jinja2.bccache import Bucket
from jinja2.ext import Extension
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from site_builder.i18n import resolve_locale, translations
from site_builder.views import Page, Row
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
        # ``Markup(text) % values``, without its per-value wrappers: each value escaped as
        # ``escape`` would (numbers print as they are, and keep ``%d``), then one Markup
        return Markup(
            text
            % {
                name: value if isinstance(value, _NUMBERS) else _escape(value)
                for name, value in values.items()
            }
        )
    return text % values


_NUMBERS = (int, float, Decimal)  # their text has nothing to escape


try:  # MarkupSafe's own C escaper, the one ``escape`` calls: the text alone, no Markup made
    from markupsafe import _escape_inner
except ImportError:  # another MarkupSafe: its ``escape``, as Jinja would call it

    def _escape_inner(text: str) -> str:
        return str(escape(text))


def _escape(value: Any) -> Any:
    """What Jinja's ``escape`` prints for a ``{{ value }}`` of an HTML page, made cheaper.

    A page prints ~90 values and a build makes a quarter of a million pages: ``escape``
    wraps every text in a new Markup (~1.7 µs), and the wrapper is thrown away when the page
    is joined into one string. Text is escaped by the same C function without it, Markup
    (already safe) passes as it is, and anything else goes to ``escape`` as before.
    """
    kind = type(value)
    if kind is str:
        return _escape_inner(value)
    if kind is Markup:
        return value
    return escape(value)


class _Template(Template):
    @classmethod
    def _from_namespace(
        cls,
        environment: Environment,
        namespace: MutableMapping[str, Any],
        globals: MutableMapping[str, Any],
    ) -> Template:
        # the compiled module's ``escape`` (imported from jinja2.runtime) is only what its
        # ``{{ }}`` outputs call: they get the cheaper one, with the same text
        namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


# a dict's own attributes: Jinja gives ``row.items`` the method, not the key; so do we
_DICT_NAMES = frozenset(dir(dict))


class _Environment(Environment):
    template_class = _Template

    def getattr(self, obj: Any, attribute: str) -> Any:
        # The views' rows are dicts read as ``row.name``: Jinja tries the attribute first,
        # which fails (an AttributeError raised and caught) before the key is read, some
        # 1.7 million times a 1,000-client build. A Row's key is read at once instead.
        if type(obj) is Row and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@dataclass(frozen=True)
class Asset:
    path: str  # "assets/<hash>.css"
    data: bytes


class _Compiled(FileSystemBytecodeCache):
    """Compiled templates kept on disk, so a fresh process loads them instead of compiling.

    Compiling the theme costs ~0.06 s a language, a tenth of a one-change rebuild at 10,000
    clients. Jinja checks a cached template against its source only, not against what
    CompiledGettext baked into it, so each catalog has a folder of its own, below one named
    by everything else the compiled code depends on (``Theme.compiled_key``).
    """

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a cache: a build that cannot keep it goes on
            super().dump_bytecode(bucket)


class Theme:
    """Templates, stylesheet and catalogs of one theme folder."""

    def __init__(self, folder: Path = DEFAULT_THEME) -> None:
        self.folder = folder
        self._envs: dict[str, Environment] = {}
        self._compiled: Path | None = None

    def keep_compiled(self, folder: Path) -> None:
        """Keep the compiled templates in ``folder`` (under a build's ``build/``), for the next
        process that renders this theme; those kept for another theme or code are removed."""
        here = folder / self.compiled_key
        if self._compiled == here:
            return
        self._compiled = here
        for old in folder.iterdir() if folder.is_dir() else ():
            if old != here:
                shutil.rmtree(old, ignore_errors=True)

    @cached_property
    def compiled_key(self) -> str:
        """A digest of what the compiled templates depend on: the theme's files (templates
        and catalogs), the code that compiles them, and Jinja's version."""
        h = hashlib.sha256(f"{jinja2.__version__}|{self.folder}".encode())
        code = Path(__file__).parent
        for path in [code / "render.py", code / "i18n.py", *self.files()]:
            h.update(path.read_bytes())
        return h.hexdigest()[:16]

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
            env = _Environment(
                loader=FileSystemLoader(self.folder / "templates"),
                # HTML is escaped; plain-text mail bodies (.txt) are not
                autoescape=select_autoescape(["html", "htm", "xml"], default=False),
                undefined=StrictUndefined,
                auto_reload=False,  # a build never edits its own theme
                extensions=[CompiledGettext],
                trim_blocks=True,
                lstrip_blocks=True,
                bytecode_cache=self._bytecode_cache(catalog),
            )
            env.globals.update(_translations=self.translations(locale), _fmt=_fmt)
            self._envs[catalog] = env
        return env

    def _bytecode_cache(self, catalog: str) -> _Compiled | None:
        if self._compiled is None:
            return None
        folder = self._compiled / catalog
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return _Compiled(str(folder))

    def render(self, page: Page, locale: str) -> str:
        if page.template is None:
            return page.body
        return self.environment(locale).get_template(page.template).render(page.context)
