"""The emulator invokes a chat room's message review handler through Lambda's Invoke API.

A fake Lambda (an aiohttp server in the test, serving the Invoke API's path) answers as
each test tells it: ALLOW, DENY, a rewrite, too slowly, with an error, or nonsense. Chat
clients are real WebSockets; the room is set up with boto3.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import aiohttp
import boto3
import pytest
from aiohttp import web
from botocore.config import Config
from local_servers import serve_app
from support import ACCOUNT, REGION

from local.emulator import create_app
from local.headless import free_port

_functions = itertools.count(1)


class FakeLambda:
    """Lambda's Invoke API; each function answers as `behave` declared (by its name)."""

    def __init__(self) -> None:
        self.invocations: list[dict[str, Any]] = []
        self.behaviours: dict[str, dict[str, Any]] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2015-03-31/functions/{name}/invocations", self._invoke)
        return app

    def behave(self, answer: Any = None, **how: Any) -> str:
        """A new function's ARN; it answers `answer` (JSON, or raw bytes), after `delay`
        seconds, with `status` and `headers`."""
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:review-{next(_functions)}"
        self.behaviours[arn] = {"answer": answer, **how}
        return arn

    def of(self, arn: str) -> list[dict[str, Any]]:
        return [invocation for invocation in self.invocations if invocation["function"] == arn]

    async def _invoke(self, request: web.Request) -> web.Response:
        arn = request.match_info["name"]
        self.invocations.append(
            {
                "function": arn,
                "path": request.raw_path,
                "type": request.headers.get("X-Amz-Invocation-Type"),
                "payload": await request.json(),
            }
        )
        how = self.behaviours.get(arn, {"status": 404, "answer": {"Message": "no function"}})
        await asyncio.sleep(how.get("delay", 0))
        answer = how.get("answer")
        body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        return web.Response(
            body=body, status=how.get("status", 200), headers=how.get("headers", {})
        )


