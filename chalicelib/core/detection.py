"""Amazon Rekognition DetectModerationLabels on an image's bytes: a thumbnail's (frames/) or a
chat image's (chat/)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from chalicelib.rules.policy import Label

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
class ContentType:
    """What kind of picture Rekognition says the frame is (`Animated`, `Illustrated`)."""

    name: str
    confidence: float


@dataclass(frozen=True)
class Detection:
    labels: tuple[Label, ...]
    model_version: str
    latency_ms: float
    content_types: tuple[ContentType, ...] = ()
    # The Custom Moderation adapter that answered: None when none was asked for, "" when one
    # was asked for but the base model answered (Rekognition omits it: the adapter expired).
    adapter: str | None = None


# Confidences are decided as the decision log keeps them (frames/record.py): a backtest that
# recomputes a frame from its record then decides exactly as the live frame was decided.
RECORDED_DIGITS = 3


class UnscannableImage(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def detect_moderation_labels(
    rekognition, image: bytes, min_confidence: float, adapter_arn: str = ""
) -> Detection:
    """Labels of an image; UnscannableImage when Rekognition can never scan it.

    With `adapter_arn`, the Custom Moderation adapter (ProjectVersion) is asked to answer.
    Throttling is retried by the client's own retry mode; what still fails propagates.
    """
    request: dict = {"Image": {"Bytes": image}, "MinConfidence": min_confidence}
    if adapter_arn:
        request["ProjectVersion"] = adapter_arn
    started = time.perf_counter()
    try:
        response = rekognition.detect_moderation_labels(**request)
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
            confidence=round(float(item["Confidence"]), RECORDED_DIGITS),
        )
        for item in response.get("ModerationLabels", [])
    )
    content_types = tuple(
        ContentType(item["Name"], round(float(item.get("Confidence", 0.0)), RECORDED_DIGITS))
        for item in response.get("ContentTypes", [])
        if item.get("Name")
    )
    return Detection(
        labels,
        response.get("ModerationModelVersion", ""),
        latency_ms,
        content_types,
        adapter=response.get("ProjectVersion", "") if adapter_arn else None,
    )
