"""What clients send, checked before anything acts on it: one set of helpers for every route.

Each helper returns the clean value or raises an ApiError whose message names the field:
400 for a malformed value, 413 for a body over MAX_BODY_BYTES, 415 for a body that is not
JSON. A route declares its body's fields (`fields` with `Text`, `Boolean`, `Integer`,
`OneOf`, `ListOf`, `Time`, `ChannelArn`) and checks its query string with `query_params`,
then the values one by one (`whole_number`, `limit`, `one_of_list`, `iso_time`,
`time_window`, `channel_arn`, `identifier` for a path's id). Opaque cursors are
`encode_cursor` / `decode_cursor`; what a cursor holds came from a client, so the route
validates it again with these same helpers (inside `cursor_contents`).

The rules are what AWS and Python would otherwise trip on later, as a 5xx or worse a
retryable 503: text that is not valid Unicode (unpaired surrogates) or holds control
characters, digits that are not ASCII (``"١٢".isdigit()`` is true), numbers of thousands
of digits, times whose arithmetic overflows (year 1, year 9999), values longer than AWS
takes (an IVS channel ARN is at most 128 characters), bodies nested without end.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from chalicelib.core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from chalicelib.core.ivs import parse_channel_arn

MAX_BODY_BYTES = 16 * 1024
MAX_BODY_DEPTH = 8  # arrays and objects inside one another, the body itself included
MAX_NUMBER_CHARS = 32  # a longer JSON number is refused before Python converts it
MAX_PARAM_CHARS = 2048  # one query parameter's value
MAX_CURSOR_CHARS = 2048
MAX_CHANNEL_ARN_CHARS = 128  # the IVS API's ChannelArn
# Times outside these bounds are refused: no window, offset or day arithmetic can overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


# --- the request --------------------------------------------------------------------------


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
        value = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_object,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except _Refused as error:
        raise BadRequest(f"the body is not acceptable JSON: {error}") from None
    except RecursionError:
        raise BadRequest(_too_deep()) from None
    except ValueError:  # UnicodeDecodeError included
        raise BadRequest("the body is not valid JSON (UTF-8)") from None
    if _depth(value) > MAX_BODY_DEPTH:
        raise BadRequest(_too_deep())
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


class _Refused(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise _Refused(f"{shown(key)} is given more than once")
        value[key] = item
    return value


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number has more than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if not math.isfinite(value):
        raise _Refused(f"a number has more than {MAX_NUMBER_CHARS} characters or is too large")
    return value


def _constant(text: str) -> None:
    raise _Refused(f"{text} is not a JSON number")


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (0 for a scalar); iterative."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_BODY_DEPTH:
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep() -> str:
    return f"the body is nested too deeply: at most {MAX_BODY_DEPTH} levels of arrays and objects"


# --- text ---------------------------------------------------------------------------------

_LINE_BREAKS = frozenset("\n\r\t")


def clean_text(
    value: Any, name: str, *, max_chars: int, multiline: bool = False, strip: bool = True
) -> str:
    """A string that is valid Unicode, without control characters, at most `max_chars` long."""
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    if len(value) > max_chars:
        raise BadRequest(f"{name} is longer than {max_chars} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{name} is not valid Unicode text (an unpaired surrogate)") from None
    if not value.isprintable():  # fast path: most text is printable
        allowed = _LINE_BREAKS if multiline else frozenset()
        if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
            but = " other than line breaks and tabs" if multiline else ""
            raise BadRequest(f"{name} must not contain control characters{but}")
    return value.strip() if strip else value


def shown(name: str) -> str:
    """A client-given name, safe and short enough to quote in a message."""
    if re.fullmatch(r"[A-Za-z0-9_.:-]{1,40}", name):
        return name
    return json.dumps(name[:40])


# --- numbers, choices, times --------------------------------------------------------------


def whole_number(raw: str, name: str, *, minimum: int, maximum: int) -> int:
    """A whole number written in ASCII digits, from `minimum` to `maximum`."""
    message = f"{name} must be a whole number from {minimum} to {maximum}"
    if not (isinstance(raw, str) and re.fullmatch(r"[0-9]{1,18}", raw)):
        raise BadRequest(message)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise BadRequest(message)
    return value


def limit(raw: str | None, *, default: int, maximum: int, name: str = "limit") -> int:
    """A page size from 1 to `maximum`; `default` when not given."""
    return default if raw is None else whole_number(raw, name, minimum=1, maximum=maximum)


def one_of_list(raw: str, name: str, allowed: Iterable[str]) -> tuple[str, ...]:
    """A comma-separated list of `allowed` values, in `allowed`'s order, without repeats."""
    allowed = tuple(allowed)
    parts = [part.strip() for part in raw.split(",")]
    if not parts or any(part not in allowed for part in parts):
        raise BadRequest(f"{name} must be a comma-separated list of {', '.join(allowed)}")
    return tuple(value for value in allowed if value in parts)


