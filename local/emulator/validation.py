"""Request validation against botocore's service models, as the AWS front end does it.

botocore checks types and required members before sending, but not maximum lengths,
ranges, enums or patterns: without this, a request the real service rejects (a 101-char
eventName, a 181-minute chat session, a malformed ARN) would succeed locally. Messages
follow the AWS wording ("1 validation error detected: Value ... at ... failed to satisfy
constraint: ...") so logs read the same as in the cloud.

Blob lengths are left to the operation: services answer oversized payloads with their
own errors (Rekognition: ImageTooLargeException), not with a validation error.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.model import Shape

REDACTED = "*** Sensitive Data Redacted ***"


@dataclass(frozen=True)
class Violation:
    path: str
    constraint: str
    value: Any = None
    sensitive: bool = False

    def describe(self) -> str:
        if self.sensitive:
            value = REDACTED
        elif self.value is None:
            value = "null"
        else:
            value = f"'{self.value}'"
        return f"Value {value} at '{self.path}' failed to satisfy constraint: {self.constraint}"


def describe(found: list[Violation]) -> str:
    count = len(found)
    plural = "s" if count > 1 else ""
    details = "; ".join(violation.describe() for violation in found)
    return f"{count} validation error{plural} detected: {details}"


def violations(shape: Shape, value: Any, path: str = "") -> list[Violation]:
    """Every constraint of `shape` that `value` (parsed JSON) breaks."""
    check = _CHECKS.get(shape.type_name)
    return check(shape, value, path) if check else []


def _structure(shape: Shape, value: Any, path: str) -> list[Violation]:
    if not isinstance(value, dict):
        return [_wrong_type(shape, value, path, "a structure")]
    found = [
        Violation(_join(path, name), "Member must not be null")
        for name in shape.required_members
        if value.get(name) is None
    ]
    for name, member in shape.members.items():
        if value.get(name) is not None:
            found += violations(member, value[name], _join(path, name))
    return found


def _list(shape: Shape, value: Any, path: str) -> list[Violation]:
    if not isinstance(value, list):
        return [_wrong_type(shape, value, path, "a list")]
    found = _bounds(shape, len(value), value, path, "length")
    for index, item in enumerate(value, 1):
        found += violations(shape.member, item, f"{path}.{index}.member")
    return found


def _map(shape: Shape, value: Any, path: str) -> list[Violation]:
    if not isinstance(value, dict):
        return [_wrong_type(shape, value, path, "a map")]
    found = _bounds(shape, len(value), value, path, "length")
    for key, item in value.items():
        found += violations(shape.key, key, f"{path}.key")
        found += violations(shape.value, item, f"{path}.{key}")
    return found


def _string(shape: Shape, value: Any, path: str) -> list[Violation]:
    if not isinstance(value, str):
        return [_wrong_type(shape, value, path, "a string")]
    found = _bounds(shape, len(value), value, path, "length")
    if shape.enum and value not in shape.enum:
        enum = ", ".join(shape.enum)
        found.append(
            _violation(shape, value, path, f"Member must satisfy enum value set: [{enum}]")
        )
    pattern = _pattern(shape.metadata.get("pattern", ""))
    if pattern and not pattern.fullmatch(value):
        constraint = f"Member must satisfy regular expression pattern: {pattern.pattern}"
        found.append(_violation(shape, value, path, constraint))
    return found


def _integer(shape: Shape, value: Any, path: str) -> list[Violation]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [_wrong_type(shape, value, path, "an integer")]
    return _bounds(shape, value, value, path, "value")


def _number(shape: Shape, value: Any, path: str) -> list[Violation]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [_wrong_type(shape, value, path, "a number")]
    return _bounds(shape, value, value, path, "value")


def _boolean(shape: Shape, value: Any, path: str) -> list[Violation]:
    return [] if isinstance(value, bool) else [_wrong_type(shape, value, path, "a boolean")]


def _blob(shape: Shape, value: Any, path: str) -> list[Violation]:
    try:
        base64.b64decode(value, validate=True)
    except (TypeError, ValueError, binascii.Error):
        return [_wrong_type(shape, value, path, "base64-encoded binary data")]
    return []


_CHECKS = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": _integer,
    "long": _integer,
    "float": _number,
    "double": _number,
    "boolean": _boolean,
    "blob": _blob,
}


def _bounds(shape: Shape, measure: float, value: Any, path: str, what: str) -> list[Violation]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measure < low:
        return [
            _violation(
                shape, value, path, f"Member must have {what} greater than or equal to {low}"
            )
        ]
    if high is not None and measure > high:
        return [
            _violation(shape, value, path, f"Member must have {what} less than or equal to {high}")
        ]
    return []


def _wrong_type(shape: Shape, value: Any, path: str, kind: str) -> Violation:
    return _violation(shape, value, path, f"Member must be {kind}")


def _violation(shape: Shape, value: Any, path: str, constraint: str) -> Violation:
    return Violation(path, constraint, value, bool(shape.metadata.get("sensitive")))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@cache
def _pattern(source: str) -> re.Pattern[str] | None:
    """The model's pattern, or None when it is empty or uses Java-only syntax (\\p{L})."""
    try:
        return re.compile(source) if source else None
    except re.error:
        return None
