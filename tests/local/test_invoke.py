"""Lambda's Invoke API, served by the relay (local/invoke.py), called with boto3's `lambda`.

Each test builds a small Chalice app of its own, makes its routes with the stack's own
`create_routes` on a real moto server, and serves the Invoke API on a free port, with the
relay's pool behind the asynchronous invokes: the way IVS chat (the review handler) and
CloudWatch Logs (chat logging) reach the app's pure functions in the local stack.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from botocore.config import Config
from chalice import Chalice
from local_servers import aws as local_aws
from support import ACCOUNT, REGION

from local.invoke import Invoker, serve
from local.relay import Relay
from local.resources import create_routes
from local.routes import Function, Routes

_names = itertools.count()


def aws(service: str, endpoint: str):
    return local_aws(service, endpoint, Config(retries={"max_attempts": 1}))


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}-{int(time.time())}"


def named(app: Chalice):
    def function(handler: str) -> Function:
        name = f"{app.app_name}-local-{handler}"
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        return Function(handler, name, arn, timeout_seconds=60, memory_mb=512)

    return function


def routes_of(app: Chalice, moto: str) -> Routes:
    routes, _ = create_routes(
        app,
        aws("events", moto),
        aws("sqs", moto),
        failed_frames_queue=unique("failed-frames"),
        function=named(app),
        region=REGION,
        account=ACCOUNT,
    )
    return routes


@contextmanager
def invoke_api(app: Chalice, moto: str, retry_delays=(0.2, 0.4)) -> Iterator[str]:
    """The Invoke API of the app's functions on a free port; yields its URL."""
    routes = routes_of(app, moto)
    relay = Relay(app, routes, aws("sqs", moto), workers=2)
    stopping = threading.Event()
    invoker = Invoker.for_routes(app, routes, relay.submit, retry_delays, stopping)
    server = serve(invoker, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def review_app() -> Chalice:
    app = Chalice(app_name=unique("review"))

    @app.lambda_function(name="review_chat_message")
    def review_chat_message(event, context):
        return {
            "ReviewResult": "DENY" if "spam" in event["Content"] else "ALLOW",
            "Content": event["Content"],
            "Attributes": {},
            "seenBy": {
                "function": context.function_name,
                "arn": context.invoked_function_arn,
                "memory": context.memory_limit_in_mb,
                "requestId": context.aws_request_id,
            },
        }

    @app.lambda_function(name="explode")
    def explode(event, context):
        raise KeyError("Content")

    return app


def test_a_pure_function_answers_boto3s_invoke_with_its_result_and_a_context_named_as_deployed(
    moto,
):
    # GIVEN an app with a review handler, its Invoke API served
    app = review_app()
    name = f"{app.app_name}-local-review_chat_message"
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    with invoke_api(app, moto) as url:
        client = aws("lambda", url)
        message = {"Content": "hello", "MessageId": "Msg000000001", "Attributes": {}}

        # WHEN it is invoked by name, by ARN, by partial ARN and with $LATEST
        answers = [
            client.invoke(FunctionName=identifier, Payload=json.dumps(message))
            for identifier in (name, arn, f"{ACCOUNT}:function:{name}", f"{name}:$LATEST")
        ]
        qualified = client.invoke(FunctionName=name, Qualifier="$LATEST", Payload=b"")

    # THEN each is 200 with the handler's JSON result, run with the deployed function's context
    for answer in answers:
        assert answer["StatusCode"] == 200
        assert answer["ExecutedVersion"] == "$LATEST"
        assert "FunctionError" not in answer
        result = json.loads(answer["Payload"].read())
        seen = result.pop("seenBy")
        assert result == {"ReviewResult": "ALLOW", "Content": "hello", "Attributes": {}}
        assert seen["function"] == name and seen["arn"] == arn and seen["memory"] == 512
        assert seen["requestId"] == answer["ResponseMetadata"]["RequestId"]
    # an empty payload is the event {}, as in Lambda: the handler's KeyError then says so
    assert qualified["StatusCode"] == 200 and qualified["FunctionError"] == "Unhandled"


def test_an_exception_is_200_with_function_error_unhandled_and_the_runtimes_error_body(moto):
    # GIVEN a function that raises
    app = review_app()
    with invoke_api(app, moto) as url:
        # WHEN it is invoked synchronously
        answer = aws("lambda", url).invoke(
            FunctionName=f"{app.app_name}-local-explode", Payload=b'{"Content": "x"}'
        )

    # THEN Lambda's answer: 200, X-Amz-Function-Error Unhandled, the Python runtime's payload
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    trace = error.pop("stackTrace")
    assert trace and 'raise KeyError("Content")' in trace[-1]
    assert error == {
        "errorMessage": "'Content'",
        "errorType": "KeyError",
        "requestId": answer["ResponseMetadata"]["RequestId"],
    }


def test_an_unknown_function_or_version_is_404_resource_not_found_as_lambda_answers(moto):
    # GIVEN the Invoke API of an app
    app = review_app()
    name = f"{app.app_name}-local-review_chat_message"
    with invoke_api(app, moto) as url:
        client = aws("lambda", url)
        refused = []
        # WHEN a function it does not have, its handler's bare name, another account's
        # function or a version that does not exist is invoked
        for identifier in (
            "no-such-function",
            "review_chat_message",
            f"arn:aws:lambda:{REGION}:999999999999:function:{name}",
            f"{name}:7",
        ):
            with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
                client.invoke(FunctionName=identifier, Payload=b"{}")
            refused.append(caught.value.response)

    # THEN each is 404 ResourceNotFoundException naming the function's ARN
    assert [r["ResponseMetadata"]["HTTPStatusCode"] for r in refused] == [404] * 4
    assert [r["Error"]["Message"] for r in refused] == [
        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:no-such-function",
        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:review_chat_message",
        f"Function not found: arn:aws:lambda:{REGION}:999999999999:function:{name}",
        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:7",
    ]


def test_the_emulators_call_with_a_url_quoted_arn_is_served_and_a_bad_payload_is_refused(moto):
    # GIVEN the review handler's ARN, as a room's messageReviewHandler uri names it
    app = review_app()
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{app.app_name}-local-review_chat_message"
    with invoke_api(app, moto) as url:
        invocations = f"{url}/2015-03-31/functions/{urllib.parse.quote(arn, safe='')}/invocations"

        # WHEN the emulator calls it as IVS chat does, and then sends something not JSON
        allowed = requests.post(
            invocations,
            data=json.dumps({"Content": "buy spam", "Attributes": {}}),
            headers={"X-Amz-Invocation-Type": "RequestResponse"},
            timeout=5,
        )
        garbled = requests.post(invocations, data=b"{not json", timeout=5)

    # THEN the first is the handler's answer; the second Lambda's InvalidRequestContentException
    assert allowed.status_code == 200 and allowed.json()["ReviewResult"] == "DENY"
    assert "X-Amz-Function-Error" not in allowed.headers
    assert garbled.status_code == 400
    assert garbled.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
    assert garbled.json()["message"].startswith("Could not parse request body into json")


def test_an_event_invoke_is_202_runs_in_the_pool_and_a_failure_is_tried_again(moto):
    # GIVEN a log subscriber that fails on its first attempt, and one that always fails
    app = Chalice(app_name=unique("logs"))
    calls: list[tuple[str, str, str]] = []

    @app.lambda_function(name="chat_log_received")
    def chat_log_received(event, context):
        calls.append(("received", context.aws_request_id, threading.current_thread().name))
        if len([c for c in calls if c[0] == "received"]) == 1:
            raise ConnectionError("SQS is down")
        return None

    @app.lambda_function(name="always_fails")
    def always_fails(event, context):
        calls.append(("fails", context.aws_request_id, threading.current_thread().name))
        raise RuntimeError("broken")

    with invoke_api(app, moto, retry_delays=(0.2, 0.3)) as url:
        client = aws("lambda", url)
        # WHEN each is invoked asynchronously, as CloudWatch Logs invokes a subscription
        started = time.monotonic()
        queued = client.invoke(
            FunctionName=f"{app.app_name}-local-chat_log_received",
            InvocationType="Event",
            Payload=json.dumps({"awslogs": {"data": ""}}),
        )
        answered = time.monotonic() - started
        dropped = client.invoke(
            FunctionName=f"{app.app_name}-local-always_fails", InvocationType="Event"
        )

        # THEN both are 202 at once; the first succeeds on its 2nd attempt, the other
        # is tried 3 times, all in the relay's pool, each invoke keeping its request id
        wait_for(lambda: len(calls) == 5, 5, "two and three attempts")
        time.sleep(0.6)  # and no more

    assert queued["StatusCode"] == dropped["StatusCode"] == 202
    assert answered < 0.5
    assert len(calls) == 5
    assert {thread.split("_")[0] for _, _, thread in calls} == {"invoke"}
    received = [request_id for kind, request_id, _ in calls if kind == "received"]
    fails = [request_id for kind, request_id, _ in calls if kind == "fails"]
    assert received == [queued["ResponseMetadata"]["RequestId"]] * 2
    assert fails == [dropped["ResponseMetadata"]["RequestId"]] * 3


def test_an_event_invoke_that_fails_every_attempt_is_logged_as_dropped(moto, caplog):
    # GIVEN a function that always fails
    app = Chalice(app_name=unique("drops"))

    @app.lambda_function(name="always_fails")
    def always_fails(event, context):
        raise RuntimeError("broken")

    with caplog.at_level(logging.INFO, "local.relay"), invoke_api(app, moto, (0, 0)) as url:
        # WHEN it is invoked asynchronously
        aws("lambda", url).invoke(
            FunctionName=f"{app.app_name}-local-always_fails", InvocationType="Event"
        )

        # THEN after its third attempt the relay says, as an error, that it dropped it
        dropped = wait_for(
            lambda: [r for r in caplog.records if r.getMessage().startswith("EVENT DROPPED")],
            5,
            "the drop to be logged",
        )
    [record] = dropped
    assert record.levelno == logging.ERROR
    assert "always_fails failed 3 times" in record.getMessage()
    assert "RuntimeError: broken" in record.getMessage()


def test_a_dry_run_is_204_and_runs_nothing_and_a_result_that_is_not_json_is_a_marshal_error(
    moto,
):
    # GIVEN a function whose result JSON cannot carry
    app = Chalice(app_name=unique("dry"))
    runs: list[dict] = []

    @app.lambda_function(name="returns_a_set")
    def returns_a_set(event, context):
        runs.append(event)
        return {"ids": {1, 2}}

    name = f"{app.app_name}-local-returns_a_set"
    with invoke_api(app, moto) as url:
        client = aws("lambda", url)
        # WHEN it is invoked with DryRun, then synchronously
        dry = client.invoke(FunctionName=name, InvocationType="DryRun", Payload=b"{}")
        assert runs == []
        answer = client.invoke(FunctionName=name, Payload=b'{"n": 1}')

    # THEN the dry run is 204; the real one Lambda's Runtime.MarshalError
    assert dry["StatusCode"] == 204
    assert runs == [{"n": 1}]
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"].startswith("Unable to marshal response: ")
