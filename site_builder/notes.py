"""Thank-you notes: Markdown rendered, then sanitised with an allow-list."""

from __future__ import annotations

import markdown
import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr",
    "i", "li", "ol", "p", "pre", "strong", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
_URL_SCHEMES = {"https", "http", "mailto"}


_MARKDOWN = markdown.Markdown(extensions=["sane_lists"], output_format="html")


def render_markdown(text: str) -> str:
    """Safe HTML from a note's Markdown: no script, style, handler or foreign scheme."""
    # one converter, reset between notes: building one costs more than converting a note
    html = _MARKDOWN.reset().convert(text)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
