"""The Lambda package: small enough, complete, and only what Lambda should run.

Built once per machine (the dependencies come from the package index, then live in the
cache, keyed by the pinned list), so this costs a download only the first time.
"""

from __future__ import annotations

import importlib.metadata
import re
import zipfile

import pytest

from infra import package


@pytest.fixture(scope="session")
def built() -> package.Package:
    return package.build(say=lambda line: None)


def test_the_package_is_at_most_15_mb_zipped(built: package.Package) -> None:
    assert built.size <= package.MAX_ZIPPED, f"{built.size / 2**20:.1f} MB"


def test_the_package_holds_the_portal_and_its_dependencies_for_lambda(
    built: package.Package,
) -> None:
    names = set(zipfile.ZipFile(built.path).namelist())
    assert "functions/handler.py" in names and "functions/secrets.py" in names
    assert "site_builder/render.py" in names
    assert "themes/default/templates/portal.html" in names
    assert "themes/default/locales/pl/LC_MESSAGES/messages.po" in names
    tops = {name.split("/", 1)[0] for name in names}
    for module in ("fastapi", "mangum", "pydantic_core", "stripe", "babel", "yaml", "tzdata"):
        assert module in tops, module
    assert not tops & {"boto3", "botocore", "typer", "rich", "uvicorn"}
    assert not any(name.startswith("local/stripe_server/") for name in names)
    assert not any(name.startswith("local/serve/") for name in names)
    native = [n for n in names if n.startswith("pydantic_core/") and n.endswith(".so")]
    assert native and all("aarch64" in n for n in native)
    if built.bytecode:
        assert "functions/__pycache__/handler.cpython-312.pyc" in names
        assert "fastapi/__init__.pyc" in names and "fastapi/__init__.py" not in names


def test_babel_keeps_only_the_locales_the_portal_can_use(built: package.Package) -> None:
    locales = {
        re.sub(r"\.dat$", "", name.rsplit("/", 1)[1])
        for name in zipfile.ZipFile(built.path).namelist()
        if name.startswith("babel/locale-data/") and name.endswith(".dat")
    }
    assert {"root", "en", "en_GB", "pl", "ru", "ms", "zh_Hans", "zh_Hant", "zh_Hant_TW"} <= locales
    assert {loc.split("_")[0] for loc in locales} == {"root", "en", "pl", "ru", "ms", "zh"}


def test_every_dependency_is_packaged_or_left_out_for_a_reason() -> None:
    requires = importlib.metadata.requires("clientportal") or []
    runtime = {
        re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in requires if "extra ==" not in r
    }
    assert runtime == set(package.ON_LAMBDA) | set(package.NOT_ON_LAMBDA)


def test_the_same_inputs_give_the_same_package(built: package.Package) -> None:
    again = package.build(say=lambda line: None)
    assert again.key == built.key and again.path == built.path
