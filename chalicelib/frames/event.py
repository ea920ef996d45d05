"""The S3 object write an EventBridge "Object Created" event names, and reading exactly it.

IVS overwrites the LATEST thumbnail (``media/latest_thumbnail/thumb.jpg``) every interval,
so by the time an event is handled the key may hold a newer write. The event names its
write (``etag``; ``version-id`` when the bucket is versioned), and the read asks for that
write only: ``VersionId`` when there is one, else ``IfMatch`` on the ETag. A write already
overwritten is *superseded*: the newer write has an event of its own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.ivs import Thumbnail, parse_thumbnail_key
from chalicelib.core.times import parse_time

# DetectModerationLabels takes at most 5 MB as Bytes; IVS thumbnails are far smaller.
MAX_IMAGE_BYTES = 5 * 1024 * 1024

logger = logging.getLogger(__name__)

# The fields of ObjectCreated that tell one write of an object from another.
IDEMPOTENCY_KEY_JMESPATH = "[bucket, key, version]"


def answered_from_record(response: Any, record) -> Any:
    """Powertools' response hook: a duplicate delivery was answered from its record."""
    logger.info(
        "duplicate delivery: answered from the idempotency record",
        extra={"idempotency_key": record.idempotency_key},
    )
    return response


class MalformedEvent(ValueError):
    """An event that matched the rule but lacks what a real S3 event always has."""


@dataclass(frozen=True)
class ObjectCreated:
    """The parts of an EventBridge S3 "Object Created" event that moderation needs."""

    event_id: str
    region: str
    time: str  # ISO-8601, when S3 created the object
    bucket: str
    key: str
    etag: str
    version_id: str
    version: str  # tells two writes of one key apart: an overwritten LATEST thumbnail is new

    @cached_property
    def thumbnail(self) -> Thumbnail | None:
        """The IVS thumbnail its key names (None: not one), parsed once per event."""
        return parse_thumbnail_key(self.key, self.region)

    @classmethod
    def from_event(cls, event: Any) -> ObjectCreated:
        """Read directly rather than through Powertools' S3EventBridgeNotificationEvent,
        whose import costs ~20 ms of every cold start for a few fields."""
        detail = _mapping(event, "detail")
        obj = _mapping(detail, "object")
        bucket = _mapping(detail, "bucket")
        fields = {
            "event_id": _text(event, "id", required=False),
            "region": _text(event, "region"),
            "time": _text(event, "time"),
            "bucket": _text(bucket, "name"),
            "key": _text(obj, "key"),
            "etag": _text(obj, "etag", required=False) or _text(obj, "eTag", required=False),
            "version_id": _text(obj, "version-id", required=False),
        }
        try:
            parse_time(fields["time"])
        except ValueError:
            raise MalformedEvent(f"time {fields['time'][:40]!r} is not an ISO-8601 time") from None
        # The sequencer orders writes of one key; the ETag tells different contents apart.
        sequencer = _text(obj, "sequencer", required=False)
        version = "|".join((sequencer, fields["etag"], fields["version_id"]))
        return cls(**fields, version=version)

    @property
    def decision_id(self) -> str:
        digest = hashlib.sha256(f"{self.bucket}\n{self.key}\n{self.version}".encode())
        return digest.hexdigest()[:24]

    @property
    def created_at(self) -> datetime:
        return parse_time(self.time)


def _mapping(parent: Any, name: str) -> Mapping[str, Any]:
    value = parent.get(name) if isinstance(parent, Mapping) else None
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"the event has no {name!r} object")
    return value


def _text(parent: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = parent.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > 2048:
        raise MalformedEvent(f"the event's {name!r} is not a string of at most 2048 characters")
    return value


class Superseded(Exception):
    """The write the event names was overwritten before it could be read."""


class Gone(Exception):
    """The object is no longer there, or too large to be a thumbnail; `code` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def read_written(s3, frame: ObjectCreated) -> bytes:
    """The bytes of exactly the write `frame` names."""
    request: dict[str, Any] = {"Bucket": frame.bucket, "Key": frame.key}
    if frame.version_id:
        request["VersionId"] = frame.version_id
    elif frame.etag:
        request["IfMatch"] = frame.etag if frame.etag.startswith('"') else f'"{frame.etag}"'
    try:
        response = s3.get_object(**request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("PreconditionFailed", "412"):
            raise Superseded(f"s3://{frame.bucket}/{frame.key} was overwritten") from error
        if code in ("NoSuchKey", "NoSuchVersion", "404"):
            raise Gone("NoSuchKey", f"s3://{frame.bucket}/{frame.key} does not exist") from error
        raise
    with response["Body"] as body:
        if response.get("ContentLength", 0) > MAX_IMAGE_BYTES:
            raise Gone("ImageTooLargeException", f"larger than {MAX_IMAGE_BYTES} bytes")
        return body.read()