_ISO_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<zone>[Zz]|(?P<sign>[+-])(?P<zone_hours>[0-9]{2}):(?P<zone_minutes>[0-9]{2}))?"
)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_time(raw: Any, name: str) -> datetime:
    """An ISO-8601 (RFC 3339) time with its zone, from EARLIEST to LATEST, in UTC."""
    example = "e.g. 2026-11-21T10:00:00Z"
    match = _ISO_TIME.fullmatch(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    if match is None:
        hint = " (in a URL, write + as %2B)" if isinstance(raw, str) and " " in raw else ""
        raise BadRequest(f"{name} must be an ISO-8601 time, {example}{hint}")
    if match["zone"] is None:
        raise BadRequest(f"{name} must say its time zone, {example}")
    bounds = f"{name} must be from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
    if not EARLIEST.year <= int(match["year"]) <= LATEST.year:
        raise BadRequest(bounds)
    offset = timedelta(0)
    if match["sign"]:
        offset = timedelta(hours=int(match["zone_hours"]), minutes=int(match["zone_minutes"]))
        if match["sign"] == "-":
            offset = -offset
    try:
        value = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            int((match["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=timezone(offset),
        ).astimezone(UTC)
    except ValueError:  # month 13, 30 February, hour 24, an offset of a day or more
        raise BadRequest(f"{name} is not a time on the calendar, {example}") from None
    if not EARLIEST <= value <= LATEST:
        raise BadRequest(bounds)
    return value


def day(raw: Any, name: str) -> date:
    """A UTC day, YYYY-MM-DD, from EARLIEST to LATEST."""
    if not (isinstance(raw, str) and _DAY.fullmatch(raw)):
        raise BadRequest(f"{name} must be a day, YYYY-MM-DD")
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} is not a day on the calendar") from None
    if not EARLIEST.date() <= value <= LATEST.date():
        raise BadRequest(f"{name} must be from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}")
    return value


def time_window(
    start: datetime | None,
    end: datetime | None,
    *,
    now: datetime,
    default_span: timedelta,
    max_span: timedelta | None = None,
    names: tuple[str, str] = ("from", "to"),
    span_hint: str = "",
) -> tuple[datetime, datetime]:
    """`start`..`end` (times from `iso_time`), defaulting to the `default_span` before now."""
    end = end if end is not None else min(now, LATEST)
    start = start if start is not None else end - default_span
    if start > end:
        raise BadRequest(f"{names[0]} must not be after {names[1]}")
    if max_span is not None and end - start > max_span:
        days = max_span / timedelta(days=1)
        raise BadRequest(
            f"the window from {names[0]} to {names[1]} is at most {days:g} days{span_hint}"
        )
    return start, end


def identifier(value: Any, name: str, *, max_chars: int = 64) -> str:
    """An id this API made (an audit's, an incident's): ASCII letters, digits, `_` and `-`."""
    if not (
        isinstance(value, str)
        and len(value) <= max_chars
        and re.fullmatch(r"[A-Za-z0-9_-]+", value)
    ):
        raise BadRequest(f"{name} must be an id: 1 to {max_chars} letters, digits, _ or -")
    return value


def channel_arn(value: Any, name: str = "channelArn") -> str:
    """An IVS channel ARN, arn:aws:ivs:REGION:ACCOUNT:channel/ID, as IVS takes it."""
    if isinstance(value, str) and len(value) > MAX_CHANNEL_ARN_CHARS:
        raise BadRequest(f"{name} is longer than {MAX_CHANNEL_ARN_CHARS} characters")
    if not (
        isinstance(value, str)
        and value.isascii()
        and value.isprintable()  # parse_channel_arn's `$` would let a final newline through
        and parse_channel_arn(value) is not None
    ):
        raise BadRequest(
            f"{name} must be an IVS channel ARN: arn:aws:ivs:REGION:ACCOUNT:channel/ID"
        )
    return value


# --- cursors ------------------------------------------------------------------------------


def encode_cursor(state: Mapping[str, Any]) -> str:
    """An opaque cursor holding `state` (JSON): base64url, without padding."""
    text = json.dumps(state, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(raw: Any, name: str = "cursor") -> dict[str, Any]:
    """The state a cursor holds, as a client sent it back: validate it before use."""
    message = f"{name} is not one this API returned"
    if not (
        isinstance(raw, str)
        and len(raw) <= MAX_CURSOR_CHARS
        and re.fullmatch(r"[A-Za-z0-9_-]+", raw)
    ):
        raise BadRequest(message)
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
        state = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except (ValueError, binascii.Error, RecursionError):
        raise BadRequest(message) from None
    if not isinstance(state, dict) or _depth(state) > MAX_BODY_DEPTH:
        raise BadRequest(message)
    return state


@contextmanager
def cursor_contents(name: str = "cursor"):
    """Validate what a cursor holds inside this block: any 400 says the cursor is bad."""
    try:
        yield
    except BadRequest as error:
        raise BadRequest(f"{name} is not one this API returned ({error.message})") from None
