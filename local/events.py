"""What S3 tells of an IVS thumbnail, built for the tests and the benchmarks: the key IVS
auto-record writes it under and its EventBridge "Object Created" event.

Pure builders (no AWS, no clock unless asked): one version for tests/support.py,
tests/e2e/stack_helpers.py and bench/.
"""

from __future__ import annotations

import uuid
from datetime import datetime


def thumbnail_key(
    account: str, channel: str, recording: str, sequence: int | None, started: datetime
) -> str:
    """Where IVS auto-record writes a recording's thumbnail `sequence` (None: the latest
    thumbnail, overwritten in place): the recording's prefix is the account, the channel's
    id and when the stream started, in UTC, unpadded (IVS user guide, auto-record to S3)."""
    folder = f"{started.year}/{started.month}/{started.day}/{started.hour}/{started.minute}"
    prefix = f"ivs/v1/{account}/{channel}/{folder}/{recording}/media"
    if sequence is None:
        return f"{prefix}/latest_thumbnail/thumb.jpg"
    return f"{prefix}/thumbnails/thumb{sequence}.jpg"


def object_created(
    key: str,
    *,
    bucket: str,
    account: str,
    region: str,
    etag: str,
    sequencer: str,
    time: str,
    event_id: str | None = None,
    size: int = 48213,
) -> dict:
    """An EventBridge "Object Created" event as S3 sends it (AWS S3 user guide, EventBridge)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": time,
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": etag, "sequencer": sequencer},
            "request-id": "57H08PA84AB1JZW0",
            "requester": account,
            "source-ip-address": "203.0.113.15",
            "reason": "PutObject",
        },
    }
