"""What a frame's record in the decision log says beside its decision: what became of its
action, its chat event and its incident step, and how its labels are kept."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chalicelib.core.detection import Detection
from chalicelib.rules.policy import AUTO_STOP, UNSCANNABLE, Label, Verdict

logger = logging.getLogger(__name__)

# A write overwritten before it was read: its successor's own event moderates the content.
SUPERSEDED = "superseded"
# Decisions listed across channels (they carry `day`, the sparse `byDay` index's key).
LISTED_DECISIONS = frozenset({"alert", AUTO_STOP, UNSCANNABLE, "failed"})

# What became of the decision's action and of its chat event (attributes `action`, `delivery`).
ACTION_NONE = "none"
ACTION_PENDING = "pending"
ACTION_STOP_FAILED = "stop-failed"
DELIVERY_NOT_REQUIRED = "not-required"
DELIVERY_PENDING = "pending"
DELIVERY_DELIVERED = "delivered"
DELIVERY_FAILED = "failed"
DELIVERY_COALESCED = "coalesced"  # a notice for the channel went out moments before
# A frame recorded `failed` after Lambda gave up on it (failures.py), and what it kept.
FAILED = "failed"
FAILURE_FIELDS = ("error", "errorType", "attempts", "condition", "failedAt")
# Where a flagged frame stands with incidents (attribute `incident`).
INCIDENT_PENDING = "pending"
INCIDENT_JOINED = "joined"
INCIDENT_SUPPRESSED = "suppressed"


def label_item(label: Label) -> dict[str, Any]:
    return {
        "name": label.name,
        "parent": label.parent,
        "level": label.level,
        "category": label.category,
        "confidence": round(label.confidence, 3),
    }


def decision_fields(verdict: Verdict, detection: Detection, adapter_arn: str) -> dict[str, Any]:
    """What Rekognition said of a frame and what the policy made of it, as the record keeps it."""
    fields: dict[str, Any] = {
        "decision": verdict.decision,
        "labels": [label_item(label) for label in detection.labels],
        "modelVersion": detection.model_version,
        "contentTypes": [
            {"name": kind.name, "confidence": round(kind.confidence, 3)}
            for kind in detection.content_types
        ],
    }
    if detection.adapter is not None:
        fields["adapterArn"] = adapter_arn
        fields["adapterAnswered"] = detection.adapter == adapter_arn
        if not fields["adapterAnswered"]:
            logger.warning("the moderation adapter did not answer (expired?): base model used")
    if verdict.top_label is not None:
        fields.update(
            topLabel=verdict.top_label.name,
            topCategory=verdict.top_label.category,
            topConfidence=round(verdict.top_label.confidence, 2),
            categories=[
                {
                    "category": label.category,
                    "label": label.name,
                    "confidence": round(label.confidence, 2),
                }
                for label in verdict.by_category
            ],
            incident=INCIDENT_PENDING,
        )
    if verdict.decision == AUTO_STOP:
        fields["action"] = ACTION_PENDING
    return fields


def stop_left(item: Mapping[str, Any]) -> bool:
    """Its auto-stop is still to do (not tried, or failed)."""
    return item.get("action") in (ACTION_PENDING, ACTION_STOP_FAILED)


def incident_left(item: Mapping[str, Any]) -> bool:
    """Its incident step is still to do (or the incident does not know its stop's outcome)."""
    return item.get("incident") == INCIDENT_PENDING or (
        item.get("incident") == INCIDENT_JOINED and item.get("incidentAction") != item.get("action")
    )


def delivery_left(item: Mapping[str, Any]) -> bool:
    """Its chat event (or blind notice) is still to send."""
    return item.get("delivery") in (DELIVERY_PENDING, DELIVERY_FAILED)


def unfinished(item: Mapping[str, Any]) -> bool:
    """Whether a recorded decision has work left (what `ThumbnailModerator.moderate` resumes)."""
    return stop_left(item) or incident_left(item) or delivery_left(item)
