"""An invoice page and its PDF, pictured side by side (tests/artifacts/pdf/) for a person to
look at: Chromium's screenshot of the page, poppler's pdftoppm of the PDF beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from site_builder.build import build
from tests.conftest import SAMPLE, SAMPLE_TODAY, SECRET
from tests.functional.test_pdf import poppler
from tests.functional.test_pdf_build import ARTIFACTS, portal_of


def test_an_invoice_page_and_its_pdf(browser: Any, tmp_path: Path) -> None:
    build(SAMPLE, tmp_path, SAMPLE_TODAY, secret=SECRET)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_path = portal_of(tmp_path, "wislane-smaki") / "invoices" / "INV-2026-0107.html"
    stem = ARTIFACTS / "pl-INV-2026-0107"
    poppler("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
            str(page_path.with_suffix(".pdf")), f"{stem}-pdf")  # fmt: skip
    tab = browser.new_page(viewport={"width": 1000, "height": 900})
    try:
        tab.goto(page_path.as_uri())
        link = tab.get_by_role("link", name="Pobierz PDF")
        assert link.get_attribute("href") == "INV-2026-0107.pdf"
        tab.screenshot(path=f"{stem}-page.png", full_page=True)
    finally:
        tab.close()
    for suffix in ("-pdf.png", "-page.png"):
        shot = Path(f"{stem}{suffix}")
        assert shot.read_bytes().startswith(b"\x89PNG"), shot
        assert shot.stat().st_size > 10_000, shot
