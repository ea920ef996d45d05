"""The local stack for end-to-end tests, and what a moderator or IVS does with it.

`stack` (see conftest.py) runs local/stack.py headless on free ports: moto server, the
emulator, the relay running the production handlers, `chalice local`, and the simulator
with the channels of tests/e2e/scenario.json. `quiet_stack` is the same without the
simulator, for tests that break a service for everyone (fault injection). Signing in and
the API are local/stack_client.py's, shared with the benchmark.
"""

from __future__ import annotations

import itertools
import json
import pathlib
import time
from datetime import UTC, datetime

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from local import events, stack_client

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "e2e" / "scenario.json"
RECONNECT_AFTER = json.loads(SCENARIO.read_text())["reconnect_after_seconds"]
RECORDING, STARTED = "RecE2e000001", datetime(2026, 11, 21, 9, 58, tzinfo=UTC)  # frames' keys


def aws(stack: dict, service: str):
    return stack_client.client(stack, service)


def thumbnail_key(stack: dict, channel_id: str, sequence: int) -> str:
    return events.thumbnail_key(stack["account"], channel_id, RECORDING, sequence, STARTED)


_frames = itertools.count()


def jpeg(key: str, violating: bool) -> bytes:
    """A distinct frame; a violating one looks different, as a changed scene does."""
    from local.simulator import thumbnail

    return thumbnail(key, next(_frames), violating=violating)


def write_frame(stack: dict, key: str, labels: list[dict]) -> float:
    """Declare the frame's labels to the emulator, write it as IVS would; when it was written."""
    return stack_client.write_frame(stack, key, jpeg(key, violating=bool(labels)), labels)


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


def table(stack: dict, name: str):
    """A DynamoDB table of the stack (boto3's resource: plain Python values)."""
    return boto3.resource("dynamodb", **stack_client.connection(stack, "dynamodb")).Table(name)


def has_handler(stack: dict, name: str) -> bool:
    """Whether the app has an event handler `name` (the stack served every one it has)."""
    return name in stack["queues"]


def emulator(stack: dict, method: str, path: str, body: dict | None = None) -> dict | None:
    response = requests.request(
        method, f"{stack['emulator_url']}/_emulator/{path}", json=body, timeout=5
    )
    response.raise_for_status()
    return response.json() if response.content else None


def queue_depth(stack: dict, queue_url: str) -> int:
    """Messages in a queue, visible or being handled."""
    return sum(stack_client.queue_depth(aws(stack, "sqs"), queue_url))


def listen(stack: dict, name: str, pattern: dict) -> str:
    """A rule of the test's own on the local EventBridge, delivering to a new queue: it sees
    what the bus carries, beside the app's rules. Returns the queue's URL."""
    sqs, events = aws(stack, "sqs"), aws(stack, "events")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "probe", "Arn": arn["Attributes"]["QueueArn"]}])
    return queue_url


def drain(stack: dict, queue_url: str) -> list[dict]:
    """The JSON bodies of every message in a queue, taken out of it."""
    sqs, bodies = aws(stack, "sqs"), []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages"
    ):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def stage_setting(name: str) -> str:
    """An environment variable of the local stage (.chalice/config.json), as the stack runs it."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config["stages"]["local"]["environment_variables"][name]


def log_of(stack: dict, process: str) -> str:
    return (pathlib.Path(stack["logs"]) / f"{process}.log").read_text(errors="replace")
