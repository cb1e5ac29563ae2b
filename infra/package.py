"""The Lambda package: the portal's code and its dependencies, as one zip for Python 3.12 on arm64.

Dependencies come from the package index as wheels for the Lambda platform
(``pip install --platform manylinux2014_aarch64 --only-binary=:all:``), so this works on any
machine. They are cached, keyed by a hash of the pinned list, and so is the finished zip,
keyed by a hash of everything in it: a second deploy with nothing changed builds nothing and
names the same S3 key, so the stack sees no change.

Bytecode: Lambda's code folder is read-only, so modules without a valid ``.pyc`` are compiled
on every cold start (3-4 times slower imports). When a Python 3.12 is found here, the package
carries 3.12 bytecode: the dependencies as bytecode alone (sourceless ``.pyc``: the package
must stay under 15 MB zipped and source plus bytecode does not fit), the portal's own code as
source plus hash-checked ``.pyc``, so its tracebacks keep their source lines.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from infra import modules
from site_builder.i18n import UI_LOCALES

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_PYTHON = (3, 12)
PLATFORM = "manylinux2014_aarch64"
MAX_ZIPPED = 15 * 1024 * 1024

# The runtime dependencies of functions/ and site_builder/ (re-publish renders pages), pinned to
# the versions this checkout is tested with. tzdata: Lambda's image may lack the system zone
# files that zoneinfo reads, and the agency's timezone decides what "today" is.
ON_LAMBDA = (
    "babel",
    "fastapi",
    "icalendar",
    "jinja2",
    "mangum",
    "markdown",
    "nh3",
    "orjson",
    "pydantic",
    "pyyaml",
    "stripe",
)
TZDATA = "tzdata==2026.6"
# The project's dependencies that stay behind, and why.
NOT_ON_LAMBDA = {
    "boto3": "the Lambda runtime provides boto3 and botocore",
    "rich": "the portal command's output only",
    "typer": "the portal command only",
    "uvicorn": "local serving only; Mangum adapts Lambda's events",
    "watchfiles": "portal serve only: it rebuilds on edits, Lambda never watches files",
    "weasyprint": "PDF documents: with Pango and the fonts it is too big for this zip; a layer "
    "of its own when receipts render PDFs there (bench/RESULTS.md, 'PDF renderer')",
}
# resolve_locale accepts only variants of the UI languages (en_GB, zh_Hant_TW...); Babel needs
# "root" for inheritance. Other locales are 30 MB of data no page can use.
KEEP_LOCALES = ("root", *sorted({tag.split("_")[0] for tag in UI_LOCALES}))
# What of the portal goes in: functions/ and the modules it imports (infra/modules.py), with the
# data files of their packages, and the theme the re-publish renders with.
ENTRY = "functions"
DATA = ("themes",)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same files make the same zip

Say = Callable[[str], None]


@dataclass(frozen=True)
class Package:
    path: Path
    key: str  # hash of everything in it: the S3 key's name
    size: int
    bytecode: bool


def requirements() -> list[str]:
    pinned = [f"{name}=={importlib.metadata.version(name)}" for name in ON_LAMBDA]
    return [*pinned, TZDATA]


def cache_dir() -> Path:
    if folder := os.environ.get("PORTAL_CACHE"):
        return Path(folder)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clientportal"


def find_python(version: tuple[int, int] = LAMBDA_PYTHON) -> str | None:
    """A Python of Lambda's version on this machine, to compile bytecode with, if any."""
    name = f"python{version[0]}.{version[1]}"
    candidates = [os.environ.get("PORTAL_LAMBDA_PYTHON"), shutil.which(name)]
    pyenv = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(glob.glob(f"{pyenv}/versions/{version[0]}.{version[1]}*/bin/{name}"))
    for candidate in candidates:
        if candidate and _is_version(candidate, version):
            return candidate
    return None


def _is_version(python: str, version: tuple[int, int]) -> bool:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.split() == [str(v) for v in version]


