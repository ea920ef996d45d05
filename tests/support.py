"""What the tests share: the test environment, names, and builders of AWS events and answers.

Importing this module sets the settings the app reads, before `app` is imported: its
event rule needs the recording bucket at import time (as it does under `chalice deploy`).
Fixtures are in conftest.py; tests import names from here (two conftest.py modules exist,
so `from conftest import` would be ambiguous).
"""

from __future__ import annotations

import io
import os
import pathlib
import uuid
from datetime import UTC, datetime

import boto3

from local import events

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGION = "us-west-2"
ACCOUNT = "123456789012"
BUCKET = "test-ivs-recordings"
DECISIONS_TABLE = "test-decisions"
IDEMPOTENCY_TABLE = "test-idempotency"
INCIDENTS_TABLE = "test-incidents"
CHANNELS_TABLE = "test-channels"
CHAT_TABLE = "test-chat"
POLICIES_TABLE = "test-policies"
CHAT_MESSAGES_QUEUE = "test-chat-messages"
FAILED_FRAMES_QUEUE = "test-failed-frames"
TABLES = {
    "DecisionsTable": DECISIONS_TABLE,
    "IdempotencyTable": IDEMPOTENCY_TABLE,
    "IncidentsTable": INCIDENTS_TABLE,
    "ChannelsTable": CHANNELS_TABLE,
    "ChatTable": CHAT_TABLE,
    "PoliciesTable": POLICIES_TABLE,
}
ROOM_ARN = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/Moderators01"
CHANNEL_ID = "AbCdEfGh1234"
CHANNEL_ARN = f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/{CHANNEL_ID}"
RECORDING_ID = "Rec0AbCdEfGh"
RECORDING_STARTED = datetime(2026, 11, 21, 9, 58, tzinfo=UTC)  # its key's folder
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
    "INCIDENTS_TABLE": INCIDENTS_TABLE,
    "CHANNELS_TABLE": CHANNELS_TABLE,
    "CHAT_TABLE": CHAT_TABLE,
    "POLICIES_TABLE": POLICIES_TABLE,
    "CHAT_MESSAGES_QUEUE": CHAT_MESSAGES_QUEUE,
    "FAILED_FRAMES_QUEUE": FAILED_FRAMES_QUEUE,
    "MODERATION_ROOM_ARN": ROOM_ARN,
    "COGNITO_USER_POOL_ID": USER_POOL_ID,
    "COGNITO_APP_CLIENT_IDS": APP_CLIENT_ID,
    "ESCALATION_TEAMS": "legal; Trust & Safety leads",
    # No JWKS is reachable unless a test serves one (tests/test_api.py does).
    "COGNITO_JWKS_URL": "http://127.0.0.1:9/jwks.json",
    # What moto lacks is answered by Stubbers; a call no test stubbed fails fast, here.
    "AWS_ENDPOINT_URL_REKOGNITION": "http://127.0.0.1:9",
    "AWS_ENDPOINT_URL_IVS": "http://127.0.0.1:9",
    "AWS_ENDPOINT_URL_IVSCHAT": "http://127.0.0.1:9",
}
CHANNEL_NAME = "arena-shooter"


def _send_event() -> dict:
    from botocore.stub import ANY

    return {"roomIdentifier": ROOM_ARN, "eventName": "STREAM_MODERATION", "attributes": ANY}


# SendEvent to the moderators' room, as Stubber expected_params (the attributes are checked
# through the `sent_events` fixture).
SEND = _send_event()
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
        "TRIAGE_GROUP",
        "ADMINS_GROUP",
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
    return events.thumbnail_key(ACCOUNT, channel, recording, sequence, RECORDING_STARTED)


def object_created(
    key: str,
    *,
    bucket: str = BUCKET,
    etag: str = "9b2cf535f27731c974343645a3985328",
    sequencer: str = "00673F2A1B2C3D4E5F",
    time: str = "2026-11-21T10:00:12Z",
    event_id: str | None = None,
) -> dict:
    """An EventBridge "Object Created" event as S3 sends it, of the test account's bucket."""
    return events.object_created(
        key,
        bucket=bucket,
        account=ACCOUNT,
        region=REGION,
        etag=etag,
        sequencer=sequencer,
        time=time,
        event_id=event_id,
    )


