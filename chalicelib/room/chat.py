"""The moderators' IVS chat room: where STREAM_MODERATION events go, and chat tokens.

The events themselves (schema version 2) are built in announcements.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.errors import ServerError, ServiceUnavailable
from chalicelib.room.announcements import EVENT_NAME

logger = logging.getLogger(__name__)


CAPABILITIES = ("SEND_MESSAGE", "DISCONNECT_USER", "DELETE_MESSAGE")


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
