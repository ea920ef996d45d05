"""The failures a caller is told, as HTTP errors (the API's answers; services raise them too).

Errors use Chalice's own body shape, ``{"Code": ..., "Message": ...}``, so a client sees
one format whether Chalice or we rejected a request. They derive from
ChaliceUnhandledError, which Chalice hands to middleware instead of turning into a 500:
the API's middleware (api/http.py) makes them responses, with headers (Retry-After, CORS).

A 503 (with Retry-After) means "try again": only throttling and outages. A request AWS
rejects as invalid will be rejected again, so it is a 400.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
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


class PayloadTooLarge(ApiError):
    status_code, code = 413, "RequestEntityTooLargeError"


class UnsupportedMediaType(ApiError):
    status_code, code = 415, "UnsupportedMediaType"  # Chalice's own code for a 415


class ServiceUnavailable(ApiError):
    status_code, code = 503, "ServiceUnavailableError"

    def __init__(self, message: str, retry_after_seconds: int = 5) -> None:
        super().__init__(message, {"Retry-After": str(retry_after_seconds)})


class ServerError(ApiError):
    """A known failure on our side (misconfiguration): said plainly, not a bare 500."""


# Error codes AWS services use when a request is refused for its rate, or is malformed.
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
INVALID_CODES = frozenset(
    {
        "ValidationException",
        "ValidationError",
        "InvalidParameterException",
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "SerializationException",
    }
)


def aws_error(error: Exception, service: str, context: str = "") -> ApiError:
    """What to tell the client when `service` (e.g. "the decision log") failed with `error`.

    Throttling and outages are 503 with Retry-After; a request the service rejected as
    invalid (or botocore refused to send: a wrong parameter, text it cannot encode) is
    400, since sending it again cannot help; anything else is a plain 500.
    """
    prefix = f"{context}: " if context else ""
    if isinstance(error, (ParamValidationError, UnicodeError)):
        return BadRequest(f"{prefix}{service} cannot take this request: it holds invalid values")
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in THROTTLING_CODES or status == 429:
            return ServiceUnavailable(f"{prefix}{service} is throttling requests: try again")
        if code in INVALID_CODES:
            return BadRequest(f"{prefix}{service} rejected the request as invalid")
        if isinstance(status, int) and status >= 500:
            return ServiceUnavailable(f"{prefix}{service} is unavailable: try again")
        return ServerError(f"{prefix}{service} failed: {code or 'unknown error'}")
    if isinstance(error, BotoCoreError):
        return ServiceUnavailable(f"{prefix}{service} could not be reached: try again")
    return ServerError(f"{prefix}{service} failed")
