"""Moderating one thumbnail: read, detect, decide, record, act, tell the moderators.

Delivery of S3 events is at-least-once and Lambda retries a failed invoke, so every step
is resumable: the decision is recorded before anything is acted on, and a retry of the
same object reuses it (no second Rekognition call), finishing only what is left (the
auto-stop, the chat event). Concurrent duplicates are kept out one level up by the
Powertools idempotency layer that wraps `ThumbnailModerator.moderate` (dependencies.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.channels.store import ChannelNames
from chalicelib.core.config import Settings
from chalicelib.core.detection import UnscannableImage, detect_moderation_labels
from chalicelib.core.ivs import Thumbnail
from chalicelib.core.times import expiry, iso_time
from chalicelib.decisions.store import DecisionStore, sort_key
from chalicelib.frames.event import Gone, ObjectCreated, Superseded, read_written
from chalicelib.frames.policy_step import FramePolicy
from chalicelib.frames.record import (
    ACTION_NONE,
    ACTION_STOP_FAILED,
    DELIVERY_COALESCED,
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_NOT_REQUIRED,
    DELIVERY_PENDING,
    FAILED,
    FAILURE_FIELDS,
    INCIDENT_JOINED,
    INCIDENT_SUPPRESSED,
    LISTED_DECISIONS,
    SUPERSEDED,
    decision_fields,
    delivery_left,
    incident_left,
    stop_left,
)
from chalicelib.frames.skipping import FrameSkipper
from chalicelib.incidents.service import Incidents, flagged_frame
from chalicelib.policies.book import Applied, PolicyBook
from chalicelib.room.blind import BlindNotices
from chalicelib.room.chat import ModerationRoom
from chalicelib.rules.policy import CLEAN, UNSCANNABLE
from chalicelib.streams.enforcement import revoke_then_stop

logger = logging.getLogger(__name__)

BOTH_STORAGES = frozenset({"SEQUENTIAL", "LATEST"})


class ModerationIncomplete(Exception):
    """The decision is recorded but an action or its chat event failed; a retry finishes it."""


class ThumbnailModerator:
    def __init__(
        self,
        *,
        settings: Settings,
        rekognition,
        s3,
        ivs,
        room: ModerationRoom,
        store: DecisionStore,
        incidents: Incidents,
        names: ChannelNames,
        blind: BlindNotices,
        metrics,
        book: PolicyBook,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._skipper = FrameSkipper(  # whether it applies is the channel's policy's say
            store,
            enabled=True,
            max_age_seconds=settings.frame_skip_max_age_seconds,
            metrics=metrics,
        )
        self._policies = FramePolicy(
            book=book, names=names, store=store, skipper=self._skipper, metrics=metrics
        )
        self._rekognition = rekognition
        self._s3 = s3
        self._ivs = ivs
        self._room = room
        self._store = store
        self._incidents = incidents
        self._names = names
        self._blind = blind
        self._metrics = metrics
        self._clock = clock

    def moderate(self, frame: ObjectCreated) -> dict[str, str]:
        """Moderate one created object; returns a summary of the decision."""
        thumbnail = frame.thumbnail
        if frame.bucket != self._settings.recording_bucket or thumbnail is None:
            logger.info(
                "ignored: not an IVS thumbnail of the recording bucket",
                extra={"bucket": frame.bucket, "key": frame.key},
            )
            self._metrics.add_metric(name="ObjectsIgnored", unit=MetricUnit.Count, value=1)
            return {"decision": "ignored", "key": frame.key}
        if thumbnail.sequence is None and self._settings.thumbnail_storage == BOTH_STORAGES:
            # With SEQUENTIAL and LATEST, IVS writes each frame twice: thumbN.jpg decides it.
            logger.info("ignored: a LATEST thumbnail, covered by its SEQUENTIAL copy")
            self._metrics.add_metric(name="ObjectsIgnored", unit=MetricUnit.Count, value=1)
            return {"decision": "ignored", "key": frame.key}

        key = sort_key(frame.created_at, frame.decision_id)
        item = self._store.get(thumbnail.channel_arn, key)
        if item is None or item["decision"] == FAILED:  # a later delivery: decide it now
            item = self._decide(frame, thumbnail, key, failed=item)
        else:
            logger.info("resuming a recorded decision", extra={"decision_id": frame.decision_id})

        failures: list[Exception] = []
        if stop_left(item):
            item.update(self._auto_stop(item, failures))
        if incident_left(item):
            item.update(self._join_incident(item))
        if delivery_left(item):
            deliver = self._tell_blind if item["decision"] == UNSCANNABLE else self._deliver
            item.update(deliver(item, failures))

        summary = {
            "decisionId": item["decisionId"],
            "channelArn": item["channelArn"],
            "decision": item["decision"],
            "action": item["action"],
            "incidentId": item.get("incidentId", ""),
            "delivery": item["delivery"],
        }
        logger.info("frame moderated", extra=summary)
        if failures:
            raise ModerationIncomplete(
                f"decision {item['decisionId']} recorded, {summary}"
            ) from failures[0]
        return summary

    def _decide(
        self,
        frame: ObjectCreated,
        thumbnail: Thumbnail,
        key: str,
        failed: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = self._clock()
        item: dict[str, Any] = {
            "channelArn": thumbnail.channel_arn,
            "sortKey": key,
            "kind": "frame",
            "decisionId": frame.decision_id,
            "eventId": frame.event_id,
            "recordingId": thumbnail.recording_id,
            "bucket": frame.bucket,
            "thumbnailKey": frame.key,
            "sequence": thumbnail.sequence,
            "channelName": self._names.name(thumbnail.channel_arn),
            "frameTime": iso_time(frame.created_at),
            "recordedAt": iso_time(now),
            "action": ACTION_NONE,
            "delivery": DELIVERY_NOT_REQUIRED,
        }
        item.update(self._analyse(frame, thumbnail.channel_arn, now))
        if item["decision"] in LISTED_DECISIONS:
            item["day"] = key[:10]
        self._metrics.add_metric(name="FramesModerated", unit=MetricUnit.Count, value=1)

        if failed is not None:
            item["earlierFailure"] = {k: failed[k] for k in FAILURE_FIELDS if k in failed}
        written = self._store.replace_failed(item) if failed else self._store.create(item)
        if not written:
            # A concurrent delivery of the same object recorded it first: go on from its record.
            recorded = self._store.get(item["channelArn"], key)
            if recorded is not None:
                return recorded
        return {k: v for k, v in item.items() if v is not None}

    def _analyse(self, frame: ObjectCreated, channel_arn: str, now: datetime) -> dict[str, Any]:
        """The decision's fields (with the policy that made them): from Rekognition, reused for
        a near-duplicate frame, or sampled (frames/policy_step.py)."""
        applied = self._policies.applied(channel_arn, now)
        fields = self._policies.sampled(applied, frame) or self._analysed(frame, now, applied)
        days = self._settings.decision_ttl_days
        return {"expiresAt": expiry(now, days), **fields, **self._policies.recorded(applied)}

    def _analysed(self, frame: ObjectCreated, now: datetime, applied: Applied) -> dict[str, Any]:
        settings, channel_arn = self._settings, frame.thumbnail.channel_arn
        fingerprint = None
        try:
            data = read_written(self._s3, frame)
            fingerprint = self._policies.fingerprint(applied, data)
            if fingerprint is not None:
                reused = self._skipper.reuse(channel_arn, fingerprint, frame.created_at)
                if reused is not None:
                    return reused
            detection = detect_moderation_labels(
                self._rekognition, data, settings.min_confidence, settings.adapter_arn
            )
        except Superseded:
            logger.info("superseded: the write was overwritten before it was read")
            self._metrics.add_metric(name="FramesSuperseded", unit=MetricUnit.Count, value=1)
            return {"decision": SUPERSEDED}
        except (UnscannableImage, Gone) as error:
            logger.warning("unscannable frame", extra={"key": frame.key, "error": str(error)})
            self._metrics.add_metric(name="FramesUnscannable", unit=MetricUnit.Count, value=1)
            # the next frame is analysed, never a reuse nor sampled
            self._policies.remember(applied, fingerprint, frame, UNSCANNABLE, now)
            return {
                "decision": UNSCANNABLE,
                "delivery": DELIVERY_PENDING,  # the team is blind on this frame: tell them
                "unscannableReason": error.code,
                "error": error.message,
                "expiresAt": expiry(now, settings.flagged_decision_ttl_days),
            }
        self._metrics.add_metric(
            name="RekognitionLatency", unit=MetricUnit.Milliseconds, value=detection.latency_ms
        )
        verdict = applied.policy.evaluate(detection.labels, detection.content_types)
        fields = decision_fields(verdict, detection, settings.adapter_arn)
        flagged = verdict.decision != CLEAN
        days = settings.flagged_decision_ttl_days if flagged else settings.decision_ttl_days
        fields["expiresAt"] = expiry(now, days)
        if flagged:
            self._metrics.add_metric(name="FramesFlagged", unit=MetricUnit.Count, value=1)
        self._policies.remember(applied, fingerprint, frame, verdict.decision, now)
        self._policies.after_verdict(applied, verdict, channel_arn, now)
        return fields

    def _auto_stop(self, item: Mapping[str, Any], failures: list[Exception]) -> dict[str, Any]:
        # Keys are revoked once: a retry after a failed StopStream does not list them again.
        revoke = self._settings.revoke_stream_key_on_auto_stop and "streamKeysRevoked" not in item
        enforcement = revoke_then_stop(self._ivs, item["channelArn"], revoke=revoke)
        changes: dict[str, Any] = enforcement.fields()
        if enforcement.stop_error is not None:
            error = enforcement.stop_error
            logger.error("auto-stop failed", extra={"error": str(error)})
            changes.update(action=ACTION_STOP_FAILED, actionError=str(error))
            failures.append(error)
        else:
            changes["action"] = enforcement.outcome
            self._metrics.add_metric(name="AutoStops", unit=MetricUnit.Count, value=1)
            logger.warning("stream auto-stopped", extra=changes)
        changes["actedAt"] = iso_time(self._clock())
        self._store.update(item["channelArn"], item["sortKey"], changes)
        return changes

    def _join_incident(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """Add the flagged frame to its channel's incident (or open one); what to announce."""
        outcome = self._incidents.record_frame(
            flagged_frame(item), known_incident=item.get("incidentId")
        )
        changes: dict[str, Any] = {"incidentAction": item["action"]}
        if outcome.suppressed_by is not None:
            changes.update(incident=INCIDENT_SUPPRESSED, suppressedBy=outcome.suppressed_by)
            logger.info("quiet after a dismissal: no new incident", extra=changes)
        else:
            changes.update(incident=INCIDENT_JOINED, incidentId=outcome.incident_id)
        if outcome.announce is not None:
            changes.update(announce=outcome.announce, delivery=DELIVERY_PENDING)
        self._store.update(item["channelArn"], item["sortKey"], changes)
        return changes

    def _tell_blind(self, item: Mapping[str, Any], failures: list[Exception]) -> dict[str, Any]:
        """Tell the room the channel has a frame it could not moderate (once per interval)."""
        error = f"{item.get('unscannableReason', '')}: {item.get('error', '')}"
        try:
            event_id = self._blind.tell(item, error=error)
        except (ClientError, BotoCoreError) as failure:
            logger.error("blind-channel notice not delivered", extra={"error": str(failure)})
            self._metrics.add_metric(name="DeliveryFailures", unit=MetricUnit.Count, value=1)
            changes = {"delivery": DELIVERY_FAILED, "deliveryError": str(failure)}
            failures.append(failure)
        else:  # None: the room heard of this channel moments ago
            changes = {"delivery": DELIVERY_DELIVERED if event_id else DELIVERY_COALESCED}
            if event_id:
                changes["chatEventId"] = event_id
        self._store.update(item["channelArn"], item["sortKey"], changes)
        return changes

    def _deliver(self, item: Mapping[str, Any], failures: list[Exception]) -> dict[str, Any]:
        """Send the announcement this frame owes the room (the incident as it is now)."""
        try:
            event_id = self._room.send(
                self._incidents.event_for(item["announce"], item["incidentId"])
            )
        except (ClientError, BotoCoreError) as error:
            logger.error("STREAM_MODERATION not delivered", extra={"error": str(error)})
            self._metrics.add_metric(name="DeliveryFailures", unit=MetricUnit.Count, value=1)
            changes = {"delivery": DELIVERY_FAILED, "deliveryError": str(error)}
            failures.append(error)
        else:
            changes = {"delivery": DELIVERY_DELIVERED, "chatEventId": event_id}
        changes["deliveryAttemptedAt"] = iso_time(self._clock())
        self._store.update(item["channelArn"], item["sortKey"], changes)
        return changes
