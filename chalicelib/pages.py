"""The moderators' dashboard: static files shipped in chalicelib/dashboard/, served by the API."""

from __future__ import annotations

import pathlib
from functools import cache
from urllib.parse import urlsplit

from chalice import Response

from chalicelib.http import NotFound

DASHBOARD = pathlib.Path(__file__).resolve().parent / "dashboard"
CONTENT_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
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
    if name not in CONTENT_TYPES:
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
            "Content-Type": CONTENT_TYPES[name],
            "Content-Security-Policy": policy,
            "Cache-Control": "no-cache",
        },
    )
