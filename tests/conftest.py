"""Shared fixtures: fake credentials, moto for S3 and DynamoDB, Stubbers for what moto lacks.

The settings the app reads are set here before `app` is imported, because its event
rule needs the recording bucket at import time (as it does under `chalice deploy`).
"""

from __future__ import annotations

import os
import pathlib
import threading
import uuid
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from chalice.test import Client
from moto import mock_aws

from local.resources import create_tables

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGION = "us-west-2"
ACCOUNT = "123456789012"
BUCKET = "test-ivs-recordings"
DECISIONS_TABLE = "test-decisions"
IDEMPOTENCY_TABLE = "test-idempotency"
ROOM_ARN = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/Moderators01"
CHANNEL_ID = "AbCdEfGh1234"
CHANNEL_ARN = f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/{CHANNEL_ID}"
RECORDING_ID = "Rec0AbCdEfGh"
USER_POOL_ID = f"{REGION}_TestPool1"
APP_CLIENT_ID = "4hdsl2k3m1test0client0id0ab"

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "RECORDING_BUCKET": BUCKET,
    "DECISIONS_TABLE": DECISIONS_TABLE,
    "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE,
    "MODERATION_ROOM_ARN": ROOM_ARN,
    "COGNITO_USER_POOL_ID": USER_POOL_ID,
    "COGNITO_APP_CLIENT_IDS": APP_CLIENT_ID,
    # No JWKS is reachable unless a test serves one (tests/test_api.py does).
    "COGNITO_JWKS_URL": "http://127.0.0.1:9/jwks.json",
}
# Nothing from the developer's shell may point the tests at a real account or endpoint.
for name in list(os.environ):
    if name.startswith(("AWS_", "POWERTOOLS_")) or name in (
        "MIN_CONFIDENCE",
        "ALERT_THRESHOLDS",
        "AUTO_STOP_THRESHOLDS",
        "IGNORED_CATEGORIES",
        "AUTO_STOP_REVOKE_STREAM_KEY",
        "DECISION_TTL_DAYS",
        "FLAGGED_DECISION_TTL_DAYS",
        "MODERATORS_GROUP",
        "CHAT_MESSAGING_ENDPOINT",
        "CHAT_TOKEN_MINUTES",
        "DASHBOARD_ORIGINS",
        "FRAME_URL_SECONDS",
    ):
        del os.environ[name]
os.environ.update(TEST_ENV)


def thumbnail_key(
    sequence: int | None = 12, channel: str = CHANNEL_ID, recording: str = RECORDING_ID
) -> str:
    prefix = f"ivs/v1/{ACCOUNT}/{channel}/2026/11/21/9/58/{recording}/media"
    if sequence is None:
        return f"{prefix}/latest_thumbnail/thumb.jpg"
    return f"{prefix}/thumbnails/thumb{sequence}.jpg"


def object_created(
    key: str,
    *,
    bucket: str = BUCKET,
    etag: str = "9b2cf535f27731c974343645a3985328",
    sequencer: str = "00673F2A1B2C3D4E5F",
    time: str = "2026-11-21T10:00:12Z",
    event_id: str | None = None,
) -> dict:
    """An EventBridge "Object Created" event as S3 sends it (AWS S3 user guide, EventBridge)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 48213, "etag": etag, "sequencer": sequencer},
            "request-id": "57H08PA84AB1JZW0",
            "requester": "123456789012",
            "source-ip-address": "203.0.113.15",
            "reason": "PutObject",
        },
    }


def moderation_labels(*labels: tuple[str, str, int, float], version: str = "7.0") -> dict:
    return {
        "ModerationLabels": [
            {"Name": name, "ParentName": parent, "TaxonomyLevel": level, "Confidence": confidence}
            for name, parent, level, confidence in labels
        ],
        "ModerationModelVersion": version,
    }


VIOLENCE = moderation_labels(
    ("Violence", "", 1, 96.4),
    ("Graphic Violence", "Violence", 2, 96.4),
    ("Weapon Violence", "Graphic Violence", 3, 95.1),
)
CLEAN = moderation_labels()


def detect_params(key: str, min_confidence: float = 50.0) -> dict:
    return {"Image": {"S3Object": {"Bucket": BUCKET, "Name": key}}, "MinConfidence": min_confidence}


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        create_tables(
            boto3.client("dynamodb"),
            {"DecisionsTable": DECISIONS_TABLE, "IdempotencyTable": IDEMPOTENCY_TABLE},
        )
        yield


@pytest.fixture
def app_module(aws):
    import app

    def reset() -> None:  # every lazily built dependency of the app
        for value in vars(app).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()

    reset()
    yield app
    reset()


@pytest.fixture
def client(app_module, tmp_path) -> Client:
    # A project dir without .chalice/config.json: the test's environment is the whole config.
    return Client(app_module.app, project_dir=str(tmp_path))


@pytest.fixture
def jwks(monkeypatch):
    """The user pool's keys (tests/tokens.py), served at the COGNITO_JWKS_URL the app reads."""
    from tokens import Jwks

    served = Jwks()
    threading.Thread(target=served.server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("COGNITO_JWKS_URL", served.url)
    yield served
    served.server.shutdown()


def _stubber(app_module, service: str) -> Iterator[Stubber]:
    stub = Stubber(app_module.aws_client(service))
    with stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def rekognition(app_module) -> Iterator[Stubber]:
    yield from _stubber(app_module, "rekognition")


@pytest.fixture
def ivschat(app_module) -> Iterator[Stubber]:
    yield from _stubber(app_module, "ivschat")


@pytest.fixture
def ivs(app_module) -> Iterator[Stubber]:
    yield from _stubber(app_module, "ivs")


def decisions() -> list[dict]:
    """Every item in the decision log, newest first."""
    items = boto3.resource("dynamodb").Table(DECISIONS_TABLE).scan()["Items"]
    return sorted(items, key=lambda item: item["sortKey"], reverse=True)
