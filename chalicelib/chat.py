"""The STREAM_MODERATION event sent to the moderators' IVS chat room.

Attributes are schema version 1 (documented in the README, "The STREAM_MODERATION event"):
strings only, and never more than 1 KB in all, however many or long the labels are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.http import ServerError, ServiceUnavailable
from chalicelib.policy import Label

logger = logging.getLogger(__name__)

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


CAPABILITIES = ("SEND_MESSAGE", "DISCONNECT_USER", "DELETE_MESSAGE")


def messaging_endpoint(room_arn: str) -> str:
    """The IVS Chat Messaging WebSocket of the room's region."""
    return f"wss://edge.ivschat.{room_arn.split(':')[3]}.amazonaws.com"


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

    def token(
        self, user_id: str, username: str, capabilities: list[str], minutes: int
    ) -> dict[str, Any]:
        """A chat token for a moderator (view-only without capabilities); single use."""
        try:
            response = self._ivschat.create_chat_token(
                roomIdentifier=self.room_arn,
                userId=user_id,
                capabilities=capabilities,
                sessionDurationInMinutes=minutes,
                attributes={"username": username[:128]},
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ThrottlingException":
                raise ServiceUnavailable("IVS chat is throttling requests: try again") from error
            logger.error("CreateChatToken failed", extra={"error": str(error)})
            if code == "ResourceNotFoundException":
                raise ServerError("the moderators' room does not exist") from error
            raise ServerError(f"IVS chat refused a token: {code}") from error
        return {
            "token": response["token"],
            "tokenExpirationTime": _iso(response["tokenExpirationTime"]),
            "sessionExpirationTime": _iso(response["sessionExpirationTime"]),
            "roomArn": self.room_arn,
        }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
