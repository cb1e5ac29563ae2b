"""The build's PDFs: one beside every invoice and receipt page, linked from it, made only anew.

Read back with poppler's pdftotext (as an accounts department's import would); pictured beside
Chromium's screenshot of the same page in tests/browser/test_pdf_pictures.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from site_builder.build import build
from site_builder.formatting import format_money
from site_builder.pdfs import CACHE_ENV
from tests.conftest import ROOT, SAMPLE, SAMPLE_TODAY, SECRET
from tests.functional.test_pdf import poppler, squeezed

ARTIFACTS = Path(os.environ.get("PORTAL_TEST_ARTIFACTS", ROOT / "tests" / "artifacts")) / "pdf"
DOWNLOAD = {  # the link's text in each of the sample's languages
    "en": "Download PDF",
    "pl": "Pobierz PDF",
    "ru": "Скачать PDF",
    "zh_Hans": "下载 PDF",
    "zh_Hant": "下載 PDF",
    "ms": "Muat turun PDF",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    return out


def clients() -> dict[str, dict]:
    return {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in (SAMPLE / "clients").glob("*.yaml")
    }


def portal_of(out: Path, client_id: str) -> Path:
    manifest = json.loads((out / "build" / "manifest.json").read_bytes())
    return out / "public" / "c" / manifest["clients"][client_id]["token"]


def pdf_text(path: Path) -> str:
    return squeezed(poppler("pdftotext", "-enc", "UTF-8", str(path), "-"))


def pdfs_of(out: Path) -> dict[str, bytes]:
    public = out / "public"
    return {p.relative_to(public).as_posix(): p.read_bytes() for p in public.rglob("*.pdf")}


def test_every_invoice_pdf_holds_its_number_total_and_client(site: Path) -> None:
    ledger = json.loads((site / "build" / "ledger.json").read_text())["invoices"]
    people = clients()
    assert {people[e["client"]].get("locale", "en") for e in ledger.values()} >= set(DOWNLOAD)
    for number, entry in ledger.items():
        client = people[entry["client"]]
        pdf = portal_of(site, entry["client"]) / "invoices" / f"{number}.pdf"
        text = pdf_text(pdf)
        assert number in text, pdf
        assert squeezed(client["name"]) in text, (number, client["name"])  # in its own script
        total = format_money(entry["total"], entry["currency"], client.get("locale", "en"))
        assert squeezed(total) in text, (number, total)


def test_every_receipt_pdf_holds_its_number_amount_and_client(site: Path) -> None:
    people = clients()
    seen = 0
    for client_id, client in people.items():
        for page in sorted((portal_of(site, client_id) / "receipts").glob("*.html")):
            html = page.read_text(encoding="utf-8")
            amount = re.search(r'<dd class="amount">([^<]+)</dd>', html)
            assert amount is not None, page
            text = pdf_text(page.with_suffix(".pdf"))
            assert page.stem in text and squeezed(client["name"]) in text, page
            assert squeezed(amount.group(1).replace("&nbsp;", "\u00a0")) in text, page
            seen += 1
    assert seen >= 10


def test_each_document_page_links_its_pdf_in_its_language(site: Path) -> None:
    for client_id, client in clients().items():
        locale = client.get("locale", "en")
        locale = locale if locale in DOWNLOAD else locale.split("_")[0]  # en_GB: en's catalogue
        for page in (portal_of(site, client_id)).glob("*/*.html"):
            html = page.read_text(encoding="utf-8")
            link = f'<a class="pdf" href="{page.stem}.pdf" download>{DOWNLOAD[locale]}</a>'
            assert link in html, page
            assert page.with_suffix(".pdf").is_file(), page


def test_pdfs_are_cached_and_byte_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENV)  # this build's own cache, build/pdfs
    out = tmp_path / "out"
    first = build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    made = pdfs_of(out)
    assert first.pdfs_rendered == len(made) > 60 and first.pdfs_reused == 0
    assert len(list((out / "build" / "pdfs").rglob("*.pdf"))) == len(made)

    # a full re-render (as a code change would make): every page is as it was, no PDF is made
    again = build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET, force=True)
    assert (again.pdfs_rendered, again.pdfs_reused) == (0, len(made))
    assert pdfs_of(out) == made

    # and without the cache: the same pages make the same bytes
    shutil.rmtree(out / "build" / "pdfs")
    fresh = build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET, force=True)
    assert fresh.pdfs_rendered == len(made)
    assert pdfs_of(out) == made


def test_one_changed_invoice_renders_one_pdf(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    path = content / "invoices" / "INV-2026-0107.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["title"] = "Zmieniony tytuł: projekt opakowań"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    report = build(content, out, SAMPLE_TODAY, secret=SECRET)
    assert report.clients_rendered == 1
    assert report.pdfs_rendered == 1 and report.pdfs_reused >= 1
    pdf = portal_of(out, data["client"]) / "invoices" / "INV-2026-0107.pdf"
    assert squeezed("Zmieniony tytuł") in pdf_text(pdf)
    assert build(content, out, SAMPLE_TODAY, secret=SECRET).pdfs_rendered == 0


def test_without_pdfs_no_link(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET, pdfs=False)
    assert report.pdfs_rendered == 0 and pdfs_of(out) == {}
    page = next((out / "public" / "c").glob("*/invoices/*.html"))
    assert 'class="pdf"' not in page.read_text(encoding="utf-8")
