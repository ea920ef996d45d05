"""Amazon Rekognition DetectModerationLabels, with declared labels instead of a model.

No model runs here, so which labels an image has is declared through the admin API, by
the image's SHA-256 or by its S3 key (a key declaration wins: it names the one object).
An undeclared image is clean. Declarations are names and confidences; the response is
completed as Rekognition completes it: every label carries its ParentName and
TaxonomyLevel from `chalicelib.rules.taxonomy`, every ancestor of a label is present with the
highest confidence among its descendants, and MinConfidence filters the result.

Images are checked as Rekognition checks them, with its error codes: S3 objects up to
15 MB and inline bytes up to 5 MB (ImageTooLargeException), JPEG or PNG only
(InvalidImageFormatException), at least 80 pixels a side (InvalidParameterException),
an S3 object that cannot be read (InvalidS3ObjectException).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from chalicelib.rules.taxonomy import PARENT, TOP_LEVEL
from PIL import Image, UnidentifiedImageError

from local.emulator.faults import Faults
from local.emulator.validation import Violation, describe
from local.emulator.wire import AdminError, ApiError, AwsJsonService, Params

MODEL_VERSION = "7.0"
DEFAULT_MIN_CONFIDENCE = 50.0
MAX_S3_OBJECT_BYTES = 15 * 1024 * 1024
MAX_INLINE_BYTES = 5 * 1024 * 1024  # the model's ImageBlob max
MIN_SIDE_PIXELS = 80
FORMATS = frozenset({"JPEG", "PNG"})
LABELS = frozenset(TOP_LEVEL) | frozenset(PARENT)
CONTENT_TYPES = frozenset({"Animated", "Illustrated"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def lineage(name: str) -> list[str]:
    """The label and its ancestors, nearest first: its TaxonomyLevel is the length."""
    chain = [name]
    while chain[-1] in PARENT:
        chain.append(PARENT[chain[-1]])
    return chain


def moderation_labels(declared: Mapping[str, float], min_confidence: float) -> list[dict[str, Any]]:
    """What Rekognition returns for an image with the `declared` labels."""
    confidence: dict[str, float] = {}
    for name, value in declared.items():
        for label in lineage(name):
            confidence[label] = max(confidence.get(label, 0.0), value)
    labels = [
        {
            "Confidence": value,
            "Name": name,
            "ParentName": PARENT.get(name, ""),
            "TaxonomyLevel": len(lineage(name)),
        }
        for name, value in confidence.items()
        if value >= min_confidence
    ]
    return sorted(
        labels, key=lambda label: (-label["Confidence"], label["TaxonomyLevel"], label["Name"])
    )


class LabelDeclarations:
    """Labels declared per image hash and per S3 key (admin API: /_emulator/labels)."""

    def __init__(self) -> None:
        self.by_sha256: dict[str, dict[str, float]] = {}
        self.by_key: dict[str, dict[str, float]] = {}
        # ContentTypes (Animated, Illustrated) declared beside the labels, by image hash
        self.content_types: dict[str, list[dict[str, Any]]] = {}

    def declare(self, body: Any) -> dict[str, Any]:
        """Apply ``{"sha256"|"key": ..., "labels": [{"Name", "Confidence"}]}``."""
        if not isinstance(body, dict) or len({"sha256", "key"} & set(body)) != 1:
            raise AdminError(400, 'give exactly one of "sha256" or "key", and "labels"')
        labels = _parse_labels(body.get("labels"))
        content_types = _parse_labels(body.get("contentTypes", []), CONTENT_TYPES)
        if "sha256" in body:
            digest = body["sha256"]
            if not isinstance(digest, str) or not _SHA256.match(digest):
                raise AdminError(400, "sha256 must be 64 lowercase hex digits")
            self.by_sha256[digest] = labels
            self.content_types[digest] = _as_list(content_types)
            return {"sha256": digest, "labels": _as_list(labels)}
        key = body["key"]
        if not isinstance(key, str) or not key:
            raise AdminError(400, "key must be a non-empty S3 key")
        self.by_key[key] = labels
        return {"key": key, "labels": _as_list(labels)}

    def forget(self, sha256: str | None = None, key: str | None = None) -> None:
        """Forget one declaration, or all of them when neither is named."""
        if sha256 is None and key is None:
            self.by_sha256.clear()
            self.by_key.clear()
        if sha256 is not None:
            self.by_sha256.pop(sha256, None)
        if key is not None:
            self.by_key.pop(key, None)

    def content_types_of(self, image: bytes) -> list[dict[str, Any]]:
        return self.content_types.get(hashlib.sha256(image).hexdigest(), [])

    def lookup(self, image: bytes, key: str | None) -> dict[str, float]:
        if key is not None and key in self.by_key:
            return self.by_key[key]
        return self.by_sha256.get(hashlib.sha256(image).hexdigest(), {})

    def snapshot(self) -> dict[str, Any]:
        return {
            "bySha256": {digest: _as_list(labels) for digest, labels in self.by_sha256.items()},
            "byKey": {key: _as_list(labels) for key, labels in self.by_key.items()},
        }


def _parse_labels(labels: Any, known: frozenset[str] = LABELS) -> dict[str, float]:
    if not isinstance(labels, list):
        raise AdminError(400, 'labels must be a list of {"Name", "Confidence"} (empty: clean)')
    parsed: dict[str, float] = {}
    for label in labels:
        name = label.get("Name") if isinstance(label, dict) else None
        confidence = label.get("Confidence") if isinstance(label, dict) else None
        if not isinstance(name, str) or name not in known:
            raise AdminError(400, f"{name!r} is not one of {', '.join(sorted(known)[:12])}…")
        if isinstance(confidence, bool) or not isinstance(confidence, int | float):
            raise AdminError(400, f"{name}: Confidence must be a number")
        if not 0 <= confidence <= 100:
            raise AdminError(400, f"{name}: Confidence must be between 0 and 100")
        parsed[name] = max(parsed.get(name, 0.0), float(confidence))
    return parsed


def _as_list(labels: Mapping[str, float]) -> list[dict[str, Any]]:
    return [{"Name": name, "Confidence": value} for name, value in labels.items()]


class Rekognition(AwsJsonService):
    name = "rekognition"
    message_field = "Message"
    internal_error_code = "InternalServerError"

    def __init__(self, faults: Faults, region: str, s3_endpoint: str) -> None:
        super().__init__(faults)
        self.labels = LabelDeclarations()
        self._s3 = boto3.session.Session().client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name=region,
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
        )
        self.operations = {"DetectModerationLabels": self.detect_moderation_labels}

    # The model marks both as server faults but gives no status: 500, as Rekognition's
    # API reference lists them.
    def throttled(self, params: Params) -> ApiError:
        return self.error("ThrottlingException", "Rate exceeded", 500)

    def internal_error(self, message: str) -> ApiError:
        return self.error("InternalServerError", message, 500)

    def validation_error(self, found: list[Violation]) -> ApiError:
        return self.error("InvalidParameterException", describe(found))

    async def detect_moderation_labels(self, params: Params, request_id: str) -> dict[str, Any]:
        image = params["Image"]
        if ("Bytes" in image) == ("S3Object" in image):
            raise self.error("InvalidParameterException", "Give exactly one of Bytes or S3Object")
        if "Bytes" in image:
            data, key = base64.b64decode(image["Bytes"]), None
            if len(data) > MAX_INLINE_BYTES:
                raise self.error("ImageTooLargeException", "Image size is too large.")
        else:
            data = await asyncio.to_thread(self._read, image["S3Object"])
            key = image["S3Object"]["Name"]
        self._check_image(data)
        declared = self.labels.lookup(data, key)
        min_confidence = params.get("MinConfidence", DEFAULT_MIN_CONFIDENCE)
        response = {
            "ModerationLabels": moderation_labels(declared, min_confidence),
            "ModerationModelVersion": MODEL_VERSION,
            "ContentTypes": self.labels.content_types_of(data),
        }
        if "ProjectVersion" in params:  # an adapter answers (none expires here)
            response["ProjectVersion"] = params["ProjectVersion"]
        return response

    def _read(self, s3_object: Params) -> bytes:
        """The object's bytes, read as Rekognition reads them: with its own S3 access."""
        if not s3_object.get("Bucket") or not s3_object.get("Name"):
            raise self.error("InvalidParameterException", "S3Object needs a Bucket and a Name")
        request = {"Bucket": s3_object["Bucket"], "Key": s3_object["Name"]}
        if "Version" in s3_object:
            request["VersionId"] = s3_object["Version"]
        try:
            response = self._s3.get_object(**request)
        except ClientError:
            raise self.error(
                "InvalidS3ObjectException",
                "Unable to get object metadata from S3. Check object key, region and/or "
                "access permissions.",
            ) from None
        with response["Body"] as body:
            if response["ContentLength"] > MAX_S3_OBJECT_BYTES:
                raise self.error("ImageTooLargeException", "Image size is too large.")
            return body.read()

    def _check_image(self, data: bytes) -> None:
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
        except (UnidentifiedImageError, OSError):
            kind, width, height = None, 0, 0
        if kind not in FORMATS:
            raise self.error("InvalidImageFormatException", "Request has invalid image format")
        if min(width, height) < MIN_SIDE_PIXELS:
            raise self.error("InvalidParameterException", "Request has invalid parameters")