def stream_state(channel_arn: str, event_name: str, time: str = "2026-11-21T10:05:00Z") -> dict:
    """An IVS Stream State Change event (IVS user guide, EventBridge)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "IVS Stream State Change",
        "source": "aws.ivs",
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": [channel_arn],
        "detail": {
            "event_name": event_name,
            "channel_name": "arena-shooter",
            "stream_id": "st-1A2b3c4D5e6F78ghij9Klmn",
        },
    }


def failure_record(event: dict, error: str = "ThrottlingException: Rate exceeded") -> str:
    """Lambda's invocation record for an event whose retries ran out (Lambda developer guide,
    "Capturing records of Lambda asynchronous invocations"), as the SQS message body."""
    import json

    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-11-21T10:03:12.000Z",
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:moderate:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorMessage": error, "errorType": "ClientError"},
        }
    )


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


def jpeg(draw_scene, size: tuple[int, int] = (320, 180)) -> bytes:
    """A JPEG of a scene drawn by `draw_scene(ImageDraw)`."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", size, (40, 60, 90))
    draw_scene(ImageDraw.Draw(picture))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


FRAME = jpeg(lambda d: d.ellipse((40, 40, 140, 140), fill=(230, 230, 230)))
OTHER_FRAME = jpeg(lambda d: d.rectangle((160, 20, 310, 170), fill=(200, 30, 30)))


def detect_params(min_confidence: float = 50.0, image: bytes = FRAME) -> dict:
    """DetectModerationLabels as the handler calls it: the bytes of the write it was told of."""
    return {"Image": {"Bytes": image}, "MinConfidence": min_confidence}


def written(key: str, body: bytes = FRAME, **event) -> dict:
    """Write a thumbnail to the recording bucket (moto) and return its Object Created event,
    which names the write by its ETag as S3 does (without the quotes)."""
    etag = boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body)["ETag"]
    return object_created(key, **{"etag": etag.strip('"'), **event})


def seed_channel(
    channel_arn: str = CHANNEL_ARN, name: str = CHANNEL_NAME, tags: dict | None = None
) -> None:
    """A channel whose name and tags the service looked up a moment ago (no GetChannel
    needed)."""
    boto3.client("dynamodb").put_item(
        TableName=CHANNELS_TABLE,
        Item={
            "channelArn": {"S": channel_arn},
            "name": {"S": name},
            "nameCheckedAt": {"S": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")},
            "tags": {"M": {k: {"S": v} for k, v in (tags or {}).items()}},
        },
    )


def incidents() -> list[dict]:
    """Every incident, oldest first."""
    items = boto3.resource("dynamodb").Table(INCIDENTS_TABLE).scan()["Items"]
    return sorted(items, key=lambda item: (item["openedAt"], item["incidentId"]))


def channel(channel_arn: str = CHANNEL_ARN) -> dict:
    table = boto3.resource("dynamodb").Table(CHANNELS_TABLE)
    return table.get_item(Key={"channelArn": channel_arn}).get("Item", {})


def log_items() -> list[dict]:
    """Every item in the decision log, newest first."""
    from chalicelib.frames.skipping import REFERENCE_FRAME

    items = boto3.resource("dynamodb").Table(DECISIONS_TABLE).scan()["Items"]
    items = [item for item in items if item["sortKey"] != REFERENCE_FRAME]
    return sorted(items, key=lambda item: item["sortKey"], reverse=True)


def decisions() -> list[dict]:
    """Frame decisions and stop audits in the decision log, newest first."""
    return [item for item in log_items() if item["kind"] != "incident"]


def incident_audits() -> list[dict]:
    """The incident transitions audited in the decision log, oldest first."""
    return [item for item in reversed(log_items()) if item["kind"] == "incident"]
