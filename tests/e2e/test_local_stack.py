"""End to end through the local stack, as a moderator and as IVS would use it.

The stack (local/stack.py) runs headless on free ports for this module: moto server, the
emulator, the relay running the production handler, `chalice local`, and the simulator
with the channels of tests/e2e/scenario.json. Everything here goes over real HTTP and
WebSocket connections; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import aiohttp
import boto3
import pytest
import requests
from botocore.exceptions import ClientError

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "e2e" / "scenario.json"
RECONNECT_AFTER = json.loads(SCENARIO.read_text())["reconnect_after_seconds"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stack_command(state: pathlib.Path, *ports: int) -> list[str]:
    api, moto, emulator = ports
    return [
        sys.executable, "-m", "local.stack", "--headless", "--scenario", str(SCENARIO),
        "--state-dir", str(state), "--api-port", str(api), "--moto-port", str(moto),
        "--emulator-port", str(emulator),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[dict]:
    state = tmp_path_factory.mktemp("stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    output = open(state / "launcher.log", "w")  # noqa: SIM115 - closed below
    command = stack_command(state, free_port(), free_port(), free_port())
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    deadline = time.monotonic() + 120
    while not (state / "stack.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            logs = "\n".join(
                f"--- {path.name}\n{path.read_text()[-3000:]}"
                for path in sorted(state.rglob("*.log"))
            )
            pytest.fail(f"the local stack did not start:\n{logs}")
        time.sleep(0.2)
    info = json.loads((state / "stack.json").read_text())
    info["state_dir"] = str(state)
    yield info
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    output.close()


def aws(stack: dict, service: str):
    endpoint = stack["emulator_url"] if service in ("ivs", "ivschat") else stack["aws_endpoint_url"]
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=stack["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def sign_in(stack: dict, user: str = "moderator") -> str:
    """A user pool ID token, from moto's Cognito, as the dashboard would get it."""
    result = aws(stack, "cognito-idp").initiate_auth(
        ClientId=stack["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": stack[user]["username"], "PASSWORD": stack[user]["password"]},
    )
    return result["AuthenticationResult"]["IdToken"]


def api(stack: dict, method: str, path: str, token: str, body: dict | None = None):
    return requests.request(
        method,
        stack["api_url"] + path,
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        timeout=10,
    )


def thumbnail_key(stack: dict, channel_id: str, sequence: int) -> str:
    return (
        f"ivs/v1/{stack['account']}/{channel_id}/2026/11/21/9/58/RecE2e000001"
        f"/media/thumbnails/thumb{sequence}.jpg"
    )


def jpeg() -> bytes:
    from local.simulator import thumbnail

    return thumbnail("e2e", int(time.time() * 1000) % 100000, violating=False)


def write_frame(stack: dict, key: str, labels: list[dict]) -> float:
    """Declare the frame's labels to the emulator, write it as IVS would; when it was written."""
    requests.put(
        f"{stack['emulator_url']}/_emulator/labels", json={"key": key, "labels": labels}, timeout=5
    ).raise_for_status()
    written = time.monotonic()
    aws(stack, "s3").put_object(Bucket=stack["recording_bucket"], Key=key, Body=jpeg())
    return written


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


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def channel(stack: dict, name: str) -> str:
    return next(c["channelArn"] for c in stack["channels"] if c["name"] == name)


def is_live(stack: dict, channel_arn: str) -> bool:
    try:
        aws(stack, "ivs").get_stream(channelArn=channel_arn)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ChannelNotBroadcasting"
        return False
    return True


def frames_of(stack: dict, channel_arn: str) -> list[str]:
    account, channel_id = channel_arn.split(":")[4], channel_arn.rsplit("/", 1)[1]
    pages = (
        aws(stack, "s3")
        .get_paginator("list_objects_v2")
        .paginate(Bucket=stack["recording_bucket"], Prefix=f"ivs/v1/{account}/{channel_id}/")
    )
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


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
            items = api(stack, "GET", f"/decisions?channelArn={channel_arn}", token).json()["items"]
            return items

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
        stack_command(state, free_port(), free_port(), free_port()),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "a local stack is already running" in result.stderr
    assert "Traceback" not in result.stderr
