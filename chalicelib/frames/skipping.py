"""Near-duplicate frames: reuse the channel's last analysed clean decision, skip Rekognition.

Each analysed frame leaves the channel a *reference* (its change signature, decision and
time, in the decision log under the sort key ``~reference-frame``). A later frame reuses
that decision, without a Rekognition call, only when all of these hold: the reference
decision was clean (never after a flagged or unscannable frame), the reference is at most
FRAME_SKIP_MAX_AGE_SECONDS older, and nothing has changed anywhere in the frame
(chalicelib/frames/change.py: an object of 1% of the frame is change; camera jitter, flicker,
noise and JPEG re-encoding are not). The change test has no setting: see its module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.core.times import expiry, iso_time, parse_time
from chalicelib.decisions.store import DecisionStore
from chalicelib.frames.change import NotAnImage, compare, signature
from chalicelib.rules.policy import CLEAN

# The sort key of each channel's reference frame. It sorts after every time (so history
# queries never see it), and has no `day` (so no index entry).
REFERENCE_FRAME = "~reference-frame"


@dataclass(frozen=True)
class Fingerprint:
    """What is kept of a frame to compare later frames with: its change signature."""

    signature: bytes


class FrameSkipper:
    def __init__(
        self,
        store: DecisionStore,
        *,
        enabled: bool,
        max_age_seconds: int,
        metrics,
    ) -> None:
        self._store = store
        self._enabled = enabled
        self._max_age_seconds = max_age_seconds
        self._metrics = metrics

    def fingerprint(self, image: bytes) -> Fingerprint | None:
        """The frame's fingerprint; None when skipping is off or the bytes are no image
        (Rekognition will say what is wrong with them)."""
        if not self._enabled:
            return None
        with contextlib.suppress(NotAnImage):
            return Fingerprint(signature(image))
        return None

    def reuse(
        self, channel_arn: str, fingerprint: Fingerprint, frame_time: datetime
    ) -> dict[str, Any] | None:
        """The decision's fields, reused from the channel's reference frame; None to analyse."""
        reference = self._store.get(channel_arn, REFERENCE_FRAME)
        if reference is None or reference["decision"] != CLEAN:
            return None
        age = (frame_time - parse_time(reference["frameTime"])).total_seconds()
        if not 0 <= age <= self._max_age_seconds:
            return None
        stored = reference.get("signature")  # absent from a reference of an older version
        if stored is None:
            return None
        # DynamoDB binary comes back as boto3's Binary, which holds the bytes in `value`.
        change = compare(bytes(getattr(stored, "value", stored)), fingerprint.signature)
        if change.changed:
            return None
        self._metrics.add_metric(name="FramesSkipped", unit=MetricUnit.Count, value=1)
        return {
            "decision": CLEAN,
            "skipped": True,
            "reusedDecisionId": reference["decisionId"],
            "changeScore": round(change.score, 2),
            "labels": [],
        }

    def remember(
        self,
        channel_arn: str,
        fingerprint: Fingerprint | None,
        *,
        decision_id: str,
        frame_time: datetime,
        decision: str,
        now: datetime,
        recording_id: str = "",
    ) -> None:
        """Make this analysed frame the channel's reference (an older one never replaces it).
        Without a fingerprint (skipping is off for the channel) no later frame reuses it; it
        still tells sampling (frames/policy_step.py) which frame was analysed last."""
        item: Mapping[str, Any] = {
            "channelArn": channel_arn,
            "sortKey": REFERENCE_FRAME,
            # stored as DynamoDB binary; None is left out
            "signature": fingerprint.signature if fingerprint else None,
            "decisionId": decision_id,
            "frameTime": iso_time(frame_time),
            "decision": decision,
            "recordingId": recording_id or None,
            "expiresAt": expiry(now, 1),
        }
        self._store.put_if_newer(item, "frameTime")
