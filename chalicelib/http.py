"""HTTP errors and CORS for the moderator API.

Errors use Chalice's own body shape, ``{"Code": ..., "Message": ...}``, so a client sees
one format whether Chalice or we rejected a request. They derive from
ChaliceUnhandledError, which Chalice hands to middleware instead of turning into a 500:
the middleware in app.py makes them responses, with headers (Retry-After, CORS).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from chalice import ChaliceUnhandledError, Response


class ApiError(ChaliceUnhandledError):
    status_code = 500
    code = "InternalServerError"

    def __init__(self, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return Response(
            body={"Code": self.code, "Message": self.message},
            status_code=self.status_code,
            headers=self.headers,
        )


class BadRequest(ApiError):
    status_code, code = 400, "BadRequestError"


class Unauthorized(ApiError):
    status_code, code = 401, "UnauthorizedError"

    def __init__(self, message: str) -> None:
        super().__init__(message, {"WWW-Authenticate": 'Bearer realm="ivs-moderation"'})


class Forbidden(ApiError):
    status_code, code = 403, "ForbiddenError"


class NotFound(ApiError):
    status_code, code = 404, "NotFoundError"


class Conflict(ApiError):
    status_code, code = 409, "ConflictError"


class ServiceUnavailable(ApiError):
    status_code, code = 503, "ServiceUnavailableError"

    def __init__(self, message: str, retry_after_seconds: int = 5) -> None:
        super().__init__(message, {"Retry-After": str(retry_after_seconds)})


class ServerError(ApiError):
    """A known failure on our side (misconfiguration): said plainly, not a bare 500."""


def json_object(body: Any) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object (Content-Type: application/json)")
    return body


CORS_METHODS = "GET,POST,OPTIONS"
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
