"""Simulated viewers chatting in a channel's chat room, over the IVS Chat Messaging WebSocket.

Each user takes a chat token (ivschat CreateChatToken, SEND_MESSAGE only, as the
platform's token issuer would grant a viewer), connects with it as the WebSocket
subprotocol, and sends `SEND_MESSAGE` actions on a seeded random schedule (the same seed
gives the same lines and gaps). Per room, `cast` gives:

- a few ordinary viewers, harmless lines;
- one abusive viewer: insults the emulator's Comprehend scores as toxic: the deep pass
  removes them (DeleteMessage), strikes pile up and time the user out;
- one spammer: links to a host outside CHAT_ALLOWED_HOSTS: the review handler denies them;
- one posting stickers (`message_type` STICKER, `sticker_src` on images.example.com, an
  allowed host that does not exist locally): the deep pass cannot fetch the image and
  removes the message as unverifiable.

A denied message (ERROR 406) is logged and the user goes on. A user disconnected
(DisconnectUser: `aws:DISCONNECT_USER`, then the close) comes back after `reconnect_after`
seconds with a new token; while banned, the review handler denies every message, so the
ban is seen holding in the log (`denied (406)`). Rates are modest: a room sees a message
every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

log = logging.getLogger("local.chatters")

ORDINARY = (
    "hi everyone!",
    "what a play",
    "lol",
    "first time here, loving the stream",
    "gg",
    "how long have you been streaming today?",
    "that was close",
    "greetings from Lisbon",
    "can you show the settings again?",
    "nice",
)
INSULTS = (
    "you are an idiot",
    "shut up, you stupid moron",
    "what a pathetic loser",
    "nobody likes you, idiot",
)
SPAM = (
    "free skins at https://free-skins.example.net/claim",
    "cheap followers: https://followers4u.example.org",
)
STICKER = {"message_type": "STICKER", "sticker_src": "https://images.example.com/stickers/wave.png"}


@dataclass(frozen=True)
class Persona:
    user_id: str
    lines: tuple[str, ...]
    mean_seconds: float  # mean gap between two messages
    attributes: dict[str, str] = field(default_factory=dict)


def cast(channel: str) -> list[Persona]:
    """Who chats in `channel`'s room: about one message every 3 seconds in all."""
    return [
        *(Persona(f"{channel}-viewer-{n}", ORDINARY, 15.0) for n in range(1, 4)),
        Persona(f"{channel}-troll", INSULTS, 20.0),
        Persona(f"{channel}-spammer", SPAM, 25.0),
        Persona(f"{channel}-stickers", ("look at this",), 40.0, STICKER),
    ]


@dataclass
class Tally:
    """What happened to one user, for the log and the tests."""

    connections: int = 0
    sent: int = 0
    errors: Counter = field(default_factory=Counter)  # ERROR frames by code
    disconnected: int = 0
    refused: int = 0  # handshakes refused (HTTP 401/403)


class Chatter:
    """One user in one room, for as long as `run` runs."""

    def __init__(
        self,
        persona: Persona,
        room_arn: str,
        ws_url: str,
        create_token: Callable[..., dict[str, Any]],
        *,
        seed: int | str = 0,
        reconnect_after: float = 20.0,
        min_gap: float = 2.0,
    ) -> None:
        self.persona = persona
        self.room_arn = room_arn
        self.ws_url = ws_url
        self.tally = Tally()
        self._create_token = create_token  # ivschat's create_chat_token (blocking)
        self._rng = random.Random(f"{seed}/{room_arn}/{persona.user_id}")
        self._reconnect_after = reconnect_after
        self._min_gap = min_gap

    async def run(self, stopping: asyncio.Event) -> None:
        user = self.persona.user_id
        async with aiohttp.ClientSession() as session:
            await _sleep(stopping, self._rng.uniform(0, self.persona.mean_seconds / 2))
            while not stopping.is_set():
                try:
                    await self._session(session, stopping)
                except aiohttp.WSServerHandshakeError as error:
                    self.tally.refused += 1
                    log.info("%s: connection refused (%s)", user, error.status)
                except (aiohttp.ClientError, OSError) as error:
                    log.warning("%s: chat connection failed: %s", user, error)
                except Exception:
                    log.exception("%s: chatter failed", user)
                if not stopping.is_set():
                    log.info("%s: reconnects in %.0f s", user, self._reconnect_after)
                    await _sleep(stopping, self._reconnect_after)

    async def _session(self, session: aiohttp.ClientSession, stopping: asyncio.Event) -> None:
        token = await asyncio.to_thread(
            self._create_token,
            roomIdentifier=self.room_arn,
            userId=self.persona.user_id,
            capabilities=["SEND_MESSAGE"],
            sessionDurationInMinutes=180,
        )
        async with session.ws_connect(self.ws_url, protocols=(token["token"],)) as ws:
            self.tally.connections += 1
            log.info("%s: connected to %s", self.persona.user_id, self.room_arn)
            sending = asyncio.create_task(self._send(ws, stopping))
            try:
                await self._read(ws)
            finally:
                sending.cancel()
                await asyncio.gather(sending, return_exceptions=True)

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, stopping: asyncio.Event) -> None:
        while not stopping.is_set() and not ws.closed:
            action = {
                "Action": "SEND_MESSAGE",
                "RequestId": str(uuid.uuid4()),
                "Content": self._rng.choice(self.persona.lines),
                "Attributes": dict(self.persona.attributes),
            }
            await ws.send_str(json.dumps(action))
            self.tally.sent += 1
            gap = self._rng.expovariate(1 / self.persona.mean_seconds)
            await _sleep(stopping, max(self._min_gap, gap))
        if stopping.is_set():
            await ws.close()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        user = self.persona.user_id
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            if frame.get("Type") == "ERROR":
                code = frame.get("ErrorCode")
                self.tally.errors[code] += 1
                what = "denied" if code == 406 else "refused"
                log.info("%s: message %s (%s): %s", user, what, code, frame.get("ErrorMessage"))
            elif _disconnects(frame, user):
                self.tally.disconnected += 1
                reason = frame["Attributes"].get("Reason", "")
                log.info("%s: disconnected by the room: %s", user, reason)


def _disconnects(frame: dict[str, Any], user: str) -> bool:
    """Whether the frame is the room's aws:DISCONNECT_USER of `user`."""
    return (
        frame.get("Type") == "EVENT"
        and frame.get("EventName") == "aws:DISCONNECT_USER"
        and frame.get("Attributes", {}).get("UserId") == user
    )


async def _sleep(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


async def chat_in_rooms(
    rooms: dict[str, str],
    ws_url: str,
    create_token: Callable[..., dict[str, Any]],
    stopping: asyncio.Event,
    *,
    seed: int | str = 0,
    reconnect_after: float = 20.0,
) -> list[Chatter]:
    """Everyone of `cast(channel)` chatting in each room ({channel name: room ARN}) until
    `stopping` is set."""
    chatters = [
        Chatter(persona, room, ws_url, create_token, seed=seed, reconnect_after=reconnect_after)
        for channel, room in rooms.items()
        for persona in cast(channel)
    ]
    await asyncio.gather(*(chatter.run(stopping) for chatter in chatters))
    return chatters
