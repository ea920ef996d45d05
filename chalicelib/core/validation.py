"""Values clients send, checked before anything acts on them: one set of helpers for every
route (and for anything else that takes a client's data).

Each helper returns the clean value or raises a BadRequest whose message names the field.
A route declares its body's fields (`core.schema`: `Text`, `Boolean`, `Integer`, `OneOf`,
`ListOf`, `Time`, `ChannelArn`) and reads its body and query string with `api.requests`,
then checks values one by one (`whole_number`, `limit`, `one_of_list`, `channel_arn`,
`identifier` for a path's id; times with `core.times.client_time`). JSON is parsed with
`strict_json`; opaque cursors are `core.cursors`.

The rules are what AWS and Python would otherwise trip on later, as a 5xx or worse a
retryable 503: text that is not valid Unicode (unpaired surrogates) or holds control
characters, digits that are not ASCII (``"١٢".isdigit()`` is true), numbers of thousands
of digits, times whose arithmetic overflows (year 1, year 9999), values longer than AWS
takes (an IVS channel ARN is at most 128 characters), bodies nested without end."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from chalicelib.core.errors import BadRequest
from chalicelib.core.ivs import parse_channel_arn

MAX_BODY_DEPTH = 8  # arrays and objects inside one another, the body itself included
MAX_NUMBER_CHARS = 32  # a longer JSON number is refused before Python converts it
MAX_PARAM_CHARS = 2048  # one query parameter's value
MAX_CURSOR_CHARS = 2048
MAX_CHANNEL_ARN_CHARS = 128  # the IVS API's ChannelArn


# --- JSON, strictly ------------------------------------------------------------------------


class RefusedJson(ValueError):
    """JSON Python would take but we do not: a key given twice, a number too long, NaN."""


def strict_json(text: str) -> Any:
    """`text` parsed as JSON, refusing what `RefusedJson` says (RecursionError when nested
    without end; check `nesting_depth` of the value against MAX_BODY_DEPTH)."""
    return json.loads(
        text,
        object_pairs_hook=_object,
        parse_int=_int,
        parse_float=_float,
        parse_constant=_constant,
    )


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise RefusedJson(f"{shown(key)} is given more than once")
        value[key] = item
    return value


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise RefusedJson(f"a number has more than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if not math.isfinite(value):
        raise RefusedJson(f"a number has more than {MAX_NUMBER_CHARS} characters or is too large")
    return value


def _constant(text: str) -> None:
    raise RefusedJson(f"{text} is not a JSON number")


def nesting_depth(value: Any) -> int:
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


def too_deep() -> str:
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
