"""Compiled templates kept between processes: loaded, never mixed across languages or code."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment

from site_builder import render
from site_builder.render import DEFAULT_THEME, Theme


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    theme = tmp_path / "theme"
    shutil.copytree(DEFAULT_THEME, theme)
    (theme / "templates" / "probe.html").write_text("{{ _('Probe') }}|{{ x }}", encoding="utf-8")
    with (theme / "locales" / "pl" / "LC_MESSAGES" / "messages.po").open("a") as po:
        po.write('\nmsgid "Probe"\nmsgstr "Sonda"\n')
    return theme


def probe(theme: Theme, locale: str) -> str:
    return theme.environment(locale).get_template("probe.html").render(x="<1>")


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiled (a spy: the real compile runs)."""
    names: list[str] = []
    real = render._Environment.compile

    def counted(self: Environment, source: str, name: str | None = None, *args: Any) -> Any:
        names.append(name or "")
        return real(self, source, name, *args)

    monkeypatch.setattr(render._Environment, "compile", counted)
    return names


def test_each_language_loads_its_own_compiled_template(
    folder: Path, tmp_path: Path, compiles: list[str]
) -> None:
    first = Theme(folder)
    first.keep_compiled(tmp_path / "compiled")
    assert [probe(first, "en"), probe(first, "pl")] == ["Probe|&lt;1&gt;", "Sonda|&lt;1&gt;"]
    assert compiles == ["probe.html", "probe.html"]
    kept = tmp_path / "compiled" / first.compiled_key
    assert {p.name for p in kept.iterdir()} == {"en", "pl"}

    # a fresh process (a new Theme): in the other order, loaded from disk, never compiled
    again = Theme(folder)
    again.keep_compiled(tmp_path / "compiled")
    assert [probe(again, "pl"), probe(again, "en")] == ["Sonda|&lt;1&gt;", "Probe|&lt;1&gt;"]
    assert compiles == ["probe.html", "probe.html"]


def test_a_changed_catalog_is_compiled_anew_and_the_old_ones_removed(
    folder: Path, tmp_path: Path
) -> None:
    first = Theme(folder)
    first.keep_compiled(tmp_path / "compiled")
    assert probe(first, "pl") == "Sonda|&lt;1&gt;"
    po = folder / "locales" / "pl" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "Sonda"', 'msgstr "Próba"'))
    render.translations.cache_clear()  # a new process reads the catalog afresh
    changed = Theme(folder)
    changed.keep_compiled(tmp_path / "compiled")
    assert changed.compiled_key != first.compiled_key
    assert probe(changed, "pl") == "Próba|&lt;1&gt;"
    assert [p.name for p in (tmp_path / "compiled").iterdir()] == [changed.compiled_key]


def test_a_folder_it_cannot_write_is_no_error(folder: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would be")
    theme = Theme(folder)
    theme.keep_compiled(blocked)
    assert probe(theme, "pl") == "Sonda|&lt;1&gt;"
