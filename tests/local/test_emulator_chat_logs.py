"""Chat logging: delivered frames become IVS's log records, and subscriptions receive them.

A room names a CloudWatch Logs logging configuration; what it delivers is kept by the
emulator (GET /_emulator/logs), written to moto's CloudWatch Logs when the emulator has a
logs endpoint, and sent every second to the log group's subscriptions as Lambda's
CloudWatch Logs event, through the fake Lambda of test_emulator_review.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import boto3
import pytest
from local_servers import moto_server, serve_app
from support import ACCOUNT, REGION
from test_emulator_review import FakeLambda, ivschat_client, receive

from local.emulator import create_app
from local.emulator.chatlogs import DELIVERY_ATTEMPTS


@pytest.fixture(scope="module")
def logs_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def fake_lambda() -> Iterator[tuple[FakeLambda, str]]:
    fake = FakeLambda()
    with serve_app(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
def emulator(fake_lambda, logs_endpoint) -> Iterator[str]:
    app = create_app(
        REGION,
        ACCOUNT,
        "http://127.0.0.1:9",
        lambda_endpoint=fake_lambda[1],
        logs_endpoint=logs_endpoint,
    )
    with serve_app(app) as url:
        yield url


def admin(emulator: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{emulator}/_emulator/{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def eventually(check: Callable[[], Any], seconds: float = 6) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)
    return result


def logged_room(emulator: str, group: str, **room: Any) -> str:
    ivschat = ivschat_client(emulator)
    config = ivschat.create_logging_configuration(
        destinationConfiguration={"cloudWatchLogs": {"logGroupName": group}}
    )["arn"]
    return ivschat.create_room(loggingConfigurationIdentifiers=[config], **room)["arn"]


def chat(emulator: str, room: str, *contents: str) -> list[dict[str, Any]]:
    """Send each content in turn; the frames the sender gets back."""
    token = ivschat_client(emulator).create_chat_token(
        roomIdentifier=room, userId="viewer-3", capabilities=["SEND_MESSAGE"], attributes={"a": "1"}
    )["token"]

    async def scenario() -> list[dict[str, Any]]:
        url = emulator.replace("http://", "ws://") + "/"
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url, protocols=(token,))
            frames = []
            for index, content in enumerate(contents):
                await ws.send_json(
                    {"Action": "SEND_MESSAGE", "Content": content, "RequestId": f"r{index}"}
                )
                frames.append(await receive(ws))
            return frames

    return asyncio.run(scenario())


def log_events(emulator: str, group: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"logGroupName": group})
    return admin(emulator, "GET", f"logs?{query}")[1]["events"]


def test_delivered_messages_and_events_are_logged_as_ivs_records(emulator):
    # GIVEN a room logging to a CloudWatch Logs group
    room = logged_room(emulator, "/ivs/chat/records")
    room_id = room.rpartition("/")[2]
    # WHEN a message is sent and an event sent through the control plane
    [frame] = chat(emulator, room, "hello")
    ivschat_client(emulator).send_event(roomIdentifier=room, eventName="NOTICE")
    # THEN both are records in the room's log stream, in IVS's format
    message, event = log_events(emulator, "/ivs/chat/records")
    assert message["logStream"] == event["logStream"] == f"aws/IVSChatLogs/1.0/room_{room_id}"
    record = json.loads(message["message"])
    assert record == {
        "event_timestamp": frame["SendTime"],
        "type": "MESSAGE",
        "version": "1.0",
        "payload": {
            "Type": "MESSAGE",
            "Id": frame["Id"],
            "RequestId": "r0",
            "Attributes": {},
            "Content": "hello",
            "SendTime": frame["SendTime"],
            "Sender": {"UserId": "viewer-3", "Attributes": {"a": "1"}},
        },
    }
    assert json.loads(event["message"])["type"] == "EVENT"
    assert json.loads(event["message"])["payload"]["EventName"] == "NOTICE"


def test_a_denied_message_is_not_logged(emulator, fake_lambda):
    fake, _ = fake_lambda
    arn = fake.behave({"ReviewResult": "DENY"})
    room = logged_room(emulator, "/ivs/chat/denied", messageReviewHandler={"uri": arn})
    [frame] = chat(emulator, room, "nope")
    assert frame["ErrorCode"] == 406
    assert log_events(emulator, "/ivs/chat/denied") == []


def test_records_are_written_to_cloudwatch_logs(emulator, logs_endpoint):
    # GIVEN the log group exists in moto's CloudWatch Logs
    logs = boto3.client(
        "logs",
        endpoint_url=logs_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    logs.create_log_group(logGroupName="/ivs/chat/moto")
    room = logged_room(emulator, "/ivs/chat/moto")
    # WHEN a message is delivered
    chat(emulator, room, "to moto")
    stream = f"aws/IVSChatLogs/1.0/room_{room.rpartition('/')[2]}"

    def written() -> list[dict]:
        try:
            return logs.get_log_events(logGroupName="/ivs/chat/moto", logStreamName=stream)[
                "events"
            ]
        except logs.exceptions.ResourceNotFoundException:
            return []

    # THEN within a flush it is in the room's stream there
    [event] = eventually(written)
    assert json.loads(event["message"])["payload"]["Content"] == "to moto"


def test_a_subscription_receives_the_records_as_lambdas_cloudwatch_logs_event(
    emulator, fake_lambda
):
    fake, _ = fake_lambda
    # GIVEN a function subscribed to a room's log group
    function = fake.behave(None, status=202)
    body = {"logGroupName": "/ivs/chat/subscribed", "functionArn": function}
    status, subscribed = admin(emulator, "POST", "logs/subscriptions", body)
    assert status == 200 and subscribed["filterName"]
    listed = admin(emulator, "GET", "logs/subscriptions")[1]["subscriptions"]
    assert {**body, "filterName": subscribed["filterName"]} in listed
    room = logged_room(emulator, "/ivs/chat/subscribed")
    # WHEN two messages are delivered
    frames = chat(emulator, room, "one", "two")
    # THEN the function is invoked asynchronously with both, gzipped and base64-encoded
    invocations = eventually(lambda: fake.of(function))
    assert {invocation["type"] for invocation in invocations} == {"Event"}
    datas = [
        json.loads(gzip.decompress(base64.b64decode(i["payload"]["awslogs"]["data"])))
        for i in invocations
    ]
    assert {data["messageType"] for data in datas} == {"DATA_MESSAGE"}
    assert datas[0]["owner"] == ACCOUNT
    assert datas[0]["logGroup"] == "/ivs/chat/subscribed"
    assert datas[0]["logStream"] == f"aws/IVSChatLogs/1.0/room_{room.rpartition('/')[2]}"
    assert datas[0]["subscriptionFilters"] == [subscribed["filterName"]]
    events = [event for data in datas for event in data["logEvents"]]
    assert [json.loads(event["message"])["payload"]["Id"] for event in events] == [
        frame["Id"] for frame in frames
    ]
    assert all(isinstance(event["timestamp"], int) and event["id"] for event in events)
    # AND an unsubscribed function receives nothing more
    query = urllib.parse.urlencode({"functionArn": function})
    assert admin(emulator, "DELETE", f"logs/subscriptions?{query}")[0] == 204
    before = len(fake.of(function))
    chat(emulator, room, "three")
    time.sleep(1.5)
    assert len(fake.of(function)) == before


def test_a_failing_subscription_is_retried_then_counted_never_silently_dropped(
    emulator, fake_lambda
):
    fake, _ = fake_lambda
    function = fake.behave({"Message": "down"}, status=500)
    body = {"logGroupName": "/ivs/chat/failing", "functionArn": function}
    assert admin(emulator, "POST", "logs/subscriptions", body)[0] == 200
    failed_before = admin(emulator, "GET", "state")[1]["chatLogs"]["failed"]
    room = logged_room(emulator, "/ivs/chat/failing")
    chat(emulator, room, "lost")

    def failed() -> int:
        return admin(emulator, "GET", "state")[1]["chatLogs"]["failed"] - failed_before

    assert eventually(failed) == 1
    assert len(fake.of(function)) == DELIVERY_ATTEMPTS
    outcomes = [
        call["outcome"]
        for call in admin(emulator, "GET", "calls?service=lambda")[1]["calls"]
        if call["params"]["FunctionName"] == function
    ]
    assert outcomes == ["error"]
    admin(emulator, "DELETE", "logs/subscriptions?" + urllib.parse.urlencode(body))


@pytest.mark.parametrize(
    "body", [{"logGroupName": "g"}, {"functionArn": "f"}, {"logGroupName": "", "functionArn": "f"}]
)
def test_subscriptions_are_checked(emulator, body):
    status, answer = admin(emulator, "POST", "logs/subscriptions", body)
    assert status == 400 and answer["message"]


def test_without_a_lambda_endpoint_subscriptions_are_refused():
    with serve_app(create_app(REGION, ACCOUNT, "http://127.0.0.1:9")) as emulator:
        body = {"logGroupName": "g", "functionArn": "arn:aws:lambda:us-west-2:1:function:f"}
        status, answer = admin(emulator, "POST", "logs/subscriptions", body)
    assert status == 409 and "lambda-endpoint" in answer["message"]
