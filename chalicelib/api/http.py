"""What every HTTP response goes through: errors as answers, CORS for the dashboard's origins,
security headers, and the body size limit."""

from __future__ import annotations

from collections.abc import Callable, Collection

from chalice import Response

from chalicelib import dependencies
from chalicelib.api.requests import body_bytes
from chalicelib.core.errors import ApiError, Forbidden


def api_errors_and_cors(event, get_response: Callable) -> Response:
    """ApiErrors as responses; CORS for the dashboard's origins; security headers on all."""
    cors = cors_headers(event.headers.get("origin"), dependencies.settings().dashboard_origins)
    if event.method == "OPTIONS":  # a CORS preflight: answered here, for allowed origins only
        refused = Forbidden("this origin may not call the API").response()
        response = Response(body="", status_code=204, headers=cors) if cors else refused
    else:
        try:
            body_bytes(event)  # 413 for a body too large, on every route, before it is read
            response = get_response(event)
        except ApiError as error:
            response = error.response()
        response.headers.update(cors)
    return with_security_headers(response)


CORS_METHODS = "GET,POST,PUT,DELETE,OPTIONS"  # PUT, DELETE: blocked terms, policies
CORS_HEADERS = "Authorization,Content-Type"


def cors_headers(origin: str | None, allowed: Collection[str]) -> dict[str, str]:
    """Headers that let `origin` read the response, when it is an allowed dashboard origin."""
    if not origin or origin not in allowed:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": CORS_HEADERS,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


# On every response. HSTS: only HTTPS from now on (browsers ignore it over plain HTTP, as
# under `chalice local`); no Referer leaves the dashboard (thumbnail links are presigned);
# the dashboard uses no camera, microphone, location, payment or USB.
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "X-Content-Type-Options": "nosniff",
}
# Responses that do not set their own (the dashboard's files do): JSON is never a document
# to render or frame, and what the API answers (chat tokens, frame links) is not cached.
API_DEFAULTS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def with_security_headers(response: Response) -> Response:
    """The response with the security headers it does not set itself."""
    present = {name.lower() for name in response.headers}
    for name, value in {**SECURITY_HEADERS, **API_DEFAULTS}.items():
        if name.lower() not in present:
            response.headers[name] = value
    return response
