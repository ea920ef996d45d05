"""Conformance against a client nobody here wrote: the official IVS chat messaging SDK.

`amazon-ivs-chat-messaging` (npm, installed by `make test` into tests/conformance/) runs
under Node, connects to the emulator's WebSocket with a token from CreateChatToken, and
must receive, as the SDK parses it, an event sent with boto3's `ivschat.send_event`; and,
in a room whose review handler (a fake Lambda served here, on the Invoke API's path)
denies, see its sendMessage rejected with ERROR 406, a handler slower than 200 ms take the
room's fallback, and a DeleteMessage arrive as the `aws:DELETE_MESSAGE` (messageDelete).
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import boto3
import pytest
import requests
from aiohttp import web

from local.headless import free_port

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REVIEWER = "arn:aws:lambda:us-west-2:123456789012:function:review_chat_message"


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    yield from run_emulator()


def run_emulator(*options: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.emulator", "--host", "127.0.0.1", "--port", str(port),
         "--s3-endpoint", "http://127.0.0.1:9", "--region", "us-west-2",
         "--account", "123456789012", *options],
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


async def review(request: web.Request) -> web.Response:
    """A review handler: DENY with a reason for "bad", DENY too late for "slow", else ALLOW."""
    assert request.match_info["name"] == REVIEWER
    assert request.headers["X-Amz-Invocation-Type"] == "RequestResponse"
    content = (await request.json())["Content"]
    if "slow" in content:
        await asyncio.sleep(0.5)  # past IVS's 200 ms: the room's fallback applies
        return web.json_response({"ReviewResult": "DENY"})
    if "bad" in content:
        return web.json_response({"ReviewResult": "DENY", "Attributes": {"Reason": "blocked"}})
    return web.json_response({"ReviewResult": "ALLOW"})


@pytest.fixture(scope="module")
def fake_lambda() -> Iterator[str]:
    """Lambda's Invoke API for REVIEWER, from an event loop in a thread of the test."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    app = web.Application()
    app.router.add_post("/2015-03-31/functions/{name}/invocations", review)
    runner = web.AppRunner(app, access_log=None)
    port = free_port()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def reviewing_emulator(fake_lambda: str) -> Iterator[str]:
    yield from run_emulator("--lambda-endpoint", fake_lambda)


def test_the_official_sdk_sees_review_denials_fallbacks_and_deleted_messages(
    reviewing_emulator,
):
    node = shutil.which("node")
    assert node, "Node.js is required (the project's machines have it)"
    assert (HERE / "node_modules" / "amazon-ivs-chat-messaging").is_dir(), "run `make test`"
    # GIVEN a room whose review handler denies "bad", is too slow for "slow", with fallback ALLOW
    chat = boto3.client("ivschat", endpoint_url=reviewing_emulator)
    room = chat.create_room(
        name="viewers", messageReviewHandler={"uri": REVIEWER, "fallbackResult": "ALLOW"}
    )["arn"]
    token = chat.create_chat_token(
        roomIdentifier=room, userId="viewer-1", capabilities=["SEND_MESSAGE"]
    )
    ws_url = reviewing_emulator.replace("http://", "ws://")
    # WHEN the SDK sends the three messages
    sdk = subprocess.Popen(
        [node, "moderate-messages.mjs", ws_url, token["token"],
         token["tokenExpirationTime"].isoformat(), token["sessionExpirationTime"].isoformat(),
         "a bad word", "slow down", "fine"],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        lines = [json.loads(sdk.stdout.readline()) for _ in range(5)]
        # AND a moderator deletes the allowed one
        if lines[-1] == {"state": "waiting"} and lines[3].get("state") == "sent":
            chat.delete_message(roomIdentifier=room, id=lines[3]["id"], reason="spam")
        deleted = json.loads(sdk.stdout.readline())
        sdk.wait(timeout=10)
    finally:
        sdk.kill()
        stderr = sdk.stderr.read()

    assert sdk.returncode == 0, (lines, stderr)
    connected, denied, slow, fine, waiting = lines
    assert connected == {"state": "connected"} and waiting == {"state": "waiting"}
    # THEN the denied message's promise rejects with the 406 ChatError, carrying the reason
    assert denied["state"] == "rejected" and denied["errorCode"] == 406, denied
    assert denied["errorMessage"].endswith("blocked") and denied["requestId"]
    # AND the slow review took the fallback (ALLOW), the fine one was allowed
    assert (slow["state"], slow["content"]) == ("sent", "slow down")
    assert (fine["state"], fine["content"]) == ("sent", "fine")
    # AND the deletion reached the SDK as its messageDelete event
    assert deleted["state"] == "deleted"
    assert (deleted["messageId"], deleted["reason"]) == (fine["id"], "spam")
