"""Short-lived links to thumbnails, for moderators' eyes only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import dependencies
from chalicelib.core.errors import BadRequest
from chalicelib.core.ivs import parse_thumbnail_key
from chalicelib.core.times import iso_time

MAX_KEY_CHARS = 1024  # S3's limit on a key (in UTF-8 bytes; IVS keys are ASCII)


def frame_url(s3, bucket: str, key: Any, expires_in: int) -> dict[str, str]:
    """A presigned GET for an IVS thumbnail of the recording bucket (and nothing else)."""
    if not (
        isinstance(key, str)
        and len(key) <= MAX_KEY_CHARS
        and key.isascii()  # IVS keys are [A-Za-z0-9/._-]; and no digits but ASCII ones
        and key.isprintable()  # parse_thumbnail_key's `$` would let a final newline through
        and parse_thumbnail_key(key, "any") is not None
    ):
        raise BadRequest("key must be an IVS thumbnail key (ivs/v1/…/media/…/thumb….jpg)")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
    )
    expires = dependencies.now() + timedelta(seconds=expires_in)
    return {"frameUrl": url, "frameUrlExpiresAt": iso_time(expires)}
