"""The PDF beside each document page (invoice, receipt, statement), made only when it changed.

A document page is a ``views.Page`` with ``pdf_dated`` set; its PDF is ``<page>.pdf`` beside
``<page>.html``, rendered from the page's own HTML by ``documents.pdf.render_pdf``.

Rendering costs 0.1-0.2 s of CPU a document, so PDFs are cached by what makes their bytes:
the page's HTML, its address (links in the PDF point to it), the sheet, the document's date,
and the renderer (WeasyPrint's and its PDF writer's versions, the print sheet, this code). The
cache lives in ``build/pdfs/<client-id>/<key>.pdf`` (private, never published); an unchanged
page finds its PDF there whatever else the build re-made (a code change that forces a full
build, another client's edit), and most builds render none. Fonts are not in the key: after a
font package upgrade, delete ``build/pdfs`` (or build with ``--force`` and a new cache).

Each client's folder keeps only the PDFs its last rendering used, so the cache holds one
copy of each current document and no history.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from site_builder.documents import Paper, country_of, paper_for
from site_builder.documents.pdf import PRINT_CSS, PdfError, render_pdf
from site_builder.render import Asset
from site_builder.writer import digest, write_atomic

CACHE_ENV = "PORTAL_PDF_CACHE"  # another cache folder (tests share one across their builds)
CACHE_DIR = "pdfs"  # under build/
PARALLEL_FROM = 4  # PDFs to render; below this, worker start-up costs more than it saves
_CODE = Path(__file__).resolve().parent / "documents" / "pdf.py"


def pdf_path(page: str) -> str:
    """``c/<token>/invoices/X.html`` -> ``c/<token>/invoices/X.pdf``."""
    return page.removesuffix(".html") + ".pdf"


def client_paper(address: Sequence[str] | None, locale: str) -> Paper:
    """A4 or Letter, by the country the client's address (or else its locale) names."""
    return paper_for(country_of(address, locale))


def page_url(portal_url: str, page: str) -> str:
    """A page's address: relative links in the page resolve against it, in the PDF too."""
    return f"{portal_url.rstrip('/')}/{page}"


@cache
def renderer_missing() -> str | None:
    """Why PDFs cannot be rendered in this process (Lambda has no WeasyPrint), or None.

    Importing WeasyPrint costs ~0.3 s; only a process about to render pays it, once.
    """
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        return "WeasyPrint is not installed here"
    except OSError as error:  # the package is there, Pango is not
        return f"WeasyPrint cannot load Pango ({error})"
    return None


