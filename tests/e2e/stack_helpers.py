"""The local stack for end-to-end tests, and what a moderator or IVS does with it.

`stack` (see conftest.py) runs local/stack.py headless on free ports: moto server, the
emulator, the relay running the production handler, `chalice local`, and the simulator
with the channels of tests/e2e/scenario.json.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import pathlib
import time

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "e2e" / "scenario.json"
RECONNECT_AFTER = json.loads(SCENARIO.read_text())["reconnect_after_seconds"]


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


_frames = itertools.count()


def jpeg(key: str, violating: bool) -> bytes:
    """A distinct frame; a violating one looks different, as a changed scene does."""
    from local.simulator import thumbnail

    return thumbnail(key, next(_frames), violating=violating)


def write_frame(stack: dict, key: str, labels: list[dict]) -> float:
    """Declare the frame's labels to the emulator, write it as IVS would; when it was written."""
    image = jpeg(key, violating=bool(labels))
    declaration = {"sha256": hashlib.sha256(image).hexdigest(), "labels": labels}
    requests.put(
        f"{stack['emulator_url']}/_emulator/labels", json=declaration, timeout=5
    ).raise_for_status()
    written = time.monotonic()
    aws(stack, "s3").put_object(Bucket=stack["recording_bucket"], Key=key, Body=image)
    return written


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
