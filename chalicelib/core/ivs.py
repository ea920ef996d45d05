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

# ASCII only (re.ASCII: `\d` would accept any Unicode digit) and matched whole with
# fullmatch (`$` would accept a trailing newline). Ids are bounded: an IVS channel ARN is at
# most 128 characters (the IVS API model), and nothing IVS writes comes near 64 per id.
_ID = r"[A-Za-z0-9-]{1,64}"
_THUMBNAIL_KEY = re.compile(
    rf"ivs/v1/(?P<account>[0-9]{{12}})/(?P<channel>{_ID})/"
    r"(?P<year>[0-9]{4})/(?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})/"
    r"(?P<hour>[0-9]{1,2})/(?P<minute>[0-9]{1,2})/"
    rf"(?P<recording>{_ID})/media/"
    r"(?:thumbnails/thumb(?P<sequence>[0-9]{1,12})|latest_thumbnail/thumb)\.jpg",
    re.ASCII,
)
_CHANNEL_ARN = re.compile(
    r"arn:aws[a-z-]*:ivs:(?P<region>[a-z0-9-]{1,32}):(?P<account>[0-9]{12}):"
    rf"channel/(?P<channel>{_ID})",
    re.ASCII,
)
MAX_CHANNEL_ARN_CHARS = 128


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
    match = _THUMBNAIL_KEY.fullmatch(key) if isinstance(key, str) else None
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
    if not isinstance(arn, str) or len(arn) > MAX_CHANNEL_ARN_CHARS:
        return None
    match = _CHANNEL_ARN.fullmatch(arn)
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


# IVS's EventBridge events of a channel's stream going live or offline (stream_state_changed).
STREAM_STATE_PATTERN = {"source": ["aws.ivs"], "detail-type": ["IVS Stream State Change"]}
