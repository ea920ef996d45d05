"""IVS auto-record S3 keys: which channel and recording a thumbnail belongs to.

IVS writes every recording under
``ivs/v1/<account_id>/<channel_id>/<year>/<month>/<day>/<hours>/<minutes>/<recording_id>``
(UTC of the recording start, not zero-padded), with thumbnails at
``media/thumbnails/thumb<N>.jpg`` (storage SEQUENTIAL) and
``media/latest_thumbnail/thumb.jpg`` (storage LATEST, overwritten each time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_THUMBNAIL_KEY = re.compile(
    r"^ivs/v1/(?P<account>\d{12})/(?P<channel>[A-Za-z0-9-]+)/"
    r"(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<hour>\d{1,2})/(?P<minute>\d{1,2})/"
    r"(?P<recording>[A-Za-z0-9-]+)/media/"
    r"(?:thumbnails/thumb(?P<sequence>\d+)|latest_thumbnail/thumb)\.jpg$"
)
_CHANNEL_ARN = re.compile(
    r"^arn:aws[a-z-]*:ivs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):channel/(?P<channel>[A-Za-z0-9-]+)$"
)


@dataclass(frozen=True)
class Thumbnail:
    """A thumbnail IVS wrote for one recording of one channel."""

    region: str
    account_id: str
    channel_id: str
    recording_id: str
    recording_started_at: datetime
    sequence: int | None  # None for the LATEST thumbnail, which has no number

    @property
    def channel_arn(self) -> str:
        return channel_arn(self.region, self.account_id, self.channel_id)


def parse_thumbnail_key(key: str, region: str) -> Thumbnail | None:
    """The thumbnail a key names, or None when the key is not an IVS thumbnail."""
    match = _THUMBNAIL_KEY.match(key)
    if match is None:
        return None
    try:
        started = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            tzinfo=UTC,
        )
    except ValueError:  # month 13, hour 25, ...: not a key IVS writes
        return None
    sequence = match["sequence"]
    return Thumbnail(
        region=region,
        account_id=match["account"],
        channel_id=match["channel"],
        recording_id=match["recording"],
        recording_started_at=started,
        sequence=int(sequence) if sequence is not None else None,
    )


def channel_arn(region: str, account_id: str, channel_id: str) -> str:
    return f"arn:aws:ivs:{region}:{account_id}:channel/{channel_id}"


def parse_channel_arn(arn: str) -> dict[str, str] | None:
    """``{"region", "account", "channel"}`` of an IVS channel ARN, or None if it is not one."""
    match = _CHANNEL_ARN.match(arn)
    return match.groupdict() if match else None


def thumbnail_event_pattern(bucket: str) -> dict:
    """EventBridge pattern for S3 "Object Created" events of `.jpg` objects in the bucket.

    The handler still checks each key: IVS writes thumbnails under `ivs/v1/`, and any
    other `.jpg` in the bucket is logged and ignored.
    """
    if not bucket:
        raise ValueError("a recording bucket is required: a rule without one matches every bucket")
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [bucket]},
            "object": {"key": [{"suffix": ".jpg"}]},
        },
    }
