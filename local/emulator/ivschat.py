"""Amazon IVS Chat control plane: rooms, events, chat tokens and moderation calls.

Requests are validated as the model says (eventName 1-100 chars, userId 1-128 chars,
capabilities from the enum, sessionDurationInMinutes 1-180), plus what the model only
documents: event and token attributes are at most 1 KB in total. Validation errors carry
the model's ``reason`` and ``fieldList``; an unknown room is ResourceNotFoundException
with ``resourceId`` and ``resourceType`` ROOM.

UpdateRoom, logging configurations and tags are in chatresources.py. SendEvent,
DisconnectUser and DeleteMessage reach the room's WebSocket clients (see
`messaging`): the EVENT frame's RequestId is the API call's x-amzn-RequestId.

A token must connect within `TOKEN_LIFETIME` of its creation (tokenExpirationTime); the
session ends `sessionDurationInMinutes` after the token was created (sessionExpirationTime).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from local.emulator.chatlogs import ChatLogs
from local.emulator.chatresources import ChatResources
from local.emulator.clock import Clock, rfc3339
from local.emulator.faults import Faults
from local.emulator.rooms import MAX_ATTRIBUTES_BYTES, ChatGrant, Refused, Room, attributes_size
from local.emulator.validation import Violation, describe
from local.emulator.wire import ApiError, Params, RestJsonService, random_id

# CreateChatToken: "The token is valid for one minute" (older IVS Chat API reference; the
# current one only says it expires at tokenExpirationTime).
TOKEN_LIFETIME = timedelta(minutes=1)
DEFAULT_SESSION_MINUTES = 60
# The rate a throttled caller is told it exceeded (ThrottlingException.limit).
THROTTLE_LIMIT = 10
ROOM_DEFAULTS: dict[str, Any] = {
    "name": "",
    "maximumMessageRatePerSecond": 10,
    "maximumMessageLength": 500,
    "tags": {},
    "loggingConfigurationIdentifiers": [],
}
_RESOURCE_ID = re.compile(r"^[a-zA-Z0-9]+$")


class IvsChat(ChatResources, RestJsonService):
    name = "ivschat"
    message_field = "message"
    internal_error_code = "InternalServerException"
    unchecked_patterns = frozenset({"resourceArn"})

    def __init__(
        self, faults: Faults, clock: Clock, region: str, account: str, chat_logs: ChatLogs
    ) -> None:
        super().__init__(faults)
        self._clock = clock
        self._region = region
        self._account = account
        self._chat_logs = chat_logs
        self.rooms: dict[str, Room] = {}
        self.tokens: dict[str, ChatGrant] = {}
        self.logging_configurations: dict[str, dict[str, Any]] = {}
        self.operations = {
            "CreateRoom": self.create_room,
            "GetRoom": self.get_room,
            "ListRooms": self.list_rooms,
            "UpdateRoom": self.update_room,
            "DeleteRoom": self.delete_room,
            "SendEvent": self.send_event,
            "CreateChatToken": self.create_chat_token,
            "DisconnectUser": self.disconnect_user,
            "DeleteMessage": self.delete_message,
            "CreateLoggingConfiguration": self.create_logging_configuration,
            "GetLoggingConfiguration": self.get_logging_configuration,
            "ListLoggingConfigurations": self.list_logging_configurations,
            "UpdateLoggingConfiguration": self.update_logging_configuration,
            "DeleteLoggingConfiguration": self.delete_logging_configuration,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    def validation_error(self, found: list[Violation]) -> ApiError:
        fields = [{"name": violation.path, "message": violation.describe()} for violation in found]
        return self.error(
            "ValidationException",
            describe(found),
            reason="FIELD_VALIDATION_FAILED",
            fieldList=fields,
        )

    def throttled(self, params: Params) -> ApiError:
        return self.error(
            "ThrottlingException",
            "Rate exceeded",
            resourceId=self._resource_id(params.get("roomIdentifier") or params.get("identifier")),
            resourceType="ROOM",
            limit=THROTTLE_LIMIT,
        )

    async def create_room(self, params: Params, request_id: str) -> dict[str, Any]:
        self.check_logging_identifiers(params)
        room_id = random_id()
        now = rfc3339(self._clock.now())
        data = {
            **ROOM_DEFAULTS,
            **self.project("CreateRoomResponse", params),
            "arn": f"arn:aws:ivschat:{self._region}:{self._account}:room/{room_id}",
            "id": room_id,
            "createTime": now,
            "updateTime": now,
        }
        data.pop("messageReviewHandler", None)
        if "messageReviewHandler" in params and (handler := self.review_handler(params)):
            data["messageReviewHandler"] = handler
        room = Room(data, self._clock, self._log_frame)
        self.rooms[room.arn] = room
        return room.data

    async def get_room(self, params: Params, request_id: str) -> dict[str, Any]:
        return self._room(params["identifier"]).data

    async def list_rooms(self, params: Params, request_id: str) -> dict[str, Any]:
        def matches(room: Room) -> bool:
            data = room.data
            handler = data.get("messageReviewHandler", {}).get("uri")
            logging_id = params.get("loggingConfigurationIdentifier")
            return (
                params.get("name") in (None, data["name"])
                and params.get("messageReviewHandlerUri") in (None, handler)
                and logging_id in (None, *data["loggingConfigurationIdentifiers"])
            )

        rooms = [
            self.project("RoomSummary", room.data) for room in self.rooms.values() if matches(room)
        ]
        return self.page(rooms, params, "rooms", 50)

    async def delete_room(self, params: Params, request_id: str) -> None:
        room = self._room(params["identifier"])
        room.deleted = True  # connected clients stay, and their actions get ERROR 404
        del self.rooms[room.arn]

    async def send_event(self, params: Params, request_id: str) -> dict[str, Any]:
        room = self._room(params["roomIdentifier"])
        attributes = self._attributes(params)
        return {"id": await room.event(params["eventName"], attributes, request_id)}

    async def create_chat_token(self, params: Params, request_id: str) -> dict[str, Any]:
        room = self._room(params["roomIdentifier"])
        now = self._clock.now()
        minutes = params.get("sessionDurationInMinutes", DEFAULT_SESSION_MINUTES)
        grant = ChatGrant(
            token=secrets.token_urlsafe(96),
            room_arn=room.arn,
            user_id=params["userId"],
            capabilities=frozenset(params.get("capabilities", [])),
            attributes=self._attributes(params),
            token_expires=now + TOKEN_LIFETIME,
            session_expires=now + timedelta(minutes=minutes),
        )
        self.tokens[grant.token] = grant
        return {
            "token": grant.token,
            "tokenExpirationTime": rfc3339(grant.token_expires),
            "sessionExpirationTime": rfc3339(grant.session_expires),
        }

    async def disconnect_user(self, params: Params, request_id: str) -> dict[str, Any]:
        room = self._room(params["roomIdentifier"])
        await room.disconnect_user(params["userId"], params.get("reason", ""), request_id)
        return {}

    async def delete_message(self, params: Params, request_id: str) -> dict[str, Any]:
        room = self._room(params["roomIdentifier"])
        return {"id": await room.delete_message(params["id"], params.get("reason", ""), request_id)}

    def redeem(self, offered: list[str]) -> tuple[Room, ChatGrant]:
        """The room and grant of the token among the offered WebSocket protocols; once."""
        grant = next((self.tokens[token] for token in offered if token in self.tokens), None)
        if grant is None:
            raise Refused(403, "The chat token is not valid")
        if grant.used:
            raise Refused(403, "The chat token has already been used to connect")
        if self._clock.now() >= grant.token_expires:
            raise Refused(403, "The chat token has expired")
        if grant.room_arn not in self.rooms:
            raise Refused(403, "The chat token's room no longer exists")
        grant.used = True
        return self.rooms[grant.room_arn], grant

    def snapshot(self) -> list[dict[str, Any]]:
        return [
            {
                "arn": arn,
                "name": room.data["name"],
                "connections": len(room.connections),
                "users": sorted({c.grant.user_id for c in room.connections}),
            }
            for arn, room in self.rooms.items()
        ]

    def _log_frame(self, room: Room, frame: dict[str, Any]) -> None:
        """Chat logging of a frame the room delivered (chatlogs.py)."""
        groups = self.log_groups(room)
        if groups:
            self._chat_logs.record(room.data["id"], groups, frame)

    def _room(self, arn: str) -> Room:
        if arn not in self.rooms:
            raise self.error(
                "ResourceNotFoundException",
                f"Room {arn} not found",
                resourceId=self._resource_id(arn),
                resourceType="ROOM",
            )
        return self.rooms[arn]

    def _resource_id(self, arn: str | None) -> str:
        """The room id of `arn`, or the account when the request names no valid room."""
        room_id = (arn or "").rpartition("/")[2]
        return room_id if _RESOURCE_ID.match(room_id) else self._account

    def _attributes(self, params: Params) -> dict[str, str]:
        attributes = params.get("attributes", {})
        size = attributes_size(attributes)
        if size > MAX_ATTRIBUTES_BYTES:
            constraint = f"Member must be at most {MAX_ATTRIBUTES_BYTES} bytes in total"
            raise self.validation_error([Violation("attributes", constraint, f"{size} bytes")])
        return attributes
