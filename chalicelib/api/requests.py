"""A request's body and query string, checked before a route reads them: 413 for a body over
MAX_BODY_BYTES, 415 for one that is not JSON, 400 for malformed JSON or parameters."""

from __future__ import annotations

import binascii
from collections.abc import Iterable
from typing import Any

from chalicelib.core.errors import BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from chalicelib.core.validation import (
    MAX_BODY_DEPTH,
    RefusedJson,
    clean_text,
    nesting_depth,
    shown,
    strict_json,
    too_deep,
)

MAX_BODY_BYTES = 16 * 1024
MAX_PARAM_CHARS = 2048  # one query parameter's value


def body_bytes(request: Any) -> bytes:
    """The request's raw body; 413 when it is longer than MAX_BODY_BYTES."""
    try:
        raw = request.raw_body
    except (ValueError, binascii.Error):  # a base64 body that does not decode
        raise BadRequest("the body could not be read") from None
    raw = raw.encode() if isinstance(raw, str) else bytes(raw)
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    return raw


def json_body(request: Any, *, required: bool = True) -> dict[str, Any] | None:
    """The request's body, a JSON object; None when there is none and none is `required`."""
    raw = body_bytes(request)
    if not raw:
        if required:
            raise BadRequest("the body must be a JSON object")
        return None
    _require_json(request.headers.get("content-type"))
    try:
        value = strict_json(raw.decode("utf-8"))
    except RefusedJson as error:
        raise BadRequest(f"the body is not acceptable JSON: {error}") from None
    except RecursionError:
        raise BadRequest(too_deep()) from None
    except ValueError:  # UnicodeDecodeError included
        raise BadRequest("the body is not valid JSON (UTF-8)") from None
    if nesting_depth(value) > MAX_BODY_DEPTH:
        raise BadRequest(too_deep())
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object")
    return value


def query_params(request: Any, allowed: Iterable[str]) -> dict[str, str]:
    """The query string as single values; 400 for a parameter unknown, repeated or not text."""
    params = request.query_params or {}
    allowed = set(allowed)
    unknown = sorted(name for name in params if name not in allowed)
    if unknown:
        raise BadRequest(f"unknown parameter(s): {', '.join(map(shown, unknown))}")
    values = {}
    for name in params:
        many = params.getlist(name) if hasattr(params, "getlist") else [params[name]]
        if len(many) != 1:
            raise BadRequest(f"{name} is given more than once")
        values[name] = clean_text(many[0], name, max_chars=MAX_PARAM_CHARS, strip=False)
    return values


def _require_json(content_type: str | None) -> None:
    media, _, parameters = (content_type or "").partition(";")
    charsets = [
        value.strip().strip('"').lower()
        for key, _, value in (p.partition("=") for p in parameters.split(";") if p.strip())
        if key.strip().lower() == "charset"
    ]
    others = [p for p in parameters.split(";") if p.strip() and "=" not in p]
    if media.strip().lower() != "application/json" or others or charsets not in ([], ["utf-8"]):
        raise UnsupportedMediaType("send the body as JSON: Content-Type: application/json")


def valid_incident_id(incident_id: str) -> None:
    """404 for a path's incident id that no incident can have (24 lower-case hex digits)."""
    if not (len(incident_id) == 24 and all(c in "0123456789abcdef" for c in incident_id)):
        raise NotFound(f"no such incident: {incident_id[:40]}")
