"""Frames whose moderation finally failed: recorded, counted, and told to the moderators.

Lambda retries a failed asynchronous invoke twice; then, instead of dropping the event,
it sends an invocation record to the thumbnail function's on-failure destination, an SQS
queue that `record_failed_frames` (app.py) consumes. Each record becomes a decision in the
log — `failed`, with the error and the attempts, listed across channels — unless the frame
was decided and only its action or announcement failed, in which case that decision says
so — and is finished here: a flagged frame whose incident step, auto-stop or announcement
failed after every retry is resumed from its record (no second Rekognition call), so that
it reaches the queue and the room, once. What still fails raises: SQS delivers the record
again, until its redrive policy moves it to the dead-letter queue. The moderators' room
hears, at most once per channel per INCIDENT_UPDATE_SECONDS, that the channel has frames it
could not moderate (or not finish): there, they are blind.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.channels.store import ChannelNames
from chalicelib.core.config import Settings
from chalicelib.core.times import expiry, iso_time
from chalicelib.decisions.store import DecisionStore, sort_key
from chalicelib.frames.event import MalformedEvent, ObjectCreated
from chalicelib.frames.record import unfinished
from chalicelib.room.blind import BlindNotices

logger = logging.getLogger(__name__)

FAILED = "failed"
MAX_ERROR_CHARS = 1000


class FailedFrames:
    def __init__(
        self,
        *,
        settings: Settings,
        store: DecisionStore,
        names: ChannelNames,
        blind: BlindNotices,
        metrics,
        clock: Callable[[], datetime],
        finish: Callable[[ObjectCreated], Mapping[str, Any]],
    ) -> None:
        self._settings = settings
        self._store = store
        self._names = names
        self._blind = blind
        self._metrics = metrics
        self._clock = clock
        self._finish = finish  # the thumbnail moderator, resuming a recorded decision

    def record(self, body: str) -> dict[str, Any]:
        """Record one invocation record (an SQS message body); a summary of what was done."""
        try:
            record = json.loads(body)
            frame = ObjectCreated.from_event(record["requestPayload"])
        except (ValueError, KeyError, TypeError, MalformedEvent) as error:
            logger.error("a failure record that names no frame", extra={"error": str(error)})
            return {"recorded": "nothing", "reason": "not an invocation record of a frame"}
        thumbnail = frame.thumbnail
        if frame.bucket != self._settings.recording_bucket or thumbnail is None:
            logger.info(
                "failure record of an object that is no thumbnail", extra={"key": frame.key}
            )
            return {"recorded": "nothing", "reason": "not an IVS thumbnail"}

        now = self._clock()
        failure = _failure(record, now)
        key = sort_key(frame.created_at, frame.decision_id)
        decided = self._store.get(thumbnail.channel_arn, key)
        if decided is None:
            item = {
                "channelArn": thumbnail.channel_arn,
                "sortKey": key,
                "day": key[:10],
                "kind": "frame",
                "decisionId": frame.decision_id,
                "eventId": frame.event_id,
                "recordingId": thumbnail.recording_id,
                "thumbnailKey": frame.key,
                "sequence": thumbnail.sequence,
                "channelName": self._names.name(thumbnail.channel_arn),
                "frameTime": iso_time(frame.created_at),
                "recordedAt": iso_time(now),
                "decision": FAILED,
                **failure,
                "expiresAt": expiry(now, self._settings.flagged_decision_ttl_days),
            }
            if not self._store.create(item):  # a concurrent delivery of the same record
                decided = self._store.get(thumbnail.channel_arn, key)
        if decided is not None:  # decided, but an action or announcement never completed
            self._store.update(thumbnail.channel_arn, key, {"finalFailure": failure})
            item = {**decided, "finalFailure": failure}
            if unfinished(item):
                return self._finished(frame, item, failure)
        self._metrics.add_metric(name="FramesFailed", unit=MetricUnit.Count, value=1)
        logger.error(
            "frame finally failed",
            extra={"decision_id": frame.decision_id, "decision": item["decision"], **failure},
        )
        told = self._blind.tell(item, error=failure["error"], attempts=failure["attempts"])
        return {
            "recorded": item["decision"],
            "decisionId": frame.decision_id,
            "told": told is not None,
        }

    def _finished(
        self, frame: ObjectCreated, item: Mapping[str, Any], failure: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Resume the decision; when that fails too, tell the room and raise (SQS retries)."""
        try:
            summary = self._finish(frame)
        except Exception as error:
            logger.error(
                "a decided frame could not be finished: left for SQS to deliver again",
                extra={"decision_id": frame.decision_id, "error": str(error)},
            )
            self._metrics.add_metric(name="FramesUnfinished", unit=MetricUnit.Count, value=1)
            self._blind.tell(item, error=str(error)[:MAX_ERROR_CHARS], attempts=failure["attempts"])
            raise
        logger.warning("a decided frame was finished after Lambda gave up on it", extra=summary)
        self._metrics.add_metric(name="FramesFinishedLate", unit=MetricUnit.Count, value=1)
        return {"recorded": item["decision"], "decisionId": frame.decision_id, "finished": True}


def _failure(record: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    context = record.get("requestContext") or {}
    response = record.get("responsePayload") or {}
    if not isinstance(response, Mapping):
        response = {"errorMessage": str(response)}
    attempts = context.get("approximateInvokeCount")
    return {
        "error": str(response.get("errorMessage", "unknown error"))[:MAX_ERROR_CHARS],
        "errorType": str(response.get("errorType", ""))[:200],
        "attempts": attempts if isinstance(attempts, int) else 0,
        "condition": str(context.get("condition", ""))[:100],
        "failedAt": iso_time(now),
    }
