"""Which policy decides a frame, and what it says before and after Rekognition (docs/policies.md).

For each frame the book (policies/book.py) names the channel's policy (its IVS tags and name
from ChannelNames). Before analysis, the policy may *sample* the frame: one less than
`minFrameIntervalSeconds` after the channel's last analysed frame is recorded ``sampled``,
covered by that frame (``coveredBy``) — never on a watchlisted channel, never when the last
analysed frame was not clean, never for a recording's first frame (another recording than the
last analysed frame's). The last analysed frame is the one frames/skipping.py keeps as its
reference (``~reference-frame``: one conditional write per analysed frame, beside its
signature when skipping applies), so sampling costs no read or write of its own.

After analysis, an auto-stop puts the channel on the watchlist (``by: policy``) for the
`watchlist` policy's `watchHours`. Every decision records the policy that made it
(`policy`, `policyVersion`, `policyWhy`, `watchlisted`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.channels.store import ChannelNames
from chalicelib.core.errors import Conflict
from chalicelib.core.times import parse_time
from chalicelib.decisions.store import DecisionStore
from chalicelib.frames.event import ObjectCreated
from chalicelib.frames.skipping import REFERENCE_FRAME, Fingerprint, FrameSkipper
from chalicelib.policies.book import Applied, PolicyBook
from chalicelib.rules.policy import AUTO_STOP, CLEAN, Verdict

logger = logging.getLogger(__name__)

SAMPLED = "sampled"
POLICY_STOPPER = "policy"  # who put a channel on the watchlist after an auto-stop


class FramePolicy:
    def __init__(
        self,
        *,
        book: PolicyBook,
        names: ChannelNames,
        store: DecisionStore,
        skipper: FrameSkipper,
        metrics,
    ) -> None:
        self._book = book
        self._names = names
        self._store = store
        self._skipper = skipper
        self._metrics = metrics

    def applied(self, channel_arn: str, now: datetime) -> Applied:
        """The policy that decides this channel's frame now."""
        name, tags = self._names.name(channel_arn), self._names.tags(channel_arn)
        return self._book.resolve(channel_arn, name, tags, now)

    @staticmethod
    def recorded(applied: Applied) -> dict[str, Any]:
        """What a decision records of the policy that made it."""
        fields: dict[str, Any] = {
            "policy": applied.name,
            "policyVersion": applied.version,
            "policyWhy": applied.why,
        }
        if applied.watch is not None:
            fields["watchlisted"] = True
        return fields

    def fingerprint(self, applied: Applied, image: bytes) -> Fingerprint | None:
        """The frame's fingerprint, when the policy lets near-duplicates be skipped."""
        return self._skipper.fingerprint(image) if applied.frame_skipping else None

    def sampled(self, applied: Applied, frame: ObjectCreated) -> dict[str, Any] | None:
        """The fields of a sampled frame (not analysed), or None to analyse it."""
        if applied.min_interval <= 0 or applied.watch is not None or frame.thumbnail is None:
            return None
        last = self._store.get(frame.thumbnail.channel_arn, REFERENCE_FRAME)
        if (
            last is None
            or last["decision"] != CLEAN
            or last.get("recordingId") != frame.thumbnail.recording_id
        ):
            return None
        age = (frame.created_at - parse_time(last["frameTime"])).total_seconds()
        if not 0 <= age < applied.min_interval:
            return None
        self._metrics.add_metric(name="FramesSampled", unit=MetricUnit.Count, value=1)
        return {"decision": SAMPLED, "coveredBy": last["decisionId"], "labels": []}

    def remember(
        self,
        applied: Applied,
        fingerprint: Fingerprint | None,
        frame: ObjectCreated,
        decision: str,
        now: datetime,
    ) -> None:
        """Make this analysed frame the channel's last (for skipping and sampling)."""
        if fingerprint is None and applied.min_interval <= 0:
            return  # neither skipping nor sampling will ask
        thumbnail = frame.thumbnail
        assert thumbnail is not None
        self._skipper.remember(
            thumbnail.channel_arn,
            fingerprint,
            decision_id=frame.decision_id,
            frame_time=frame.created_at,
            decision=decision,
            now=now,
            recording_id=thumbnail.recording_id,
        )

    def after_verdict(self, applied: Applied, verdict: Verdict, channel_arn: str, now) -> None:
        """An auto-stop puts the channel on the watchlist (a failure to do so is logged: the
        stop matters more than the watch)."""
        if verdict.decision != AUTO_STOP:
            return
        label = verdict.top_label.name if verdict.top_label else ""
        hours = self._book.watchlist().watch_hours or 24
        try:
            self._book.store.put_watch(
                channel_arn,
                hours=hours,
                reason=f"auto-stopped by policy {applied.name} ({label})",
                by=POLICY_STOPPER,
                at=now,
            )
        except (ClientError, BotoCoreError, Conflict) as error:
            logger.error("auto-stopped channel not watchlisted", extra={"error": str(error)})
            self._metrics.add_metric(name="WatchlistFailures", unit=MetricUnit.Count, value=1)
