"""The PDFs beside a re-published client's documents: rendered where WeasyPrint runs.

A payment (or a boundary day) re-renders a client's pages in a function. Where WeasyPrint and
Pango are importable (``portal serve``, a machine of the agency's) each document whose page
changed gets its PDF anew, as the build would make it, byte for byte. Lambda has neither (the
function zip cannot hold Pango and the fonts: bench/RESULTS.md, "PDF renderer"), so there a
changed document's PDF would show what the page no longer says: it is deleted and its page
carries no "Download PDF" link until the next build makes both again. A document whose page
did not change keeps its PDF and its link. A renderer that fails is never a reason for the
re-publish, and so the payment's work, to fail: the page goes out without its PDF.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date

from functions.site import Site
from site_builder.bundle import Account, ClientBundle
from site_builder.generators import Rendered, render_pages
from site_builder.pdfs import client_paper, page_url, pdf_path, render_document, renderer_missing
from site_builder.render import Theme

log = logging.getLogger(__name__)


def pages_with_pdfs(
    counted: ClientBundle,
    figures: list[Account],
    token: str,
    theme: Theme,
    site: Site,
    held: Mapping[str, str],
    *,
    render: bool | None = None,
) -> tuple[dict[str, bytes], set[str]]:
    """(files to hold: path -> bytes, PDFs held that stay as they are).

    ``held``: what the site holds under the client's prefix (path -> fingerprint).
    ``render``: whether PDFs may be rendered here; None: where WeasyPrint is importable.
    """
    pages = render_pages(counted, figures, token, theme)
    changed = {
        pdf_path(p.path)
        for p in pages
        if p.pdf_dated is not None
        and (held.get(p.path) != site.fingerprint(p.data) or pdf_path(p.path) not in held)
    }
    if render is None:
        render = renderer_missing() is None
    made: dict[str, bytes] = {}
    if render and changed:
        made = _render(counted, theme, [p for p in pages if pdf_path(p.path) in changed])
    missing = changed - set(made)
    if missing:  # those pages again, without a link to a PDF that is not there
        pages = render_pages(counted, figures, token, theme, pdfs=_not_in(missing))
    files = {p.path: p.data for p in pages} | made
    kept = {pdf_path(p.path) for p in pages if p.pdf_dated is not None} - changed
    return files, kept & set(held)


def _not_in(paths: set[str]) -> Callable[[str], bool]:
    return lambda path: path not in paths


def _render(counted: ClientBundle, theme: Theme, documents: list[Rendered]) -> dict[str, bytes]:
    paper = client_paper(counted.client.address, counted.locale)
    made: dict[str, bytes] = {}
    for page in documents:
        dated: date = page.pdf_dated  # type: ignore[assignment]  # documents only
        try:
            made[pdf_path(page.path)] = render_document(
                page.data,
                url=page_url(counted.agency.portal_url, page.path),
                paper=paper,
                css=theme.css,
                theme=theme.folder,
                dated=dated,
            )
        except Exception:  # a bulkhead: the page is published without it, the next build retries
            log.exception("PDF of %s not made; its page goes out without the link", page.path)
    return made
