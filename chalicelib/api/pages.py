"""The moderators' dashboard: static files shipped in chalicelib/dashboard/, served by the API."""

from __future__ import annotations

import pathlib
from functools import cache
from urllib.parse import urlsplit

from chalice import Response

from chalicelib.core.errors import NotFound

DASHBOARD = pathlib.Path(__file__).resolve().parent.parent / "dashboard"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


@cache
def _files() -> dict[str, str]:
    """The files that may be served: flat names in DASHBOARD (no paths), with their types."""
    return {
        p.name: CONTENT_TYPES[p.suffix] for p in DASHBOARD.iterdir() if p.suffix in CONTENT_TYPES
    }


@cache
def _read(name: str) -> str:
    return (DASHBOARD / name).read_text()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def dashboard_file(name: str, *, connect: list[str], images: list[str]) -> Response:
    """One of the dashboard's files, with a Content-Security-Policy naming what it may reach.

    The headers every response carries (nosniff, HSTS, ...) are added by the API's middleware.
    """
    if name not in _files():
        raise NotFound(f"no such file: {name}")
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {' '.join(sorted(set(images)))}",
            f"connect-src 'self' {' '.join(sorted(set(connect)))}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return Response(
        body=_read(name),
        status_code=200,
        headers={
            "Content-Type": _files()[name],
            "Content-Security-Policy": policy,
            "Cache-Control": "no-cache",
        },
    )
