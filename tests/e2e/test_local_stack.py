"""End to end through the local stack, as a moderator and as IVS would use it.

Everything here goes over real HTTP and WebSocket connections; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import subprocess
import time

import aiohttp
from stack_helpers import (
    RECONNECT_AFTER,
    ROOT,
    SCENARIO,
    api,
    channel,
    frames_of,
    is_live,
    sign_in,
    thumbnail_key,
    wait_for,
    write_frame,
)

from local.headless import command


async def chat_events(stack: dict, token: str, action, wait: float) -> list[tuple[float, dict]]:
    """Connect to the moderators' room with a token from POST /chat-token, run `action`,
    and collect the frames received for `wait` seconds (with when each arrived)."""
    chat = api(stack, "POST", "/chat-token", token).json()
    received: list[tuple[float, dict]] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(chat["endpoint"], protocols=[chat["token"]]) as ws,
    ):
        await asyncio.to_thread(action)
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.TEXT:
                received.append((time.monotonic(), json.loads(message.data)))
    return received


# --- the tests ------------------------------------------------------------------------------


def test_a_violating_frame_reaches_the_moderators_room_within_two_seconds(stack):
    token = sign_in(stack)
    key = thumbnail_key(stack, "E2eViolent01", 7)
    written = {}

    def write() -> None:
        written["at"] = write_frame(stack, key, [{"Name": "Weapon Violence", "Confidence": 94.0}])

    frames = asyncio.run(chat_events(stack, token, write, wait=5))

    events = [(at, f) for at, f in frames if f.get("EventName") == "STREAM_MODERATION"]
    assert len(events) == 1, frames
    arrived, event = events[0]
    assert event["Type"] == "EVENT"
    attributes = event["Attributes"]
    assert attributes["thumbnailKey"] == key
    assert attributes["channelArn"].endswith("channel/E2eViolent01")
    assert attributes["topLabel"] == "Weapon Violence"
    assert attributes["topCategory"] == "Violence"
    assert attributes["decision"] == "alert"
    assert arrived - written["at"] < 2.0


def test_a_clean_frame_is_recorded_and_sends_nothing(stack):
    token = sign_in(stack)
    key = thumbnail_key(stack, "E2eCleanOne1", 3)
    channel_arn = f"arn:aws:ivs:{stack['region']}:{stack['account']}:channel/E2eCleanOne1"

    def write_and_wait_for_the_decision() -> None:
        write_frame(stack, key, [])

        def recorded():
            # clean frames are listed when asked for (GET /decisions leaves them out by default)
            path = f"/decisions?channelArn={channel_arn}&decision=clean"
            return api(stack, "GET", path, token).json()["items"]

        [item] = wait_for(recorded, 10, "the clean frame's decision")
        assert item["decision"] == "clean"
        assert item["thumbnailKey"] == key

    frames = asyncio.run(chat_events(stack, token, write_and_wait_for_the_decision, wait=1))

    assert [f for _, f in frames if f.get("EventName") == "STREAM_MODERATION"] == []


def test_stop_stream_with_key_revocation_takes_the_channel_offline_for_good(stack):
    token = sign_in(stack)
    channel_arn = channel(stack, "e2e-stop-and-revoke")
    wait_for(lambda: is_live(stack, channel_arn) and frames_of(stack, channel_arn), 15, "frames")

    response = api(
        stack,
        "POST",
        "/stop-stream",
        token,
        {"channelArn": channel_arn, "reason": "e2e: weapon on screen", "revokeStreamKey": True},
    )

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "stopped"
    assert response.json()["streamKeysRevoked"] == 1
    assert not is_live(stack, channel_arn)
    written = len(frames_of(stack, channel_arn))
    time.sleep(RECONNECT_AFTER + 3)  # the encoder tries to reconnect, and is refused
    assert not is_live(stack, channel_arn)
    assert len(frames_of(stack, channel_arn)) <= written + 1  # one frame may have been in flight

    history = api(stack, "GET", f"/decisions?channelArn={channel_arn}", token).json()["items"]
    [stop] = [item for item in history if item["kind"] == "stop"]
    assert stop["moderatorName"] == "moderator"
    assert stop["outcome"] == "stopped"


def test_stopped_without_revocation_the_encoder_reconnects_as_a_new_recording(stack):
    token = sign_in(stack)
    channel_arn = channel(stack, "e2e-stop-and-reconnect")
    wait_for(lambda: is_live(stack, channel_arn) and frames_of(stack, channel_arn), 15, "frames")

    response = api(
        stack, "POST", "/stop-stream", token, {"channelArn": channel_arn, "reason": "e2e"}
    )

    assert response.status_code == 200, response.text
    assert not is_live(stack, channel_arn)
    again = api(stack, "POST", "/stop-stream", token, {"channelArn": channel_arn, "reason": "e2e"})
    assert again.status_code == 409  # already offline
    wait_for(lambda: is_live(stack, channel_arn), RECONNECT_AFTER + 10, "the encoder to reconnect")

    def recordings() -> set[str]:
        return {key.split("/")[9] for key in frames_of(stack, channel_arn)}

    wait_for(lambda: len(recordings()) == 2, 10, "frames of a second recording")


def test_a_signed_in_viewer_is_not_a_moderator(stack):
    token = sign_in(stack, "viewer")

    response = api(stack, "POST", "/chat-token", token)

    assert response.status_code == 403


def test_a_second_stack_in_the_same_place_says_so(stack):
    state = pathlib.Path(stack["state_dir"])

    result = subprocess.run(
        command(state, SCENARIO),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "a local stack is already running" in result.stderr
    assert "Traceback" not in result.stderr
