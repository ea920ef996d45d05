"""Opaque cursors, one design for every paged route: the state a page stopped at, as JSON
in base64url. What a cursor holds came back from a client, so a route decodes it here and
validates its contents again, as a new query's (inside `cursor_contents`)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

from chalicelib.core.errors import BadRequest
from chalicelib.core.validation import MAX_BODY_DEPTH, RefusedJson, nesting_depth, strict_json

MAX_CURSOR_CHARS = 2048


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
