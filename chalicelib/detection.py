"""Amazon Rekognition DetectModerationLabels on a thumbnail in S3."""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from chalicelib.policy import Label

# Errors that say this image can never be scanned: retrying would only repeat them.
# InvalidParameterException is what Rekognition answers for an image under 80 px a side.
UNSCANNABLE_ERRORS = frozenset(
    {
        "InvalidImageFormatException",
        "ImageTooLargeException",
        "InvalidS3ObjectException",
        "InvalidParameterException",
    }
)


# DetectModerationLabels takes at most 5 MB as Bytes (15 MB through S3Object).
MAX_IMAGE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Detection:
    labels: tuple[Label, ...]
    model_version: str
    latency_ms: float


class UnscannableImage(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def read_image(s3, bucket: str, key: str) -> bytes:
    """The thumbnail's bytes; UnscannableImage when it is gone (deleted before we got to it)."""
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404"):
            raise UnscannableImage("NoSuchKey", f"s3://{bucket}/{key} does not exist") from error
        raise


def detect_moderation_labels(rekognition, image: dict, min_confidence: float) -> Detection:
    """Labels of an image (`{"Bytes": ...}` or `{"S3Object": ...}`); UnscannableImage when
    Rekognition can never scan it.

    Throttling is retried by the client's own retry mode; what still fails propagates.
    """
    started = time.perf_counter()
    try:
        response = rekognition.detect_moderation_labels(Image=image, MinConfidence=min_confidence)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in UNSCANNABLE_ERRORS:
            message = error.response.get("Error", {}).get("Message", "")
            raise UnscannableImage(code, message) from error
        raise
    latency_ms = (time.perf_counter() - started) * 1000
    labels = tuple(
        Label(
            name=item["Name"],
            parent=item.get("ParentName", ""),
            level=int(item.get("TaxonomyLevel", 1 if not item.get("ParentName") else 2)),
            confidence=float(item["Confidence"]),
        )
        for item in response.get("ModerationLabels", [])
    )
    return Detection(labels, response.get("ModerationModelVersion", ""), latency_ms)
