"""The static site as the CDN serves it: the files of ``public/`` with the same headers.

The headers mirror infra/template.yaml's response-headers policy (the pages'
Content-Security-Policy plus ``frame-ancestors``, no referrer, noindex, nosniff,
no framing), and every answer says ``Cache-Control: no-cache``: pages change
after a payment, so a browser revalidates them, as it does behind CloudFront.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from site_builder.views import content_security_policy

NOT_FOUND = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="robots" content="noindex"><title>Not found</title></head>\n'
    "<body><h1>Not found</h1><p>Nothing is published at this address. Each client's portal "
    "has its own private address: <code>portal serve</code> prints them.</p></body></html>\n"
)


def site_headers(api_url: str, checkout_url: str) -> dict[str, str]:
    """What every answer of the site carries (the CDN's security headers, locally)."""
    return {
        "Content-Security-Policy": (
            f"{content_security_policy(api_url, checkout_url)}; frame-ancestors 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow, noarchive",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
    }


def media_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def resolve(root: Path, path: str) -> Path | None:
    """The file under ``root`` that ``path`` names, or None (hidden, outside, or missing).

    Names starting with a dot are never served: they are the writers' temporary files.
    """
    parts = [p for p in path.split("/") if p]
    if any(p.startswith(".") or "\\" in p or "\x00" in p for p in parts):
        return None
    target = root.joinpath(*parts)
    if path.endswith("/") or not parts or target.is_dir():
        target = target / "index.html"
    try:
        if not target.resolve().is_relative_to(root.resolve()):
            return None
    except OSError:
        return None
    return target if target.is_file() else None


def static_site(root: Path, headers: dict[str, str]) -> Starlette:
    """An ASGI app serving ``root`` (GET and HEAD) with ``headers`` on every answer."""

    async def serve(request: Request) -> Response:
        target = resolve(root, request.path_params["path"])
        if target is None:
            return Response(NOT_FOUND, 404, headers, media_type="text/html; charset=utf-8")
        try:
            body = target.read_bytes()  # pages are small; a re-publish replaces them whole
        except OSError:
            return Response(NOT_FOUND, 404, headers, media_type="text/html; charset=utf-8")
        return Response(body, 200, headers, media_type=media_type(target.name))

    return Starlette(routes=[Route("/{path:path}", serve, methods=["GET"])])  # and HEAD
