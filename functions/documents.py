"""A document's PDF for an email, rendered from its page as the build renders it.

The one switch for attachments: where this process has no renderer (Lambda today: WeasyPrint
with Pango and the fonts does not fit the zip), ``page_pdf`` gives None and the email links
the PDF the build put beside the page instead. A Lambda layer with WeasyPrint turns them on.
"""

from __future__ import annotations

from datetime import date

from site_builder.bundle import Account, ClientBundle
from site_builder.generators import render_portal
from site_builder.pdfs import client_paper, page_url, render_document, renderer_missing
from site_builder.render import Theme


def page_pdf(
    bundle: ClientBundle,
    figures: list[Account],
    token: str,
    page: str,
    dated: date,
    theme: Theme,
) -> bytes | None:
    """The PDF of the portal's ``page`` (``c/<token>/invoices/<n>.html``), dated ``dated``
    as the build dates it; None without a renderer here, or when the portal has no such page."""
    if renderer_missing() is not None:
        return None
    html = dict(render_portal(bundle, figures, token, theme)).get(page)
    if html is None:
        return None
    return render_document(
        html,
        url=page_url(bundle.agency.portal_url, page),
        paper=client_paper(bundle.client.address, bundle.locale),
        css=theme.css,
        theme=theme.folder,
        dated=dated,
    )
