"""Declared fields of a JSON body: each field's type parses its value or answers 400.

values = fields(body, {"reason": Text(500), "revokeStreamKey": Boolean()}, required=("reason",))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.errors import BadRequest
from chalicelib.core.times import client_time
from chalicelib.core.validation import channel_arn, clean_text, identifier, shown


class Field:
    """The type of one field of a JSON object; `parse` returns its clean value or raises 400."""

    def parse(self, value: Any, name: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Field):
    max_chars: int
    multiline: bool = False
    blank: bool = False  # whether an empty (or all-space) string is a value

    def parse(self, value: Any, name: str) -> str:
        text = clean_text(value, name, max_chars=self.max_chars, multiline=self.multiline)
        if not text and not self.blank:
            raise BadRequest(f"{name} is required and must not be blank")
        return text


@dataclass(frozen=True)
class Boolean(Field):
    def parse(self, value: Any, name: str) -> bool:
        if not isinstance(value, bool):
            raise BadRequest(f"{name} must be true or false")
        return value


@dataclass(frozen=True)
class Integer(Field):
    minimum: int
    maximum: int

    def parse(self, value: Any, name: str) -> int:
        # bool is an int to Python, not to a client: true is not 1
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not (is_int and self.minimum <= value <= self.maximum):
            raise BadRequest(f"{name} must be a whole number from {self.minimum} to {self.maximum}")
        return value


@dataclass(frozen=True)
class OneOf(Field):
    values: tuple[str, ...]

    def parse(self, value: Any, name: str) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise BadRequest(f"{name} must be one of {', '.join(self.values)}")
        return value


@dataclass(frozen=True)
class ListOf(Field):
    item: Field
    max_items: int

    def parse(self, value: Any, name: str) -> list[Any]:
        if not isinstance(value, list):
            raise BadRequest(f"{name} must be a list")
        if len(value) > self.max_items:
            raise BadRequest(f"{name} has more than {self.max_items} items")
        items = [self.item.parse(item, f"{name}[{i}]") for i, item in enumerate(value)]
        unique: list[Any] = []
        for item in items:
            if item not in unique:
                unique.append(item)
        return unique


@dataclass(frozen=True)
class Identifier(Field):
    max_chars: int = 64

    def parse(self, value: Any, name: str) -> str:
        return identifier(value, name, max_chars=self.max_chars)


@dataclass(frozen=True)
class Time(Field):
    def parse(self, value: Any, name: str) -> datetime:
        return client_time(value, name)


@dataclass(frozen=True)
class ChannelArn(Field):
    def parse(self, value: Any, name: str) -> str:
        return channel_arn(value, name)


def fields(
    body: Mapping[str, Any], spec: Mapping[str, Field], *, required: Iterable[str] = ()
) -> dict[str, Any]:
    """The body's fields, each parsed by its declared type; 400 for unknown or missing ones.

    A field given as null counts as not given.
    """
    unknown = sorted(name for name in body if name not in spec)
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(map(shown, unknown))}")
    present = {name: value for name, value in body.items() if value is not None}
    for name in required:
        if name not in present:
            raise BadRequest(f"{name} is required")
    return {name: spec[name].parse(value, name) for name, value in present.items()}
