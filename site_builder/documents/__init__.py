"""Documents on paper: the PDF beside each invoice, receipt and statement page.

``paper`` holds the pure rules (which sheet a client's country uses); ``pdf`` turns a page's
own HTML into a PDF with WeasyPrint. ``pdf`` imports WeasyPrint only when a document is
rendered, so a module that imports this package (the functions' health check among them)
pays nothing for it at start-up.
"""

from __future__ import annotations

from site_builder.documents.paper import Paper, country_of, paper_for

__all__ = ["Paper", "country_of", "paper_for"]
