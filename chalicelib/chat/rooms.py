"""The viewers' rooms: what IVS chat is asked to do in them, and which channel each is of.

A room names its channel with the tag `moderation-channel` (`make chat-rooms CHANNEL=…`);
the link is read with GetRoom and remembered per container. Removal and disconnection are
retried like every call (core/retries.py); what still fails raises, and the deep pass's
message is received again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

CHANNEL_TAG = "moderation-channel"
NOTICE_EVENT = "MODERATION_NOTICE"  # what the room's clients show: "a message was removed: …"
MAX_REASON_CHARS = 256  # DeleteMessage's and DisconnectUser's reason
LINK_MEMORY_SECONDS = 300.0


def reason_text(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


class ViewerRooms:
    def __init__(self, ivschat) -> None:
        self._ivschat = ivschat
        self._links: dict[str, tuple[dict[str, str], float]] = {}

    def link(self, room_arn: str) -> dict[str, str]:
        """{"channelArn", "roomName"} of the room ("" when untagged or unknown)."""
        remembered = self._links.get(room_arn)
        if remembered and time.monotonic() - remembered[1] < LINK_MEMORY_SECONDS:
            return remembered[0]
        try:
            room = self._ivschat.get_room(identifier=room_arn)
        except (ClientError, BotoCoreError) as error:  # a name is never worth a failure
            logger.warning("room unknown", extra={"room": room_arn, "error": str(error)})
            return {"channelArn": "", "roomName": ""}
        link = {
            "channelArn": (room.get("tags") or {}).get(CHANNEL_TAG, ""),
            "roomName": room.get("name", ""),
        }
        self._links[room_arn] = (link, time.monotonic())
        return link

    def delete_message(self, room_arn: str, message_id: str, reason: str) -> None:
        self._ivschat.delete_message(
            roomIdentifier=room_arn, id=message_id, reason=reason_text(reason)
        )

    def disconnect(self, room_arn: str, user_id: str, reason: str) -> None:
        self._ivschat.disconnect_user(
            roomIdentifier=room_arn, userId=user_id, reason=reason_text(reason)
        )

    def notice(self, room_arn: str, attributes: dict[str, Any]) -> bool:
        """A system event the room's clients show; False (logged) when it did not go out."""
        try:
            self._ivschat.send_event(
                roomIdentifier=room_arn,
                eventName=NOTICE_EVENT,
                attributes={k: str(v)[:200] for k, v in attributes.items()},
            )
        except (ClientError, BotoCoreError) as error:
            logger.error("room notice not sent", extra={"room": room_arn, "error": str(error)})
            return False
        return True
