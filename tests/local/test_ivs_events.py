"""The emulator puts IVS Stream State Change events on EventBridge, as IVS does.

A small EventBridge stand-in (PutEvents only) records what the emulator sends, so the
tests see the exact entries; test_relay.py follows the same events through moto's
EventBridge to a handler.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from aiohttp import web
from local_servers import serve_app
from support import ACCOUNT, REGION

from local.emulator import create_app
from local.headless import free_port

NO_S3 = "http://127.0.0.1:9"  # these tests read no images


class PutEventsCatcher:
    """EventBridge's PutEvents on awsJson1_1, answering as EventBridge does, or failing."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.failing = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self.put_events)
        return app

    async def put_events(self, request: web.Request) -> web.Response:
        assert request.headers["X-Amz-Target"] == "AWSEvents.PutEvents"
        if self.failing:
            return web.json_response(
                {"__type": "InternalException", "message": "EventBridge is down"},
                status=500,
                content_type="application/x-amz-json-1.1",
            )
        entries = json.loads(await request.read())["Entries"]
        self.entries.extend(entries)
        answer = {
            "FailedEntryCount": 0,
            "Entries": [{"EventId": str(uuid.uuid4())} for _ in entries],
        }
        return web.json_response(answer, content_type="application/x-amz-json-1.1")


@pytest.fixture
def catcher() -> Iterator[tuple[PutEventsCatcher, str]]:
    caught = PutEventsCatcher()
    with serve_app(caught.app()) as url:
        yield caught, url


@pytest.fixture
def emulator(catcher) -> Iterator[str]:
    with serve_app(create_app(REGION, ACCOUNT, NO_S3, events_endpoint=catcher[1])) as url:
        yield url


def ivs_client(emulator: str):
    return boto3.client(
        "ivs",
        endpoint_url=emulator,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def encoder(emulator: str, action: str, body: dict) -> requests.Response:
    response = requests.post(f"{emulator}/_emulator/encoder/{action}", json=body, timeout=5)
    response.raise_for_status()
    return response


def caught(catcher: PutEventsCatcher, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while len(catcher.entries) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # and nothing more
    return catcher.entries


def entry(arn: str, name: str, stream_id: str, event_name: str) -> dict[str, Any]:
    """A PutEvents entry as IVS's documented event makes it (without its Time)."""
    detail = {"event_name": event_name, "channel_name": name, "stream_id": stream_id}
    return {
        "Source": "aws.ivs",
        "DetailType": "IVS Stream State Change",
        "Resources": [arn],
        "Detail": json.dumps(detail),
    }


def test_an_encoder_connecting_then_disconnecting_puts_three_events_in_order(catcher, emulator):
    ivs = ivs_client(emulator)
    created = ivs.create_channel(name="arena")
    arn = created["channel"]["arn"]

    stream_id = encoder(emulator, "connect", {"streamKey": created["streamKey"]["value"]}).json()[
        "streamId"
    ]
    started = ivs.get_stream(channelArn=arn)["stream"]["startTime"].timestamp()
    before_end = time.time()
    encoder(emulator, "disconnect", {"channelArn": arn})
    encoder(emulator, "disconnect", {"channelArn": arn})  # offline already: no event

    entries = caught(catcher[0], 3)

    times = [caught_entry.pop("Time") for caught_entry in entries]
    assert entries == [
        entry(arn, "arena", stream_id, "Session Created"),
        entry(arn, "arena", stream_id, "Stream Start"),
        entry(arn, "arena", stream_id, "Stream End"),
    ]
    assert abs(times[0] - started) < 0.001 and abs(times[1] - started) < 0.001
    assert before_end - 1 <= times[2] <= time.time() + 1


def test_stop_stream_puts_stream_end(catcher, emulator):
    ivs = ivs_client(emulator)
    created = ivs.create_channel(name="")
    arn = created["channel"]["arn"]
    stream_id = encoder(emulator, "connect", {"streamKey": created["streamKey"]["value"]}).json()[
        "streamId"
    ]
    caught(catcher[0], 2)

    ivs.stop_stream(channelArn=arn)

    entries = caught(catcher[0], 3)
    assert len(entries) == 3
    entries[2].pop("Time")
    assert entries[2] == entry(arn, "", stream_id, "Stream End")


def test_events_are_best_effort_a_failing_eventbridge_is_logged_not_fatal(
    catcher, emulator, caplog
):
    ivs = ivs_client(emulator)
    catcher[0].failing = True
    created = ivs.create_channel(name="unlucky")

    def events_state() -> dict:
        return requests.get(f"{emulator}/_emulator/state", timeout=5).json()["events"]

    with caplog.at_level(logging.WARNING, "local.emulator.events"):
        started = time.monotonic()
        encoder(emulator, "connect", {"streamKey": created["streamKey"]["value"]})
        answered = time.monotonic() - started
        deadline = time.monotonic() + 10
        while events_state()["failed"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)

    assert answered < 1  # nothing waits for EventBridge
    assert ivs.get_stream(channelArn=created["channel"]["arn"])["stream"]["state"] == "LIVE"
    assert events_state() == {"endpoint": catcher[1], "sent": 0, "failed": 2}
    warnings = [r.getMessage() for r in caplog.records if r.name == "local.emulator.events"]
    assert len(warnings) == 2 and all("dropped IVS Stream State Change" in w for w in warnings)


def test_without_an_events_endpoint_nothing_is_sent():
    with serve_app(create_app(REGION, ACCOUNT, NO_S3)) as emulator:
        ivs = ivs_client(emulator)
        created = ivs.create_channel(name="quiet")
        encoder(emulator, "connect", {"streamKey": created["streamKey"]["value"]})
        ivs.stop_stream(channelArn=created["channel"]["arn"])

        state = requests.get(f"{emulator}/_emulator/state", timeout=5).json()["events"]

    assert state == {"endpoint": None, "sent": 0, "failed": 0}


def test_an_unreachable_eventbridge_does_not_stop_the_emulator():
    nowhere = f"http://127.0.0.1:{free_port()}"
    with serve_app(create_app(REGION, ACCOUNT, NO_S3, events_endpoint=nowhere)) as emulator:
        ivs = ivs_client(emulator)
        created = ivs.create_channel(name="offline-bus")
        encoder(emulator, "connect", {"streamKey": created["streamKey"]["value"]})

        assert ivs.get_stream(channelArn=created["channel"]["arn"])["stream"]["state"] == "LIVE"
