"""The simulated viewers (local/chatters.py), chatting through the emulator's real WebSocket.

The emulator runs in this process (as in test_relay.py); the chatters take their tokens
with boto3's ivschat from it and speak the IVS Chat Messaging protocol to it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from local_servers import moto_server, serve_app
from support import ACCOUNT, REGION

from chalicelib.chat.images import image_urls
from chalicelib.chat.settings import ChatSettings
from chalicelib.chat.text import host_allowed, links
from local.chatters import INSULTS, Chatter, Persona, cast
from local.emulator import create_app
from local.stage import stage_environment


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with moto_server() as moto, serve_app(create_app(REGION, ACCOUNT, moto)) as url:
        yield url


def ivschat(endpoint: str):
    return boto3.client(
        "ivschat",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def ws_url(emulator: str) -> str:
    return emulator.replace("http://", "ws://")


def chatting(chatter: Chatter, seconds: float) -> None:
    """Run the chatter for `seconds`, then stop it; it must stop by itself."""

    async def run() -> None:
        stopping = asyncio.Event()
        task = asyncio.create_task(chatter.run(stopping))
        await asyncio.sleep(seconds)
        stopping.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run())


def test_the_cast_has_harmless_viewers_a_troll_a_spammer_and_stickers_as_the_stage_sees_them():
    # GIVEN the local stage's chat settings
    settings = ChatSettings.from_env(stage_environment())

    # WHEN a channel's room is cast
    people = {p.user_id: p for p in cast("arena")}

    # THEN three viewers write no links; the spammer's links all go to hosts not allowed
    viewers = [p for name, p in people.items() if "-viewer-" in name]
    assert len(viewers) == 3 and all(not links(v.lines) for v in viewers)
    spam = links(people["arena-spammer"].lines)
    assert spam and not any(host_allowed(link.host, settings.allowed_hosts) for link in spam)
    assert people["arena-troll"].lines == INSULTS
    # the sticker is an https image on an allowed host (that does not exist locally)
    stickers = people["arena-stickers"]
    assert stickers.attributes["message_type"] == "STICKER"
    [url] = image_urls(stickers.attributes)
    assert url.startswith("https://images.example.com/")
    assert host_allowed("images.example.com", settings.allowed_hosts)
    # and the room sees about one message every few seconds, not more
    per_second = sum(1 / p.mean_seconds for p in people.values())
    assert 0.2 <= per_second <= 0.5


def test_a_denied_sender_keeps_chatting(emulator):
    # GIVEN a room whose review handler's fallback is DENY (no Lambda answers it here)
    chat = ivschat(emulator)
    room = chat.create_room(
        name="denying",
        messageReviewHandler={
            "uri": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:review",
            "fallbackResult": "DENY",
        },
    )["arn"]
    chatter = Chatter(
        Persona("arena-spammer", ("spam",), 0.1),
        room,
        ws_url(emulator),
        chat.create_chat_token,
        min_gap=0.1,
    )

    # WHEN it chats for a second
    chatting(chatter, 1.0)

    # THEN every message it sent was denied with 406, and it went on sending on one connection
    assert chatter.tally.sent >= 4
    assert chatter.tally.errors[406] >= 4
    assert chatter.tally.connections == 1 and chatter.tally.disconnected == 0


def test_a_disconnected_user_comes_back_with_a_new_token(emulator):
    # GIVEN a viewer chatting in a room, and the tokens it is given
    chat = ivschat(emulator)
    room = chat.create_room(name="open")["arn"]
    tokens: list[dict] = []

    def create_token(**request):
        tokens.append(request)
        return chat.create_chat_token(**request)

    chatter = Chatter(
        Persona("arena-troll", INSULTS, 0.2),
        room,
        ws_url(emulator),
        create_token,
        reconnect_after=0.3,
        min_gap=0.1,
    )

    def disconnect_once_connected() -> None:
        deadline = time.monotonic() + 5
        while chatter.tally.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        chat.disconnect_user(roomIdentifier=room, userId="arena-troll", reason="banned: insults")

    # WHEN the room disconnects it (DisconnectUser)
    threading.Thread(target=disconnect_once_connected, daemon=True).start()
    chatting(chatter, 1.5)

    # THEN it heard so, and reconnected with a second token, a viewer's (SEND_MESSAGE only)
    assert chatter.tally.disconnected == 1
    assert chatter.tally.connections == 2
    viewer = {
        "roomIdentifier": room,
        "userId": "arena-troll",
        "capabilities": ["SEND_MESSAGE"],
        "sessionDurationInMinutes": 180,
    }
    assert tokens == [viewer, viewer]
    assert chatter.tally.sent >= 2 and not chatter.tally.errors
