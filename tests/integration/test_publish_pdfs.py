"""A re-publish where no PDF can be rendered (Lambda: no WeasyPrint) never fails a payment.

``pdfs=False`` is what ``republish`` decides by itself on Lambda, where ``import weasyprint``
fails: passed here, as this machine has WeasyPrint.
"""

from __future__ import annotations

from pathlib import Path

from functions.publish import republish
from functions.site import FolderSite
from functions.snapshots import FolderSnapshots
from functions.store import Change, SqliteStore
from site_builder.build import build
from site_builder.render import Theme
from tests.conftest import SAMPLE_TODAY, SECRET
from tests.integration.test_publish import PAID, PORTAL


def test_without_a_renderer_changed_documents_lose_their_pdf_and_link(
    content: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build(content, out, SAMPLE_TODAY, secret=SECRET)
    public = out / "public"
    untouched = public / PORTAL / "invoices" / "INV-2026-0101.pdf"
    before = untouched.read_bytes()
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.apply(Change("evt_1", payments=[PAID]))

    def run() -> object:
        return republish(
            "harbor-light",
            snapshots=FolderSnapshots(out / "build" / "clients"),
            store=store,
            site=FolderSite(public),
            theme=Theme(),
            secret=SECRET,
            today=SAMPLE_TODAY,
            pdfs=False,
        )

    done = run()
    paid = public / PORTAL / "invoices" / "INV-2026-0130"
    receipt = public / PORTAL / "receipts" / "R-2026-0001"
    # the invoice's PDF said "open": gone, and so is its link, until the next build
    assert f"{PORTAL}invoices/INV-2026-0130.pdf" in done.deleted  # type: ignore[attr-defined]
    assert not paid.with_suffix(".pdf").exists()
    assert 'class="pdf"' not in paid.with_suffix(".html").read_text(encoding="utf-8")
    assert receipt.with_suffix(".html").is_file() and not receipt.with_suffix(".pdf").exists()
    assert 'class="pdf"' not in receipt.with_suffix(".html").read_text(encoding="utf-8")
    # an invoice the payment did not touch keeps its PDF and its link
    assert untouched.read_bytes() == before
    assert 'href="INV-2026-0101.pdf"' in untouched.with_suffix(".html").read_text(encoding="utf-8")

    # with a renderer (serve, or the next build), both come back
    again = republish(
        "harbor-light",
        snapshots=FolderSnapshots(out / "build" / "clients"),
        store=store,
        site=FolderSite(public),
        theme=Theme(),
        secret=SECRET,
        today=SAMPLE_TODAY,
    )
    assert f"{PORTAL}receipts/R-2026-0001.pdf" in again.written
    assert paid.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
