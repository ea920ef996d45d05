"""A chat room of the emulator and the connections it holds: what the control plane (ivschat)
and the Messaging WebSocket (messaging.py) both act on."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import WSCloseCode, web

from local.emulator.clock import Clock, rfc3339
from local.emulator.wire import random_id

logger = logging.getLogger("local.emulator")

# SendEvent, CreateChatToken: "The maximum length of the metadata is 1 KB total", counted
# here as the attributes' compact UTF-8 JSON.
MAX_ATTRIBUTES_BYTES = 1024
DELETE_MESSAGE_EVENT = "aws:DELETE_MESSAGE"
DISCONNECT_USER_EVENT = "aws:DISCONNECT_USER"


def attributes_size(attributes: Mapping[str, str]) -> int:
    return len(json.dumps(attributes, separators=(",", ":"), ensure_ascii=False).encode())


@dataclass(eq=False)
class ChatGrant:
    """What a chat token grants (CreateChatToken), and whether it has connected yet."""

    token: str
    room_arn: str
    user_id: str
    capabilities: frozenset[str]
    attributes: dict[str, str]
    token_expires: datetime
    session_expires: datetime
    used: bool = False


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    grant: ChatGrant
    ip: str = ""  # the client's address, as a review handler's Sender.Ip


class ChatError(Exception):
    """A client action refused: sent back as an ERROR frame with `code`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Refused(Exception):
    """A WebSocket handshake refused, with the HTTP status to answer it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Room:
    """A chat room: its control-plane description and the clients connected to it."""

    def __init__(
        self, data: dict[str, Any], clock: Clock, log: Callable[[Room, dict], None] | None = None
    ) -> None:
        self.data = data  # the model's Room members, as GetRoom returns them
        self.connections: set[Connection] = set()
        self.deleted = False
        self._clock = clock
        self._log = log  # chat logging of every frame delivered
        self._recent: deque[datetime] = deque()  # message times in the last second

    @property
    def arn(self) -> str:
        return self.data["arn"]

    def stamped(self, kind: str, request_id: str | None, **fields: Any) -> dict[str, Any]:
        """A MESSAGE or EVENT frame with a fresh Id (unless `fields` give one) and the
        SendTime of now."""
        frame = {"Type": kind, "Id": random_id(), **fields, "SendTime": rfc3339(self._clock.now())}
        if request_id is not None:
            frame["RequestId"] = request_id
        return frame

    async def broadcast(self, frame: dict[str, Any]) -> str:
        """Send `frame` to every client in the room, the sender included, and log it;
        returns its Id."""
        if self._log is not None:
            self._log(self, frame)
        await asyncio.gather(
            *(connection.ws.send_json(frame) for connection in list(self.connections)),
            return_exceptions=True,  # a client that is going away misses it
        )
        return frame["Id"]

    async def event(self, name: str, attributes: dict[str, str], request_id: str | None) -> str:
        return await self.broadcast(
            self.stamped("EVENT", request_id, EventName=name, Attributes=attributes)
        )

    async def delete_message(self, message_id: str, reason: str, request_id: str | None) -> str:
        attributes = {"MessageId": message_id, "MessageID": message_id, "Reason": reason}
        return await self.event(DELETE_MESSAGE_EVENT, attributes, request_id)

    async def disconnect_user(self, user_id: str, reason: str, request_id: str | None) -> str:
        """Tell the room, then close every connection of `user_id`."""
        event_id = await self.event(
            DISCONNECT_USER_EVENT, {"UserId": user_id, "Reason": reason}, request_id
        )
        leaving = {c for c in self.connections if c.grant.user_id == user_id}
        self.connections -= leaving  # no more frames for them, even while they close
        await asyncio.gather(
            *(c.ws.close(code=WSCloseCode.OK, message=b"Disconnected") for c in leaving)
        )
        return event_id

    def admit_message(self) -> bool:
        """Whether one more message fits the room's maximumMessageRatePerSecond."""
        now = self._clock.now()
        while self._recent and self._recent[0] <= now - timedelta(seconds=1):
            self._recent.popleft()
        if len(self._recent) >= self.data["maximumMessageRatePerSecond"]:
            return False
        self._recent.append(now)
        return True


def error_frame(code: int, message: str, request_id: str | None) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "Type": "ERROR",
        "Id": random_id(),
        "ErrorCode": code,
        "ErrorMessage": message,
    }
    if request_id is not None:
        frame["RequestId"] = request_id
    return frame


Redeem = Callable[[list[str]], tuple[Room, ChatGrant]]