@pytest.fixture(scope="module")
def fake_lambda() -> Iterator[tuple[FakeLambda, str]]:
    fake = FakeLambda()
    with serve_app(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
def emulator(fake_lambda) -> Iterator[str]:
    app = create_app(REGION, ACCOUNT, "http://127.0.0.1:9", lambda_endpoint=fake_lambda[1])
    with serve_app(app) as url:
        yield url


def ivschat_client(url: str):
    return boto3.client(
        "ivschat",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def calls(emulator: str, **query: str) -> list[dict[str, Any]]:
    url = f"{emulator}/_emulator/calls?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())["calls"]


def reviews_of(emulator: str, arn: str) -> list[dict[str, Any]]:
    found = calls(emulator, service="lambda", operation="Invoke")
    return [call for call in found if call["params"]["FunctionName"] == arn]


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive(timeout=5)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


def send_one(emulator: str, handler: dict[str, str] | None, message: dict[str, Any]) -> dict:
    """Send `message` to a new room with `handler`: the frame the sender gets back."""
    ivschat = ivschat_client(emulator)
    room = ivschat.create_room(**({"messageReviewHandler": handler} if handler else {}))["arn"]
    token = ivschat.create_chat_token(
        roomIdentifier=room, userId="viewer-7", capabilities=["SEND_MESSAGE"], attributes={"n": "1"}
    )["token"]

    async def scenario() -> dict[str, Any]:
        url = emulator.replace("http://", "ws://") + "/"
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url, protocols=(token,))
            await ws.send_json({"Action": "SEND_MESSAGE", "RequestId": "req-1", **message})
            return {**await receive(ws), "room": room}

    return asyncio.run(scenario())


def test_an_allowing_handler_gets_ivss_request_and_the_message_is_delivered(emulator, fake_lambda):
    fake, _ = fake_lambda
    # GIVEN a room whose handler allows
    arn = fake.behave({"ReviewResult": "ALLOW"})
    # WHEN a message is sent
    frame = send_one(emulator, {"uri": arn}, {"Content": "hello", "Attributes": {"a": "b"}})
    # THEN it is delivered unchanged
    assert (frame["Type"], frame["Content"], frame["Attributes"]) == (
        "MESSAGE",
        "hello",
        {"a": "b"},
    )
    # AND the handler was invoked synchronously with IVS's request, the message's own Id
    [invocation] = fake.of(arn)
    assert invocation["path"] == (
        f"/2015-03-31/functions/{urllib.parse.quote(arn, safe='')}/invocations"
    )
    assert invocation["type"] == "RequestResponse"
    assert invocation["payload"] == {
        "Content": "hello",
        "MessageId": frame["Id"],
        "RoomArn": frame["room"],
        "Attributes": {"a": "b"},
        "Sender": {"Attributes": {"n": "1"}, "UserId": "viewer-7", "Ip": "127.0.0.1"},
    }
    # AND the call log has the review
    [review] = reviews_of(emulator, arn)
    assert (review["outcome"], review["result"]) == ("ok", "ALLOW")
    assert 0 <= review["latencyMs"] < 200


def test_an_allow_with_content_and_attributes_rewrites_the_message(emulator, fake_lambda):
    fake, _ = fake_lambda
    answer = {"ReviewResult": "ALLOW", "Content": "h***o", "Attributes": {"masked": "true"}}
    arn = fake.behave(answer)
    frame = send_one(emulator, {"uri": arn}, {"Content": "hello", "Attributes": {"a": "b"}})
    assert (frame["Content"], frame["Attributes"]) == ("h***o", {"masked": "true"})
    assert reviews_of(emulator, arn)[0]["result"] == "REWRITTEN"


def test_a_deny_answers_error_406_with_the_handlers_reason(emulator, fake_lambda):
    fake, _ = fake_lambda
    arn = fake.behave({"ReviewResult": "DENY", "Attributes": {"Reason": "blocked term"}})
    frame = send_one(emulator, {"uri": arn, "fallbackResult": "ALLOW"}, {"Content": "bad"})
    assert (frame["Type"], frame["ErrorCode"], frame["RequestId"]) == ("ERROR", 406, "req-1")
    assert frame["ErrorMessage"].endswith(": blocked term")
    assert set(frame) - {"room"} == {"Type", "Id", "RequestId", "ErrorCode", "ErrorMessage"}
    assert reviews_of(emulator, arn)[0]["result"] == "DENY"


FAILURES = {
    "slow": ({"answer": {"ReviewResult": "ALLOW"}, "delay": 0.5}, "timeout"),
    "status 500": ({"answer": {"Message": "boom"}, "status": 500}, "error"),
    "function error": (
        {"answer": {"errorMessage": "x"}, "headers": {"X-Amz-Function-Error": "Unhandled"}},
        "error",
    ),
    "not json": ({"answer": b"<html>"}, "invalid"),
    "unknown result": ({"answer": {"ReviewResult": "MAYBE"}}, "invalid"),
    "long content": ({"answer": {"ReviewResult": "ALLOW", "Content": "x" * 501}}, "invalid"),
    "attributes not strings": (
        {"answer": {"ReviewResult": "ALLOW", "Attributes": {"n": 1}}},
        "invalid",
    ),
}


@pytest.mark.parametrize("fallback", ["ALLOW", "DENY"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_review_applies_the_rooms_fallback(emulator, fake_lambda, failure, fallback):
    fake, _ = fake_lambda
    how, outcome = FAILURES[failure]
    # GIVEN a handler that fails this way
    arn = fake.behave(**how)
    # WHEN a message is sent
    frame = send_one(emulator, {"uri": arn, "fallbackResult": fallback}, {"Content": "hi"})
    # THEN the fallback applies: the original message, or ERROR 406
    if fallback == "ALLOW":
        assert (frame["Type"], frame["Content"]) == ("MESSAGE", "hi")
    else:
        assert (frame["Type"], frame["ErrorCode"]) == ("ERROR", 406)
    # AND the review is logged with its outcome, within the 200 ms budget
    [review] = reviews_of(emulator, arn)
    assert (review["outcome"], review["result"]) == (outcome, fallback)
    assert review["latencyMs"] < 400


def test_an_unreachable_lambda_endpoint_applies_the_fallback():
    unreachable = f"http://127.0.0.1:{free_port()}"
    app = create_app(REGION, ACCOUNT, "http://127.0.0.1:9", lambda_endpoint=unreachable)
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gone"
    with serve_app(app) as emulator:
        frame = send_one(emulator, {"uri": arn, "fallbackResult": "DENY"}, {"Content": "hi"})
        [review] = reviews_of(emulator, arn)
    assert (frame["Type"], frame["ErrorCode"]) == ("ERROR", 406)
    assert (review["outcome"], review["result"]) == ("error", "DENY")


def test_without_a_lambda_endpoint_the_fallback_applies_and_nothing_is_invoked():
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:never"
    with serve_app(create_app(REGION, ACCOUNT, "http://127.0.0.1:9")) as emulator:
        denied = send_one(emulator, {"uri": arn, "fallbackResult": "DENY"}, {"Content": "hi"})
        allowed = send_one(emulator, {"uri": arn}, {"Content": "hi"})
        assert calls(emulator, service="lambda") == []
    assert (denied["Type"], denied["ErrorCode"]) == ("ERROR", 406)
    assert (allowed["Type"], allowed["Content"]) == ("MESSAGE", "hi")


def test_a_room_without_a_handler_or_with_a_detached_one_is_not_reviewed(emulator, fake_lambda):
    fake, _ = fake_lambda
    arn = fake.behave({"ReviewResult": "DENY"})
    ivschat = ivschat_client(emulator)
    assert send_one(emulator, None, {"Content": "free"})["Type"] == "MESSAGE"
    room = ivschat.create_room(messageReviewHandler={"uri": arn})["arn"]
    ivschat.update_room(identifier=room, messageReviewHandler={"uri": ""})
    token = ivschat.create_chat_token(
        roomIdentifier=room, userId="u", capabilities=["SEND_MESSAGE"]
    )["token"]

    async def scenario() -> dict[str, Any]:
        url = emulator.replace("http://", "ws://") + "/"
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url, protocols=(token,))
            await ws.send_json({"Action": "SEND_MESSAGE", "Content": "after detach"})
            return await receive(ws)

    assert asyncio.run(scenario())["Content"] == "after detach"
    assert fake.of(arn) == []
