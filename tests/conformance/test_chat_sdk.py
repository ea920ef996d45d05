"""Conformance against a client nobody here wrote: the official IVS chat messaging SDK.

`amazon-ivs-chat-messaging` (npm, installed by `make test` into tests/conformance/) runs
under Node, connects to the emulator's WebSocket with a token from CreateChatToken, and
must receive, as the SDK parses it, an event sent with boto3's `ivschat.send_event`.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime

import boto3
import pytest
import requests

from local.headless import free_port

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.emulator", "--host", "127.0.0.1", "--port", str(port),
         "--s3-endpoint", "http://127.0.0.1:9", "--region", "us-west-2",
         "--account", "123456789012"],
        cwd=ROOT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{url}/_emulator/health", timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "emulator did not start"
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_the_official_sdk_receives_an_event_sent_with_boto3(emulator):
    node = shutil.which("node")
    assert node, "Node.js is required (the project's machines have it)"
    assert (HERE / "node_modules" / "amazon-ivs-chat-messaging").is_dir(), "run `make test`"
    chat = boto3.client("ivschat", endpoint_url=emulator)
    room = chat.create_room(name="moderators")["arn"]
    token = chat.create_chat_token(roomIdentifier=room, userId="moderator-1", capabilities=[])
    ws_url = emulator.replace("http://", "ws://")

    sdk = subprocess.Popen(
        [node, "receive-event.mjs", ws_url, token["token"],
         token["tokenExpirationTime"].isoformat(), token["sessionExpirationTime"].isoformat()],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert json.loads(sdk.stdout.readline()) == {"state": "connected"}
        sent = chat.send_event(
            roomIdentifier=room,
            eventName="STREAM_MODERATION",
            attributes={"channelArn": "arn:aws:ivs:us-west-2:123456789012:channel/AbCd", "n": "1"},
        )
        received = json.loads(sdk.stdout.readline())
        sdk.wait(timeout=10)
    finally:
        sdk.kill()
        stderr = sdk.stderr.read()

    assert sdk.returncode == 0, stderr
    assert received["state"] == "event"
    assert received["eventName"] == "STREAM_MODERATION"
    assert received["id"] == sent["id"]
    assert received["attributes"] == {
        "channelArn": "arn:aws:ivs:us-west-2:123456789012:channel/AbCd",
        "n": "1",
    }
    assert datetime.fromisoformat(received["sendTime"].replace("Z", "+00:00"))
