"""Short-lived links to thumbnails, for moderators' eyes only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.decisions import iso_time
from chalicelib.http import BadRequest
from chalicelib.recordings import parse_thumbnail_key


def frame_url(s3, bucket: str, key: str, expires_in: int) -> dict[str, str]:
    """A presigned GET for an IVS thumbnail of the recording bucket (and nothing else)."""
    if not isinstance(key, str) or parse_thumbnail_key(key, "any") is None:
        raise BadRequest("key must be an IVS thumbnail key (ivs/v1/…/media/…/thumb….jpg)")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
    )
    expires = datetime.now(UTC) + timedelta(seconds=expires_in)
    return {"frameUrl": url, "frameUrlExpiresAt": iso_time(expires)}
