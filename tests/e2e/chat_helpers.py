"""Chat incidents on the running stack, made as viewers make them: a message in a moderated
viewers' room that the deep pass removes."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import aiohttp
from stack_helpers import aws

from local.chat_rooms import create_viewer_room
from local.stack_client import api

INSULT = "you are an idiot"  # one of the emulator's default insults (local/emulator/README.md)


def viewer_room(stack: dict, name: str) -> str:
    """A channel of the test's own and its viewers' room, moderated as the stack's are."""
    channel_arn = aws(stack, "ivs").create_channel(name=name)["channel"]["arn"]
    return create_viewer_room(
        aws(stack, "ivschat"),
        name,
        channel_arn,
        review_arn=stack["functions"]["review_chat_message"],
        logging_arn=stack["chat"]["logging_configuration_arn"],
    )


async def _send(stack: dict, room: str, user: str, content: str) -> dict:
    token = aws(stack, "ivschat").create_chat_token(
        roomIdentifier=room, userId=user, capabilities=["SEND_MESSAGE"]
    )["token"]
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(stack["chat_ws_url"], protocols=[token]) as ws,
    ):
        await ws.send_str(
            json.dumps({"Action": "SEND_MESSAGE", "RequestId": "r", "Content": content})
        )
        return json.loads((await ws.receive(timeout=5)).data)


async def _held_out(stack: dict, room: str, user: str, content: str, wait: float) -> bool:
    token = aws(stack, "ivschat").create_chat_token(
        roomIdentifier=room, userId=user, capabilities=["SEND_MESSAGE"]
    )["token"]
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(stack["chat_ws_url"], protocols=[token]) as ws,
    ):
        action = {"Action": "SEND_MESSAGE", "RequestId": "held", "Content": content}
        await ws.send_str(json.dumps(action))
        first = json.loads((await ws.receive(timeout=5)).data)
        if first.get("Type") == "ERROR":
            return first.get("ErrorCode") == 406
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = json.loads((await ws.receive(timeout=left)).data)
            except (TimeoutError, TypeError):
                return False
            if frame.get("EventName") == "aws:DELETE_MESSAGE":
                return frame["Attributes"].get("MessageId") == first.get("Id")
        return False


def held_out(stack: dict, room: str, user: str, content: str, wait: float = 5.0) -> bool:
    """Whether the user's message never stays in the room: refused by the review handler
    (406), or, when IVS applied the room's fallback (the handler was late: a loaded
    machine), delivered and then deleted by the deep pass within `wait` seconds."""
    return asyncio.run(_held_out(stack, room, user, content, wait))


def send(stack: dict, room: str, user: str, content: str) -> dict:
    """What the sender's WebSocket got back: its MESSAGE, or an ERROR."""
    return asyncio.run(_send(stack, room, user, content))


def chat_incident(stack: dict, token: str, purpose: str) -> tuple[str, str, dict]:
    """(room, user, incident): a user's insult in a room of its own, removed by the deep
    pass, in the queue as a chat incident."""
    room = viewer_room(stack, f"{purpose}-{secrets.token_hex(3)}")
    user = f"troll-{secrets.token_hex(3)}"
    assert send(stack, room, user, INSULT)["Type"] == "MESSAGE"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        items = api(stack, "GET", "/incidents", token).json()["items"]
        found = [i for i in items if i.get("kind") == "chat" and i.get("userId") == user]
        if found:
            return room, user, found[0]
        time.sleep(0.3)
    raise AssertionError(f"no chat incident for {user} within 20 s")
