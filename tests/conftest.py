"""Shared fixtures: the sample content, and a scratch copy of it to break."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import warnings
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from site_builder.pdfs import CACHE_ENV as PDF_CACHE_ENV
from site_builder.tokens import DevelopmentSecretWarning

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content"
SAMPLE_TODAY = date(2026, 11, 23)
SECRET = "test-secret-0123456789abcdef-not-for-production"

warnings.simplefilter("ignore", DevelopmentSecretWarning)

# One PDF cache for the whole run (site_builder/pdfs.py): the suite builds the sample dozens of
# times, and each build would otherwise render its 80 PDFs anew (~10 s of CPU). Keyed by the
# page's HTML, so a test's edited content still gets its own PDFs; tests of the cache itself
# take this away (monkeypatch.delenv).
os.environ.setdefault(PDF_CACHE_ENV, tempfile.mkdtemp(prefix="portal-test-pdfs-"))
atexit.register(shutil.rmtree, os.environ[PDF_CACHE_ENV], True)

# The suite's property tests and fuzzers draw the same examples on every run, so a landing is
# never decided by a lucky or unlucky draw; `make fuzz` (HYPOTHESIS_PROFILE=explore) draws
# new ones each time, to find what the fixed draw cannot. No deadline: how long an example
# takes on a shared, loaded machine is not what these tests assert (speed is bench/'s).
settings.register_profile("suite", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of the sample content that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(SAMPLE, target)
    return target
