"""The PDF renderer on the sample's real invoice pages, read back with poppler's tools.

pdftotext, pdfinfo, pdffonts and pdfdetach (Debian's poppler-utils, installed by ``make
pdf-tools``) read the PDFs the way a client's viewer or an accounts department's import would:
text in each script must come out as text, fonts must be embedded, the sheet must be the
client's.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from site_builder.build import build
from site_builder.documents import country_of, paper_for
from site_builder.documents.pdf import Attachment, PdfError, render_pdf
from site_builder.formatting import format_money
from site_builder.tokens import client_token
from tests.conftest import ROOT, SAMPLE, SAMPLE_TODAY, SECRET

PORTAL = "https://portal.northwind.example"
# one invoice of each sample client whose script the issue names
SCRIPTS = {
    "zh_Hans": ("xinghe", "INV-2026-0102"),
    "zh_Hant": ("guanghua-tokyo", "INV-2026-0104"),
    "ru": ("yantar", "INV-2026-0106"),
    "pl": ("wislane-smaki", "INV-2026-0107"),
}


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: `make pdf-tools` installs Debian's poppler-utils")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build(SAMPLE, out, SAMPLE_TODAY, secret=SECRET)
    return out


def client(client_id: str) -> dict:
    return yaml.safe_load((SAMPLE / "clients" / f"{client_id}.yaml").read_text(encoding="utf-8"))


def page(site: Path, client_id: str, number: str) -> tuple[str, str, dict[str, bytes]]:
    """An invoice page's HTML, its address, and the site files it loads (its stylesheet)."""
    token = client_token(SECRET, client_id, client(client_id).get("token_version", 1))
    rel = f"c/{token}/invoices/{number}.html"
    html = (site / "public" / rel).read_text(encoding="utf-8")
    assets = {
        p.relative_to(site / "public").as_posix(): p.read_bytes()
        for p in (site / "public" / "assets").iterdir()
    }
    return html, f"{PORTAL}/{rel}", assets


def render(site: Path, client_id: str, number: str, **options: object) -> bytes:
    html, url, files = page(site, client_id, number)
    data = client(client_id)
    paper = paper_for(country_of(data.get("address"), data.get("locale", "en")))
    return render_pdf(html, url=url, paper=paper, files=files, **options)  # type: ignore[arg-type]


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return poppler("pdftotext", "-enc", "UTF-8", str(path), "-")


def squeezed(text: str) -> str:
    # line breaks fall anywhere in CJK text and between a number and its currency
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("locale", sorted(SCRIPTS))
def test_each_script_comes_out_of_the_pdf_as_text(site: Path, tmp_path: Path, locale: str) -> None:
    client_id, number = SCRIPTS[locale]
    data = client(client_id)
    assert data["locale"] == locale
    entry = json.loads((site / "build" / "ledger.json").read_text())["invoices"][number]
    text = squeezed(text_of(render(site, client_id, number), tmp_path))
    assert number in text
    assert squeezed(data["name"]) in text  # 星河…, 光華…, «Янтарный берег», Wiślane
    assert squeezed(format_money(entry["total"], entry["currency"], locale)) in text
    assert squeezed(data["address"][0]) in text


def test_fonts_are_embedded_as_subsets(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(render(site, *SCRIPTS["zh_Hant"]))
    rows = poppler("pdffonts", str(path)).splitlines()[2:]
    assert rows, "the PDF names no font"
    for row in rows:
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
    assert any("CJK-TC" in row for row in rows), "traditional Chinese is set in the TC face"


def test_the_same_page_makes_the_same_bytes(site: Path) -> None:
    first = render(site, *SCRIPTS["pl"])
    assert render(site, *SCRIPTS["pl"]) == first
    # another process, another hash seed: nothing depends on set or dict order or the clock
    code = (
        "import sys; from tests.functional.test_pdf import render; from pathlib import Path; "
        "sys.stdout.buffer.write(render(Path(sys.argv[1]), 'wislane-smaki', 'INV-2026-0107'))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        capture_output=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout
    assert other == first


def test_letter_for_a_us_client_and_a4_for_the_rest(site: Path, tmp_path: Path) -> None:
    sizes = {}
    for client_id, number in (("harbor-light", "INV-2026-0101"), SCRIPTS["pl"]):
        path = tmp_path / f"{client_id}.pdf"
        path.write_bytes(render(site, client_id, number))
        sizes[client_id] = re.search(r"Page size:\s+(.*)", poppler("pdfinfo", str(path)))[1]
    assert sizes == {
        "harbor-light": "612 x 792 pts (letter)",
        "wislane-smaki": "595.276 x 841.89 pts (A4)",
    }


def test_the_pdf_is_the_document_without_the_portal_around_it(site: Path, tmp_path: Path) -> None:
    ledger = json.loads((site / "build" / "ledger.json").read_text())["invoices"]
    number = next(
        n for n, e in sorted(ledger.items()) if e["client"] == "open-trails" and e["amount_due"]
    )
    html, _, _ = page(site, "open-trails", number)
    assert "Pay" in html and "Your invoices" in html  # the page has them...
    text = text_of(render(site, "open-trails", number), tmp_path)
    assert "Pay the" not in text and "Pay now" not in text  # ...the document does not
    assert "Your invoices" not in text and "Please do not share" not in text
    assert "Payment terms" in text and number in text


def test_a_pdf_a3_carries_its_attachment_with_a_fixed_date(site: Path, tmp_path: Path) -> None:
    xml = b'<?xml version="1.0" encoding="UTF-8"?><invoice number="INV-2026-0107"/>'
    attachment = Attachment("factur-x.xml", xml, "Factur-X invoice", "Alternative")
    pdf = render(site, *SCRIPTS["pl"], attachments=[attachment], dated=SAMPLE_TODAY)
    assert render(site, *SCRIPTS["pl"], attachments=[attachment], dated=SAMPLE_TODAY) == pdf
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    assert "factur-x.xml" in poppler("pdfdetach", "-list", str(path))
    poppler("pdfdetach", "-save", "1", "-o", str(tmp_path / "out.xml"), str(path))
    assert (tmp_path / "out.xml").read_bytes() == xml
    meta = poppler("pdfinfo", "-meta", str(path))
    assert re.search(r'pdfaid:part(="|>)3', meta) and "2026-11-23" in meta


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback that records every request made to it."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_rendering_fetches_nothing_outside_the_site(
    listener: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, seen = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the PDF")
    html = (
        f'<html lang="en"><head><link rel="stylesheet" href="{base}/x.css"></head><body>'
        f'<p>Invoice</p><img src="{base}/logo.png"><img src="{secret.as_uri()}">'
        f'<object data="{secret.as_uri()}"></object></body></html>'
    )
    pdf = render_pdf(html, url=f"{PORTAL}/c/t/invoices/x.html", paper="A4")
    assert seen == []
    assert "not for the PDF" not in text_of(pdf, tmp_path)


def test_a_site_file_the_page_needs_and_was_not_handed_stops_the_render() -> None:
    html = '<html><head><link rel="stylesheet" href="../../../assets/abc.css"></head></html>'
    with pytest.raises(PdfError, match=r"assets/abc\.css"):
        render_pdf(html, url=f"{PORTAL}/c/t/invoices/x.html", paper="A4", files={})