@cache
def renderer_key(theme: Path) -> str:
    """What, besides a page, decides a PDF's bytes: a new one re-renders every document."""
    h = hashlib.sha256()
    for package in ("weasyprint", "pydyf", "fonttools"):
        try:
            h.update(f"{package}={importlib.metadata.version(package)};".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{package}=none;".encode())
    for path in (theme / PRINT_CSS, _CODE):
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()


def document_key(html: bytes, url: str, paper: Paper, dated: date, theme: Path) -> str:
    h = hashlib.sha256(f"{renderer_key(theme)}|{url}|{paper}|{dated.isoformat()}|".encode())
    h.update(html)
    return h.hexdigest()


def render_document(
    html: str | bytes, *, url: str, paper: Paper, css: Asset, theme: Path, dated: date
) -> bytes:
    """One document page's PDF (no cache). What a statement or an email attachment calls.

    ``url`` is the page's address (``page_url``); ``css`` the theme's stylesheet the page
    loads (``Theme.css``); ``dated`` the document's own date (issue, payment, statement day).
    Raises ``PdfError`` where WeasyPrint cannot run.
    """
    text = html.decode("utf-8") if isinstance(html, bytes) else html
    return render_pdf(
        text, url=url, paper=paper, files={css.path: css.data}, theme=theme, dated=dated
    )


class PdfCache:
    """Rendered PDFs by key, one folder per client (private: under ``build/``)."""

    def __init__(self, folder: Path, *, shared: bool = False) -> None:
        self.folder = folder
        self.shared = shared  # other builds use it too: never swept of clients it does not know

    @classmethod
    def for_build(cls, build_dir: Path) -> PdfCache:
        if elsewhere := os.environ.get(CACHE_ENV):
            return cls(Path(elsewhere), shared=True)
        return cls(build_dir / CACHE_DIR)

    def path(self, client_id: str, key: str) -> Path:
        return self.folder / client_id / f"{key}.pdf"

    def get(self, client_id: str, key: str) -> bytes | None:
        try:
            return self.path(client_id, key).read_bytes()
        except OSError:
            return None

    def put(self, client_id: str, key: str, data: bytes) -> None:
        write_atomic(self.path(client_id, key), data)  # two builds sharing a cache never tear

    def keep(self, client_id: str, keys: Iterable[str]) -> None:
        """Forget the client's PDFs its pages no longer make."""
        kept = {f"{k}.pdf" for k in keys}
        folder = self.folder / client_id
        for entry in os.scandir(folder) if folder.is_dir() else ():
            if entry.name not in kept and entry.name.endswith(".pdf"):
                Path(entry.path).unlink(missing_ok=True)

    def drop(self, client_ids: Iterable[str]) -> None:
        for client_id in client_ids:
            shutil.rmtree(self.folder / client_id, ignore_errors=True)

    def sweep(self, client_ids: Iterable[str]) -> None:
        """Forget every client but these (a full build: its manifest named no one gone)."""
        keep = set(client_ids)
        for entry in os.scandir(self.folder) if self.folder.is_dir() else ():
            if entry.is_dir() and entry.name not in keep:
                shutil.rmtree(entry.path, ignore_errors=True)


@dataclass(frozen=True)
class Pending:
    """A document whose PDF the cache does not hold: its page is staged, its PDF not yet."""

    client_id: str
    page: str  # path under the site root of the staged HTML page
    url: str
    paper: Paper
    dated: date
    key: str


@dataclass(frozen=True)
class _Renderer:
    public: Path  # the staging area's public/, where the pages are and the PDFs go
    cache: PdfCache
    css: Asset
    theme: Path


_RENDERER: _Renderer | None = None  # set before the worker processes fork


def _render_one(item: tuple[int, Pending]) -> tuple[int, str]:
    index, job = item
    assert _RENDERER is not None
    r = _RENDERER
    html = (r.public / job.page).read_bytes()
    data = render_document(
        html, url=job.url, paper=job.paper, css=r.css, theme=r.theme, dated=job.dated
    )
    write_atomic(r.public / pdf_path(job.page), data)
    r.cache.put(job.client_id, job.key, data)
    return index, digest(data)


def render_pending(
    pending: Sequence[Pending],
    *,
    public: Path,
    cache: PdfCache,
    css: Asset,
    theme: Path,
    workers: int,
    tick: Callable[[int], None] | None = None,
) -> list[str]:
    """Render each pending PDF beside its staged page and into the cache; their digests.

    Several are spread over worker processes (forked: they inherit the list); each writes its
    own files, so only (index, digest) pairs come back. Raises ``PdfError`` where WeasyPrint
    cannot run: a build that would publish links to PDFs it cannot make stops, and says why.
    """
    global _RENDERER
    if not pending:
        return []
    if reason := renderer_missing():
        raise PdfError(
            f"{reason}: PDF documents need WeasyPrint and Pango (`make pdf-tools`), "
            "or build without them (`build(..., pdfs=False)`)"
        )
    _RENDERER = _Renderer(public, cache, css, theme)
    digests = [""] * len(pending)
    try:
        items = list(enumerate(pending))
        if workers < 2 or len(pending) < PARALLEL_FROM:
            for item in items:
                index, sha = _render_one(item)
                digests[index] = sha
                if tick:
                    tick(1)
            return digests
        with multiprocessing.get_context("fork").Pool(min(workers, len(pending))) as pool:
            for index, sha in pool.imap_unordered(_render_one, items, chunksize=1):
                digests[index] = sha
                if tick:
                    tick(1)
        return digests
    finally:
        _RENDERER = None
