"""The relay plays Lambda for the app's event handlers, over a real moto server.

Each test builds a small Chalice app of its own, creates its rules and queues with the
stack's own `create_routes`, and runs the relay in a thread. Events reach it the way they
do in the local stack: S3 or the emulator put them on moto's EventBridge, the app's rule
routes them to a queue; or a message is sent to an on_sqs_message handler's queue.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from chalice import Chalice
from local_servers import aws, serve_app
from support import ACCOUNT, REGION

from local.emulator import create_app
from local.relay import MAX_ATTEMPTS, Relay
from local.resources import create_recording_bucket, create_routes
from local.routes import Function, Routes

_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}-{int(time.time())}"


def function(app: Chalice):
    def named(handler: str) -> Function:
        name = f"{app.app_name}-local-{handler}"
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        return Function(handler, name, arn, timeout_seconds=60, memory_mb=512)

    return named


@contextmanager
def relaying(app: Chalice, moto: str, failed_frames: str, **options: Any) -> Iterator[Routes]:
    """The app's rules and queues on moto, and the relay running until the block ends."""
    sqs = aws("sqs", moto)
    routes, _ = create_routes(
        app,
        aws("events", moto),
        sqs,
        failed_frames_queue=failed_frames,
        function=function(app),
        region=REGION,
        account=ACCOUNT,
    )
    assert Routes.from_json(routes.to_json()) == routes  # what the stack hands the relay
    stopping = threading.Event()
    relay = Relay(app, routes, sqs, workers=4, **options)
    thread = threading.Thread(target=relay.run, args=(stopping,), daemon=True)
    thread.start()
    try:
        yield routes
    finally:
        stopping.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the relay did not stop"


