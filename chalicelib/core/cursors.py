"""Opaque cursors, one design for every paged route: the state a page stopped at, as JSON
in base64url. What a cursor holds came back from a client, so a route reads it back here
with `read_cursor`: the state must hold exactly the parts the route's own cursors hold,
each of its type, and a query it carries (`cursor_query`) only the parameters a fresh
query may name. The route then validates the values again, as a new query's, inside
`cursor_contents`: a cursor the API did not return is a 400, whatever it holds."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

from chalicelib.core.errors import BadRequest
from chalicelib.core.validation import (
    MAX_BODY_DEPTH,
    MAX_PARAM_CHARS,
    RefusedJson,
    clean_text,
    nesting_depth,
    shown,
    strict_json,
)

MAX_CURSOR_CHARS = 2048
# The parameters of a query no cursor carries: the page size comes with each request.
_NOT_CARRIED = ("limit", "cursor")
_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    None: "null",
}


class Part(NamedTuple):
    """One part of a route's cursors: what a message calls it, and the JSON types it has."""

    label: str
    types: tuple[type | None, ...]


def part(label: str, *types: type | None) -> Part:
    return Part(label, types)


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
        state = strict_json(text)
    except (RefusedJson, ValueError, binascii.Error, RecursionError):
        raise BadRequest(message) from None
    if not isinstance(state, dict) or nesting_depth(state) > MAX_BODY_DEPTH:
        raise BadRequest(message)
    return state


@contextmanager
def cursor_contents(name: str = "cursor"):
    """Validate what a cursor holds inside this block: any 400 says the cursor is bad."""
    try:
        yield
    except BadRequest as error:
        raise BadRequest(f"{name} is not one this API returned ({error.message})") from None


def read_cursor(raw: Any, parts: Mapping[str, Part], name: str = "cursor") -> dict[str, Any]:
    """The state a cursor holds, if it has exactly the keys `parts` names (those the route's
    own cursors hold), each of one of its part's types; its values are the route's to check."""
    state = decode_cursor(raw, name)
    with cursor_contents(name):
        _exact_keys(state, set(parts), "not this version's cursor")
        for key, (label, types) in parts.items():
            if not any(_is_a(state[key], kind) for kind in types):
                kinds = " or ".join(_JSON_TYPES[kind] for kind in types)
                raise BadRequest(f"its {label} must be {kinds}")
    return state


def cursor_query(
    params: Any, required: Iterable[str], optional: Iterable[str] = ()
) -> dict[str, str]:
    """The query a cursor carries, checked as a fresh query's string is (`query_params`):
    `required` and `optional` are the parameters a route's cursors put in it, never a limit
    or another cursor (_NOT_CARRIED); each value is text. Call inside `cursor_contents`."""
    if not isinstance(params, dict):
        raise BadRequest("its query must be an object")
    for name in _NOT_CARRIED:
        if name in params:
            raise BadRequest(f"its query holds {name}: no cursor this API returns does")
    _exact_keys(params, set(required), "its query is not one a cursor carries", optional)
    return {
        name: clean_text(value, f"its query's {name}", max_chars=MAX_PARAM_CHARS, strip=False)
        for name, value in params.items()
    }


def _exact_keys(
    value: Mapping[str, Any], required: set[str], message: str, optional: Iterable[str] = ()
) -> None:
    unknown = sorted(set(value) - required - set(optional))
    missing = sorted(required - set(value))
    if unknown or missing:
        details = [
            f"{label} {', '.join(map(shown, names))}"
            for label, names in (("it holds", unknown), ("it lacks", missing))
            if names
        ]
        raise BadRequest(f"{message}: {'; '.join(details)}")


def _is_a(value: Any, kind: type | None) -> bool:
    """JSON's types exactly: true is not a number, nor 2.0 a whole number."""
    return value is None if kind is None else type(value) is kind
