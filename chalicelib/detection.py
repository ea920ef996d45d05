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


def detect_moderation_labels(
    rekognition, bucket: str, key: str, min_confidence: float
) -> Detection:
    """Labels of s3://bucket/key; UnscannableImage when Rekognition cannot ever scan it.

    Throttling is retried by the client's own retry mode; what still fails propagates.
    """
    started = time.perf_counter()
    try:
        response = rekognition.detect_moderation_labels(
            Image={"S3Object": {"Bucket": bucket, "Name": key}},
            MinConfidence=min_confidence,
        )
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
