"""The STREAM_MODERATION event sent to the moderators' IVS chat room.

Attributes are schema version 1 (documented in the README, "The STREAM_MODERATION event"):
strings only, and never more than 1 KB in all, however many or long the labels are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from chalicelib.policy import Label

EVENT_NAME = "STREAM_MODERATION"
SCHEMA_VERSION = "1"
# SendEvent: "The maximum length of the metadata is 1 KB total". We count the attributes
# as their compact UTF-8 JSON, which is never smaller than the keys and values alone.
MAX_ATTRIBUTES_BYTES = 1024
# Free-text values that may be shortened when the fixed fields alone are too long.
_SHORTENABLE = ("topLabel", "topCategory", "modelVersion", "thumbnailKey", "recordingId")
_ELLIPSIS = "…"


def attributes_size(attributes: Mapping[str, str]) -> int:
    return len(json.dumps(attributes, separators=(",", ":"), ensure_ascii=False).encode())


def event_attributes(
    fields: Mapping[str, str], labels: Iterable[Label], limit: int = MAX_ATTRIBUTES_BYTES
) -> dict[str, str]:
    """The event's attributes: ``fields`` plus as many labels as fit, strongest first.

    ``labels`` is a JSON array of ``[name, parent, confidence]``; ``labelCount`` says how
    many there were in all, so a client knows when the list was trimmed.
    """
    ranked = sorted(labels, key=lambda label: (-label.confidence, -label.level, label.name))
    attributes = {
        "schemaVersion": SCHEMA_VERSION,
        **{name: str(value) for name, value in fields.items()},
        "labelCount": str(len(ranked)),
        "labels": "[]",
    }
    _shorten_to_fit(attributes, limit)
    kept: list[list[object]] = []
    for label in ranked:
        candidate = [*kept, [label.name, label.parent, round(label.confidence, 2)]]
        encoded = json.dumps(candidate, separators=(",", ":"), ensure_ascii=False)
        if attributes_size({**attributes, "labels": encoded}) > limit:
            break
        kept = candidate
        attributes["labels"] = encoded
    return attributes


def _shorten_to_fit(attributes: dict[str, str], limit: int) -> None:
    while (excess := attributes_size(attributes) - limit) > 0:
        candidates = [name for name in _SHORTENABLE if len(attributes.get(name, "")) > 1]
        if not candidates:
            raise ValueError("the fixed event fields alone exceed the attribute limit")
        longest = max(candidates, key=lambda name: len(attributes[name].encode()))
        encoded = attributes[longest].encode()
        target = max(0, len(encoded) - excess - len(_ELLIPSIS.encode()))
        attributes[longest] = encoded[:target].decode(errors="ignore") + _ELLIPSIS


class ModerationRoom:
    """The moderators' chat room; never the viewers' room, whose every member would see it."""

    def __init__(self, ivschat, room_arn: str) -> None:
        self._ivschat = ivschat
        self.room_arn = room_arn

    def send(self, attributes: Mapping[str, str]) -> str:
        """Send a STREAM_MODERATION event; returns the event id chat clients see."""
        response = self._ivschat.send_event(
            roomIdentifier=self.room_arn, eventName=EVENT_NAME, attributes=dict(attributes)
        )
        return response["id"]
