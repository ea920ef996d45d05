"""The IVS Chat Messaging API: the WebSocket a chat client holds to a room.

As the Chat Messaging API Reference documents it:

- A client opens ``wss://<endpoint>/`` with its chat token as the WebSocket subprotocol
  (``new WebSocket(url, token)``) and the server echoes it. A token connects once and
  only before its tokenExpirationTime; the session ends at its sessionExpirationTime.
- The server sends JSON frames: MESSAGE, EVENT and ERROR, with the documented fields.
- A client sends actions SEND_MESSAGE, DELETE_MESSAGE and DISCONNECT_USER, each needing
  the token capability of the same name. Failures come back as ERROR frames whose
  ErrorCode is an HTTP status: 400, 403, 404, 406, 413, 429 or 500.

What the documents leave open, and what the emulator does (see README.md): a refused
handshake is HTTP 401 without a token and 403 with a token that is unknown, used, expired
or for a deleted room; an expiring session gets an ERROR 401 frame, then a close; a
disconnected user gets the ``aws:DISCONNECT_USER`` event (attributes UserId, Reason), then
a close. A room's message review handler is invoked when the emulator has a Lambda
endpoint, and otherwise always takes its fallback result (review.py); a DENY answers
ERROR 406. Faults configured for ``ivschat`` also hit client actions (ERROR 429 / 500).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, hdrs, web

from local.emulator.clock import Clock
from local.emulator.faults import Fault, Faults
from local.emulator.review import Reviewer
from local.emulator.rooms import (
    MAX_ATTRIBUTES_BYTES,
    ChatError,
    Connection,
    Redeem,
    Refused,
    Room,
    attributes_size,
    error_frame,
)
from local.emulator.wire import random_id

logger = logging.getLogger("local.emulator")


class ChatMessaging:
    """The WebSocket endpoint: handshake, client actions, session expiry."""

    def __init__(self, redeem: Redeem, clock: Clock, faults: Faults, reviewer: Reviewer) -> None:
        self._redeem = redeem
        self._reviewer = reviewer
        self._clock = clock
        self._faults = faults
        self._open: set[Connection] = set()
        self._actions = {
            "SEND_MESSAGE": self._send_message,
            "DELETE_MESSAGE": self._delete_message,
            "DISCONNECT_USER": self._disconnect_user,
        }

    async def connect(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get(hdrs.UPGRADE, "").lower() != "websocket":
            return _refusal(400, "This is the chat messaging endpoint: connect with a WebSocket")
        header = request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL, "")
        offered = [protocol.strip() for protocol in header.split(",") if protocol.strip()]
        if not offered:
            return _refusal(401, "A chat token is required, as the WebSocket protocol")
        try:
            room, grant = self._redeem(offered)
        except Refused as refused:
            return _refusal(refused.status, refused.message)
        ws = web.WebSocketResponse(protocols=(grant.token,))
        await ws.prepare(request)
        connection = Connection(ws, grant, request.remote or "")
        room.connections.add(connection)
        self._open.add(connection)
        expiry = asyncio.create_task(self._end_session(connection))
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._act(room, connection, message.data)
                elif message.type is WSMsgType.BINARY:
                    await ws.send_json(error_frame(400, "Send actions as JSON text", None))
        finally:
            expiry.cancel()
            room.connections.discard(connection)
            self._open.discard(connection)
        return ws

    async def close_all(self) -> None:
        """Close every client (of deleted rooms too), so that the server can shut down."""
        await asyncio.gather(
            *(
                connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
                for connection in list(self._open)
            )
        )

    async def _end_session(self, connection: Connection) -> None:
        await self._clock.sleep_until(connection.grant.session_expires)
        await connection.ws.send_json(error_frame(401, "The chat session has expired", None))
        await connection.ws.close(code=WSCloseCode.OK, message=b"Session expired")

    async def _act(self, room: Room, connection: Connection, text: str) -> None:
        request_id = None
        try:
            payload = _payload(text)
            request_id = payload.get("RequestId")
            await self._check(room, connection, payload)
            await self._actions[payload["Action"]](room, connection, payload, request_id)
        except ChatError as error:
            await connection.ws.send_json(error_frame(error.code, error.message, request_id))
        except Exception:
            logger.exception("chat action failed")
            await connection.ws.send_json(error_frame(500, "Internal error", request_id))

    async def _check(self, room: Room, connection: Connection, payload: dict[str, Any]) -> None:
        """What every action must pass: a live room, the faults, a known action, the grant."""
        if room.deleted:
            raise ChatError(404, "The room does not exist")
        fault = await self._faults.inject("ivschat")
        if fault is Fault.THROTTLE:
            raise ChatError(429, "Rate exceeded")
        if fault is Fault.ERROR:
            raise ChatError(500, "Injected fault: internal error")
        action = payload.get("Action")
        if not isinstance(action, str) or action not in self._actions:
            raise ChatError(400, f"Unknown Action {action!r}: one of {', '.join(self._actions)}")
        if action not in connection.grant.capabilities:
            raise ChatError(403, f"The chat token does not have the {action} capability")

    async def _send_message(
        self, room: Room, connection: Connection, payload: dict[str, Any], request_id: str | None
    ) -> None:
        content = _text(payload, "Content")
        attributes = payload.get("Attributes", {})
        if not _is_string_map(attributes):
            raise ChatError(400, "Attributes must map strings to strings")
        limit = room.data["maximumMessageLength"]
        if len(content) > limit:
            raise ChatError(413, f"Content must be at most {limit} characters")
        if attributes_size(attributes) > MAX_ATTRIBUTES_BYTES:
            raise ChatError(413, f"Attributes must be at most {MAX_ATTRIBUTES_BYTES} bytes")
        if not room.admit_message():
            raise ChatError(429, "The room's maximum message rate is exceeded")
        grant = connection.grant
        message_id = random_id()
        verdict = await self._reviewer.review(
            room.data,
            message_id,
            content,
            attributes,
            {"Attributes": grant.attributes, "UserId": grant.user_id, "Ip": connection.ip},
        )
        if not verdict.allowed:
            reason = f": {verdict.reason}" if verdict.reason else ""
            raise ChatError(406, f"The message was rejected by the room's message review{reason}")
        sender = {"UserId": grant.user_id, "Attributes": grant.attributes}
        frame = room.stamped(
            "MESSAGE",
            request_id,
            Id=message_id,
            Attributes=verdict.attributes,
            Content=verdict.content,
            Sender=sender,
        )
        await room.broadcast(frame)

    async def _delete_message(
        self, room: Room, connection: Connection, payload: dict[str, Any], request_id: str | None
    ) -> None:
        reason = _text(payload, "Reason", required=False)
        await room.delete_message(_text(payload, "Id"), reason, request_id)

    async def _disconnect_user(
        self, room: Room, connection: Connection, payload: dict[str, Any], request_id: str | None
    ) -> None:
        reason = _text(payload, "Reason", required=False)
        await room.disconnect_user(_text(payload, "UserId"), reason, request_id)


def _payload(text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError:
        raise ChatError(400, "The action is not valid JSON") from None
    if not isinstance(payload, dict):
        raise ChatError(400, "The action must be a JSON object")
    if not isinstance(payload.get("RequestId", ""), str):
        raise ChatError(400, "RequestId must be a string")
    return payload


def _text(payload: dict[str, Any], field: str, required: bool = True) -> str:
    """A string field of an action: non-empty when given; "" when optional and absent."""
    value = payload.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise ChatError(400, f"{field} must be a non-empty string")
    return value


def _is_string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    )


def _refusal(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)