def _hash(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def code_files(root: Path = ROOT) -> Iterator[tuple[str, Path]]:
    """The portal's own files that go in, as (name in the zip, path), sorted."""
    files = modules.module_files(root)
    needed = modules.closure((m for m in files if m.split(".")[0] == ENTRY), root)
    chosen = {files[m] for m in needed}
    for m in needed:  # a package's data files sit beside its __init__
        if files[m].name == "__init__.py":
            chosen.update(p for p in files[m].parent.iterdir() if p.suffix != ".py")
    for top in DATA:
        chosen.update((root / top).rglob("*"))
    found = []
    for path in chosen:
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if (
            not path.is_file()
            or "__pycache__" in parts
            or any(p.startswith(".") for p in parts)
            or path.suffix in (".pyc", ".mo", ".pot")
        ):
            continue
        found.append((rel, path))
    return iter(sorted(found))


def build(
    root: Path = ROOT,
    cache: Path | None = None,
    say: Say = print,
    platform: str = PLATFORM,
) -> Package:
    """The package, from the cache when nothing in it changed."""
    cache = cache or cache_dir()
    python = find_python()
    reqs = requirements()
    deps_key = _hash(platform, *reqs, f"bytecode={python is not None}")[:24]
    files = list(code_files(root))
    key = _hash(deps_key, *(part for rel, path in files for part in (rel, path.read_bytes())))
    target = cache / f"package-{platform}-{key[:24]}.zip"
    if not target.exists():
        deps = _dependencies(cache, reqs, deps_key, platform, python, say)
        if python is None:
            say(
                "note: no Python 3.12 here, so the package carries no bytecode "
                "(Lambda compiles on each cold start; set PORTAL_LAMBDA_PYTHON to one)"
            )
        _assemble(target, deps, files, python)
    return Package(target, key, target.stat().st_size, python is not None)


def _dependencies(
    cache: Path, reqs: list[str], key: str, platform: str, python: str | None, say: Say
) -> Path:
    """A zip of the dependencies for the platform, made once per dependency list."""
    target = cache / f"deps-{platform}-{key}.zip"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    say(f"Fetching the Lambda dependencies for {platform} (once; cached in {cache})")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        site = Path(tmp) / "site"
        version = "".join(str(v) for v in LAMBDA_PYTHON)
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(site),
            "--platform",
            platform,
            "--implementation",
            "cp",
            "--python-version",
            ".".join(str(v) for v in LAMBDA_PYTHON),
            "--abi",
            f"cp{version}",
            "--only-binary=:all:",
            *reqs,
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"pip could not fetch the Lambda dependencies for {platform}:\n{result.stderr}"
            )
        shutil.rmtree(site / "bin", ignore_errors=True)
        for tests in site.glob("*/tests"):  # some wheels ship their own test suites (icalendar)
            shutil.rmtree(tests)
        _trim_babel(site)
        if python is not None:
            _compile_sourceless(python, site)
        partial = Path(tmp) / "deps.zip"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for path in sorted(p for p in site.rglob("*") if p.is_file()):
                _add(zf, path.relative_to(site).as_posix(), path.read_bytes())
        os.replace(partial, target)
    return target


def _trim_babel(site: Path) -> None:
    for data in (site / "babel" / "locale-data").glob("*.dat"):
        language = data.stem.split("_")[0]
        if language not in KEEP_LOCALES:
            data.unlink()


def _compile_sourceless(python: str, site: Path) -> None:
    """Each module as a .pyc in its source's place (``-b``), the source then removed."""
    subprocess.run(
        [python, "-m", "compileall", "-q", "-b", "-j", "0", "--invalidation-mode",
         "unchecked-hash", str(site)],
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    for source in site.rglob("*.py"):
        if source.with_suffix(".pyc").exists():
            source.unlink()
    for cache_folder in list(site.rglob("__pycache__")):
        shutil.rmtree(cache_folder, ignore_errors=True)


def _assemble(target: Path, deps: Path, files: list[tuple[str, Path]], python: str | None) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        code = Path(tmp) / "code"
        for rel, path in files:
            (code / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, code / rel)
        if python is not None:
            # checked-hash: valid whatever the zip does to file times, never stale
            result = subprocess.run(
                [python, "-m", "compileall", "-q", "-d", "/var/task", "--invalidation-mode",
                 "checked-hash", str(code)],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )  # fmt: skip
            if result.returncode != 0:
                raise RuntimeError(f"compiling the portal for Python 3.12 failed:\n{result.stdout}")
        partial = Path(tmp) / "package.zip"
        shutil.copyfile(deps, partial)
        with zipfile.ZipFile(partial, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for path in sorted(p for p in code.rglob("*") if p.is_file()):
                _add(zf, path.relative_to(code).as_posix(), path.read_bytes())
        os.replace(partial, target)


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.external_attr = 0o644 << 16  # readable by Lambda's user, whatever the umask here
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data, compresslevel=9)