def wait_for(condition, timeout: float = 10.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def depth(sqs, queue_url: str) -> int:
    """Messages in a queue, visible or being handled."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(count) for count in attributes.values())


def receive_all(sqs, queue_url: str, wait: int = 1) -> list[dict]:
    return sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=wait,
        MessageAttributeNames=["All"],
    ).get("Messages", [])


def bucket_with_events(moto: str) -> str:
    bucket = unique("frames")
    create_recording_bucket(aws("s3", moto), bucket, REGION)
    return bucket


def object_created_pattern(bucket: str) -> dict:
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}},
    }


# --- asynchronous invokes (on_cw_event) ----------------------------------------------------


def test_a_handler_failing_every_time_is_tried_three_times_then_one_invocation_record(moto):
    # GIVEN a thumbnail handler that always fails, and a bucket whose writes reach its rule
    app = Chalice(app_name=unique("always-fails"))
    bucket = bucket_with_events(moto)
    attempts: list[tuple[float, str, str]] = []

    @app.on_cw_event(object_created_pattern(bucket))
    def moderate_thumbnail(event):
        context = event.context
        attempts.append((time.monotonic(), context.aws_request_id, context.function_name))
        raise RuntimeError("Rekognition is down")

    failed_frames = unique("failed-frames")
    sqs = aws("sqs", moto)
    with relaying(app, moto, failed_frames, retry_delays=(1, 2)) as routes:
        [route] = routes.events

        # WHEN a thumbnail is written
        aws("s3", moto).put_object(Bucket=bucket, Key="thumb1.jpg", Body=b"jpeg")

        # THEN after three attempts, one record reaches the on-failure destination
        failed_frames_url = sqs.get_queue_url(QueueName=failed_frames)["QueueUrl"]
        [message] = wait_for(lambda: receive_all(sqs, failed_frames_url), 15, "the record")
        assert receive_all(sqs, failed_frames_url) == []  # exactly one
        wait_for(lambda: depth(sqs, route.queue_url) == 0, 5, "the event to be deleted")
        assert depth(sqs, route.dead_letter_url) == 0

    assert len(attempts) == MAX_ATTEMPTS == 3
    assert {name for _, _, name in attempts} == {f"{app.app_name}-local-moderate_thumbnail"}
    [request_id] = {request_id for _, request_id, _ in attempts}  # one invoke, retried
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= 1 and gaps[1] >= 2  # the retry delays, scaled down from Lambda's

    record = json.loads(message["Body"])
    event = record.pop("requestPayload")
    response = record.pop("responsePayload")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record.pop("timestamp"))
    assert record == {
        "version": "1.0",
        "requestContext": {
            "requestId": request_id,
            "functionArn": (
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
                f"{app.app_name}-local-moderate_thumbnail:$LATEST"
            ),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
    }
    assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
    assert event["detail"]["object"]["key"] == "thumb1.jpg"
    assert event["account"] == ACCOUNT
    assert (
        response.pop("stackTrace")[-1].strip().endswith('raise RuntimeError("Rekognition is down")')
    )
    assert response == {
        "errorMessage": "Rekognition is down",
        "errorType": "RuntimeError",
        "requestId": request_id,
    }


def test_a_handler_that_fails_once_succeeds_on_the_second_attempt_and_nothing_is_recorded(moto):
    app = Chalice(app_name=unique("fails-once"))
    bucket = bucket_with_events(moto)
    keys: list[str] = []

    @app.on_cw_event(object_created_pattern(bucket))
    def moderate_thumbnail(event):
        keys.append(event.detail["object"]["key"])
        if len(keys) == 1:
            raise TimeoutError("read timed out")

    failed_frames = unique("failed-frames")
    sqs = aws("sqs", moto)
    with relaying(app, moto, failed_frames, retry_delays=(0, 0)) as routes:
        aws("s3", moto).put_object(Bucket=bucket, Key="thumb2.jpg", Body=b"jpeg")

        wait_for(lambda: len(keys) == 2, 10, "the second attempt")
        wait_for(lambda: depth(sqs, routes.events[0].queue_url) == 0, 5, "the event deleted")

    time.sleep(0.5)
    assert keys == ["thumb2.jpg", "thumb2.jpg"]
    assert receive_all(sqs, sqs.get_queue_url(QueueName=failed_frames)["QueueUrl"], 0) == []


def test_what_the_on_failure_destination_cannot_take_goes_to_the_dead_letter_queue_loudly(
    moto, caplog
):
    app = Chalice(app_name=unique("no-destination"))
    bucket = bucket_with_events(moto)

    @app.on_cw_event(object_created_pattern(bucket))
    def moderate_thumbnail(event):
        raise ValueError("not a JPEG")

    failed_frames = unique("failed-frames")
    sqs = aws("sqs", moto)
    with (
        caplog.at_level(logging.INFO, "local.relay"),
        relaying(app, moto, failed_frames, retry_delays=(0, 0)) as routes,
    ):
        [route] = routes.events
        sqs.delete_queue(QueueUrl=route.on_failure_url)  # the destination is gone

        aws("s3", moto).put_object(Bucket=bucket, Key="thumb3.jpg", Body=b"jpeg")

        [dead] = wait_for(lambda: receive_all(sqs, route.dead_letter_url), 10, "a dead letter")
        wait_for(lambda: depth(sqs, route.queue_url) == 0, 5, "the event deleted")

    assert json.loads(dead["Body"])["detail"]["object"]["key"] == "thumb3.jpg"
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes["RequestID"] and attributes["ErrorCode"] == "200"
    assert attributes["ErrorMessage"].startswith("ValueError: not a JPEG; the on-failure")
    assert any(
        r.levelno == logging.ERROR and r.getMessage().startswith("DEAD LETTER:")
        for r in caplog.records
    )


# --- event source mappings (on_sqs_message) ------------------------------------------------


def test_an_sqs_handler_gets_lambdas_sqs_event_in_batches_and_its_messages_are_deleted(moto):
    app = Chalice(app_name=unique("failed-frames-reader"))
    failed_frames = unique("failed-frames")
    events: list[dict] = []

    @app.on_sqs_message(queue=failed_frames, batch_size=3)
    def record_failed_frames(event):
        events.append(event.to_dict())

    sqs = aws("sqs", moto)
    with relaying(app, moto, failed_frames) as routes:
        [route] = routes.queues
        body = json.dumps({"version": "1.0", "requestContext": {"condition": "RetriesExhausted"}})
        sent = sqs.send_message(
            QueueUrl=route.queue_url,
            MessageBody=body,
            MessageAttributes={"origin": {"DataType": "String", "StringValue": "test"}},
        )
        wait_for(lambda: events, 10, "the first event")
        sqs.send_message_batch(
            QueueUrl=route.queue_url,
            Entries=[{"Id": str(n), "MessageBody": f"frame {n}"} for n in range(7)],
        )
        wait_for(lambda: sum(len(e["Records"]) for e in events) == 8, 10, "all 8 messages")
        wait_for(lambda: depth(sqs, route.queue_url) == 0, 5, "the messages deleted")

    [record] = events[0]["Records"]
    attributes = record.pop("attributes")
    receipt_handle = record.pop("receiptHandle")
    assert receipt_handle
    assert record == {
        "messageId": sent["MessageId"],
        "body": body,
        "messageAttributes": {
            "origin": {
                "stringValue": "test",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "md5OfMessageAttributes": sent["MD5OfMessageAttributes"],
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{failed_frames}",
        "awsRegion": REGION,
    }
    assert {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    } <= set(attributes)
    assert attributes["ApproximateReceiveCount"] == "1"
    assert all(1 <= len(event["Records"]) <= 3 for event in events)
    bodies = sorted(r["body"] for event in events[1:] for r in event["Records"])
    assert bodies == [f"frame {n}" for n in range(7)]


def test_a_failing_sqs_handler_gets_its_batch_again_then_the_dead_letter_queue_takes_it(
    moto, caplog
):
    app = Chalice(app_name=unique("failing-reader"))
    failed_frames = unique("failed-frames")
    receives: list[str] = []

    @app.on_sqs_message(queue=failed_frames, batch_size=10)
    def record_failed_frames(event):
        receives.extend(r.to_dict()["attributes"]["ApproximateReceiveCount"] for r in event)
        raise RuntimeError("DynamoDB is down")

    sqs = aws("sqs", moto)
    with (
        caplog.at_level(logging.INFO, "local.relay"),
        relaying(app, moto, failed_frames, sqs_retry_seconds=0) as routes,
    ):
        [route] = routes.queues
        sqs.send_message(QueueUrl=route.queue_url, MessageBody="a record")

        [dead] = wait_for(lambda: receive_all(sqs, route.dead_letter_url), 10, "a dead letter")
        wait_for(
            lambda: any("DEAD-LETTER QUEUE" in r.getMessage() for r in caplog.records),
            6,
            "the relay to say so",
        )

    assert receives == ["1", "2", "3"]
    assert dead["Body"] == "a record"
    assert depth(sqs, route.queue_url) == 0


# --- IVS's events, from the emulator through EventBridge ----------------------------------


def test_an_encoders_session_reaches_a_stream_state_handler_as_eventbridge_delivers_it(moto):
    # GIVEN the app's stream-state handler (its pattern, as the contract gives it) and the
    # emulator putting IVS's events on moto's EventBridge
    app = Chalice(app_name=unique("stream-state"))
    received: list[dict] = []

    @app.on_cw_event({"source": ["aws.ivs"], "detail-type": ["IVS Stream State Change"]})
    def stream_state_changed(event):
        received.append(event.to_dict())

    with (
        serve_app(create_app(REGION, ACCOUNT, moto, events_endpoint=moto)) as emulator,
        relaying(app, moto, unique("failed-frames")),
    ):
        ivs = aws("ivs", emulator)
        created = ivs.create_channel(name="arena")
        arn = created["channel"]["arn"]

        # WHEN an encoder connects, then disconnects
        stream_id = requests.post(
            f"{emulator}/_emulator/encoder/connect",
            json={"streamKey": created["streamKey"]["value"]},
            timeout=5,
        ).json()["streamId"]
        requests.post(
            f"{emulator}/_emulator/encoder/disconnect", json={"channelArn": arn}, timeout=5
        ).raise_for_status()

        # THEN the handler gets the three events, each as EventBridge delivers it
        wait_for(lambda: len(received) == 3, 10, "three events")

    names = sorted(event["detail"]["event_name"] for event in received)
    assert names == ["Session Created", "Stream End", "Stream Start"]
    for event in received:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event.pop("time"))
        assert re.fullmatch(r"[0-9a-f-]{36}", event.pop("id"))
        event["detail"].pop("event_name")
        assert event == {
            "version": "0",
            "detail-type": "IVS Stream State Change",
            "source": "aws.ivs",
            "account": ACCOUNT,
            "region": REGION,
            "resources": [arn],
            "detail": {"channel_name": "arena", "stream_id": stream_id},
        }
