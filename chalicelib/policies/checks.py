"""The checks of a policy document's fields: each returns the clean value or raises
`PolicyInvalid`, a 400 whose message starts with the field at fault, as a path."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from chalicelib.core.errors import BadRequest
from chalicelib.core.validation import clean_text, shown
from chalicelib.rules.policy import PolicyError, check_category
from chalicelib.rules.toxicity import ANY_LABEL, TOXIC_LABELS

MAX_CATEGORIES = 60
MAX_PATTERNS = 10
MAX_TAGS = 10
_PLAIN_KEY = re.compile(r"[\w &*.:/=+@-]{1,60}", re.ASCII)  # quoted in a path otherwise
_TAG = re.compile(r"^[\w.:/=+@ -]{1,128}$")  # IVS tag keys and values


class PolicyInvalid(BadRequest):
    """A document refused: the message starts with the field at fault, as a path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


def at(path: str, key: Any) -> str:
    """The path of `key` under `path` (a key that is not plain text is quoted)."""
    key = str(key)
    return f"{path}{key if _PLAIN_KEY.fullmatch(key) else shown(key)}"


def unknown_fields(raw: Mapping[str, Any], known, prefix: str = "") -> None:
    for key in raw:
        if key not in known:
            raise PolicyInvalid(at(prefix, key), "unknown field")


def object_of(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyInvalid(path, "must be an object")
    return value


def thresholds(raw: Any, path: str) -> dict[str, float]:
    raw = object_of(raw, path)
    if len(raw) > MAX_CATEGORIES:
        raise PolicyInvalid(path, f"at most {MAX_CATEGORIES} categories")
    found = {}
    for category, value in raw.items():
        where = at(f"{path}.", category)
        try:
            check_category(category, allow_any=True)
        except PolicyError as error:
            raise PolicyInvalid(where, str(error)) from None
        found[category] = confidence(value, where, 0)
    return found


def confidence(value: Any, where: str, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PolicyInvalid(where, "confidence must be a number from 0 to 100")
    if not low <= value <= 100:
        raise PolicyInvalid(where, f"confidence {value:g} is outside {low:g}-100")
    return float(value)


def ignored_list(raw: Any, path: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_CATEGORIES:
        raise PolicyInvalid(path, f"must be a list of at most {MAX_CATEGORIES} categories")
    for index, category in enumerate(raw):
        try:
            check_category(category, allow_any=False)
        except PolicyError as error:
            raise PolicyInvalid(f"{path}.{index}", str(error)) from None
    if len(set(raw)) != len(raw):
        raise PolicyInvalid(path, "names a category twice")
    return tuple(raw)


def toxicity(raw: Any) -> dict[str, float]:
    raw = object_of(raw, "chat.toxicity")
    found = {}
    for label, score in raw.items():
        where = at("chat.toxicity.", label)
        if label not in TOXIC_LABELS and label != ANY_LABEL:
            raise PolicyInvalid(where, f"not a Comprehend label: *, {', '.join(TOXIC_LABELS)}")
        found[label] = confidence(score, where, 0)
    return found


def tags(raw: Any) -> dict[str, str]:
    tags = object_of(raw, "appliesTo.tags")
    if len(tags) > MAX_TAGS:
        raise PolicyInvalid("appliesTo.tags", f"at most {MAX_TAGS} tags")
    for key, value in tags.items():
        if not _TAG.match(key) or not isinstance(value, str) or not _TAG.match(value):
            raise PolicyInvalid(at("appliesTo.tags.", key), "must be an IVS tag (key: value)")
    return dict(tags)


def name_patterns(patterns: Any) -> tuple[str, ...]:
    if not isinstance(patterns, list) or len(patterns) > MAX_PATTERNS:
        raise PolicyInvalid("appliesTo.namePatterns", f"must be a list of at most {MAX_PATTERNS}")
    for index, pattern in enumerate(patterns):
        text(pattern, f"appliesTo.namePatterns.{index}", 128)
        if not pattern.strip():
            raise PolicyInvalid(f"appliesTo.namePatterns.{index}", "must not be empty")
    return tuple(patterns)


def text(value: Any, path: str, max_chars: int) -> str:
    try:
        return clean_text(value, path, max_chars=max_chars)
    except BadRequest as error:
        raise PolicyInvalid(path, error.message.removeprefix(path).strip()) from None


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyInvalid(path, "must be true or false")
    return value


def integer(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PolicyInvalid(path, f"must be an integer from {low} to {high}")
    return value
