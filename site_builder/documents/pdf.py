"""A page's own HTML -> a PDF document, with WeasyPrint: the same template, the same content.

WeasyPrint lays out HTML and CSS itself (Pango for text, HarfBuzz for shaping), with no
browser: a one-page invoice takes about 0.1 s of CPU in a warm process, and it runs where
Lambda's Python runs once Pango and the fonts are beside it (a layer; bench/RESULTS.md says
why and how big). The page's stylesheet applies as printed (``@media print``), then the
theme's ``static/print.css`` and the sheet size.

Byte-stable: the same HTML, theme, fonts and WeasyPrint make the same bytes, so an unchanged
document hashes the same and is not uploaded again. WeasyPrint writes no creation time unless
asked (the one date written is the document's own, given by the caller), its file identifier
is a hash of the content, and attachments carry the document's date, not the clock's. A new
WeasyPrint or font version changes the bytes once, as a theme change does.

Nothing is fetched from the network: the renderer is handed the site's files it may read
(the page's stylesheet, by its path under the site root) and refuses every other address,
as the pages' Content-Security-Policy does in a browser.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from site_builder.documents.paper import Paper
from site_builder.render import DEFAULT_THEME

# PDF/A-3b: the archival profile that accounts departments file, and the one that may carry
# a machine-readable invoice (Factur-X / ZUGFeRD) as an attachment. It embeds every font and
# an sRGB output intent (3 KB), and costs no measurable render time (bench/pdf.py).
VARIANT = "pdf/a-3b"
PRINT_CSS = Path("static") / "print.css"
_SHEET = {"A4": "A4", "Letter": "letter"}  # CSS page size names

Relationship = Literal["Data", "Source", "Alternative", "Supplement", "Unspecified"]


class PdfError(RuntimeError):
    """A document that cannot be rendered here (no Pango, say), with what to do."""


@dataclass(frozen=True)
class Attachment:
    """A file carried inside the PDF (PDF/A-3 allows any), such as a Factur-X XML invoice."""

    name: str
    data: bytes
    description: str = ""
    relationship: Relationship = "Data"


def render_pdf(
    html: str,
    *,
    url: str,
    paper: Paper,
    files: Mapping[str, bytes] | None = None,
    theme: Path = DEFAULT_THEME,
    dated: date | None = None,
    attachments: Sequence[Attachment] = (),
    xmp: Sequence[bytes] = (),
) -> bytes:
    """The PDF of one page.

    ``url`` is the page's own address (``https://portal.example/c/<token>/invoices/X.html``):
    relative links in the page resolve against it, so they work from the PDF too. ``files``
    are the site's files the page may load, by path under the site root
    (``{"assets/<hash>.css": ...}``); the root is the origin of ``url``. ``dated`` is the
    document's date (issue date of an invoice, payment date of a receipt), written as the
    PDF's creation date and the attachments' dates. ``xmp`` are extra XMP packets (the
    Factur-X extension schema, for one).
    """
    wp = _weasyprint()
    fetcher = _site_fetcher()(url, dict(files or {}))
    try:
        document = wp.HTML(
            string=_with_print_css(html, theme, paper), base_url=url, url_fetcher=fetcher
        ).render()
    except wp.urls.FatalURLFetchingError as error:
        raise PdfError(f"{url}: the page loads {error}") from None
    # attachments need a date; without the document's, a fixed one: never the clock's
    when = datetime(dated.year, dated.month, dated.day) if dated else datetime(2000, 1, 1)
    if dated:
        stamp = dated.isoformat()
        document.metadata.created = document.metadata.modified = stamp
    embedded = [
        wp.Attachment(
            string=a.data,
            name=a.name,
            description=a.description or None,
            relationship=a.relationship,
            created=when,
            modified=when,
        )
        for a in attachments
    ]
    return document.write_pdf(
        pdf_variant=VARIANT,
        attachments=embedded or None,
        xmp_metadata=list(xmp) or None,
    )


def _weasyprint() -> Any:
    """WeasyPrint, imported on first use.

    Its import loads Pango through cffi (about 0.3 s): modules that never render a PDF,
    such as the functions' health check, must not pay for it on a cold start.
    """
    try:
        import weasyprint
    except OSError as error:  # the Python package is there, its native libraries are not
        raise PdfError(
            f"PDF documents need Pango ({error}); on Debian: apt-get install "
            "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-cjk; "
            "on Lambda: the PDF layer (bench/RESULTS.md, 'PDF renderer')"
        ) from None
    return weasyprint


def _with_print_css(html: str, theme: Path, paper: Paper) -> str:
    """The page with the print sheet and the paper size last in its head.

    Last among the page's own (author) stylesheets, so its rules win over the page's as a
    linked print sheet would in a browser; WeasyPrint's ``stylesheets=`` are user sheets,
    which every author rule overrides.
    """
    style = f"<style>{_print_css(theme)}\n@page {{ size: {_SHEET[paper]}; }}</style>"
    head_end = html.find("</head>")
    if head_end < 0:
        return style + html
    return html[:head_end] + style + html[head_end:]


@cache
def _print_css(theme: Path) -> str:
    # read once per process: the build renders many documents with one theme
    return (theme / PRINT_CSS).read_text(encoding="utf-8").replace("</", "<\\/")


@cache
def _site_fetcher() -> type:
    """WeasyPrint's fetcher, narrowed to the page's own site files (made on first use)."""
    wp = _weasyprint()

    class SiteFetcher(wp.urls.URLFetcher):  # type: ignore[misc, name-defined]
        """Serves the page's own site files from memory and refuses every other address.

        A build renders pages of content it did not write (client names, Markdown notes); a
        renderer that follows any URL could be made to read local files or call the network.
        Only ``data:`` URLs go to WeasyPrint's own fetcher.
        """

        def __init__(self, url: str, files: dict[str, bytes]) -> None:
            super().__init__(allowed_protocols={"data"})
            parts = urlsplit(url)
            self._root = f"{parts.scheme}://{parts.netloc}/"
            self._files = files

        def fetch(self, url: str, headers: object = None) -> Any:
            resolved = urljoin(self._root, url)
            if resolved.startswith(self._root):
                path = urlsplit(resolved).path.lstrip("/")
                if path not in self._files:
                    # the page needs it and the caller did not hand it: the PDF would not
                    # look like the page, so this stops the render instead of warning
                    raise wp.urls.FatalURLFetchingError(f"{path} (not among the site files)")
                kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return wp.urls.URLFetcherResponse(
                    resolved, body=self._files[path], headers={"Content-Type": kind}
                )
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"not loaded in a PDF: {url}")  # as the pages' CSP refuses it

    return SiteFetcher
