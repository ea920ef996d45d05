"""What a client of a running local stack does: AWS clients on its endpoints, sign-in, the
API, writing frames as IVS would.

`stack` is the stack's stack.json (what `local.headless.HeadlessStack.start()` returns):
its endpoints, the moderator's and viewer's passwords, the bucket and queues. Used by the
end-to-end tests (tests/e2e/stack_helpers.py) and the benchmark (bench/e2e_*.py).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import boto3
import requests
from botocore.config import Config

CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def connection(stack: dict[str, Any], service: str) -> dict[str, Any]:
    """boto3's arguments for `service` of the stack: the emulator (IVS, IVS chat, Rekognition,
    Comprehend), the relay's Invoke API (Lambda), DynamoDB's moto, or moto (everything else),
    in the stack's region, with its dummy credentials."""
    if service in ("ivs", "ivschat", "rekognition", "comprehend"):
        endpoint = stack["emulator_url"]
    elif service == "lambda":
        endpoint = stack["invoke_url"]  # the relay's Invoke API
    elif service == "dynamodb":
        endpoint = stack["dynamodb_endpoint_url"]
    else:
        endpoint = stack["aws_endpoint_url"]
    return {"endpoint_url": endpoint, "region_name": stack["region"], **CREDENTIALS}


def client(stack: dict[str, Any], service: str, **config: Any) -> Any:
    """A boto3 client of the stack; `config`: botocore Config's settings, if any."""
    return boto3.client(
        service, **connection(stack, service), config=Config(**config) if config else None
    )


def sign_in(stack: dict[str, Any], user: str = "moderator") -> str:
    """A user pool ID token, from moto's Cognito, as the dashboard would get it."""
    result = client(stack, "cognito-idp").initiate_auth(
        ClientId=stack["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": stack[user]["username"], "PASSWORD": stack[user]["password"]},
    )
    return result["AuthenticationResult"]["IdToken"]


def api(stack: dict[str, Any], method: str, path: str, token: str, body: dict | None = None):
    """A request to the app's API (`chalice local`), signed in with `token`."""
    return requests.request(
        method,
        stack["api_url"] + path,
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        timeout=10,
    )


def chat_connection(stack: dict[str, Any], user: str = "moderator") -> tuple[str, str]:
    """Sign in and get a chat token from `POST /chat-token`: (WebSocket endpoint, token)."""
    response = api(stack, "POST", "/chat-token", sign_in(stack, user))
    response.raise_for_status()
    chat = response.json()
    return chat["endpoint"], chat["token"]


def declare_labels(
    stack: dict[str, Any], sha256: str, labels: list[dict], *, http: Any = requests
) -> None:
    """Tell the emulator's Rekognition what it sees in the image of this SHA-256 (the
    handler sends it the bytes it read). `http`: requests, or a requests.Session."""
    http.put(
        f"{stack['emulator_url']}/_emulator/labels",
        json={"sha256": sha256, "labels": labels},
        timeout=10,
    ).raise_for_status()


def put_frame(s3: Any, stack: dict[str, Any], key: str, image: bytes) -> None:
    """Write a thumbnail to the recording bucket as IVS auto-record does."""
    s3.put_object(Bucket=stack["recording_bucket"], Key=key, Body=image, ContentType="image/jpeg")


def queue_depth(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def write_frame(stack: dict[str, Any], key: str, image: bytes, labels: list[dict]) -> float:
    """Declare the frame's labels, then write it as IVS would; when (monotonic) it was
    written, just before the write."""
    declare_labels(stack, hashlib.sha256(image).hexdigest(), labels)
    written = time.monotonic()
    put_frame(client(stack, "s3"), stack, key, image)
    return written
