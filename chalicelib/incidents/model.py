"""Incidents: what moderators handle. Pure rules here; storage and AWS in incidents.py.

A channel's flagged frames of one stream session (one IVS recording) form one incident,
from the first flagged frame until a moderator resolves it or the stream ends:

    open ──acknowledge──▶ acknowledged
      │                       │
      └──────resolve──────────┴──▶ resolved (dismissed | stopped | warned | escalated |
                                             stream-ended) ──reopen──▶ open

Grouping (README, "Incidents"): a flagged frame joins its channel's current incident when
that one is open or acknowledged and of the same session; else it opens a new incident,
unless a dismissal as false positive in the same session put the channel in quiet time
and the frame shows only the dismissed categories at no more than their confidence plus
QUIET_MARGIN (an auto-stop frame is never quiet).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.times import iso_time, parse_time

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
DISMISSED, STOPPED, WARNED, ESCALATED, STREAM_ENDED = (
    "dismissed",
    "stopped",
    "warned",
    "escalated",
    "stream-ended",
)
BANNED, TIMED_OUT = "banned", "timed-out"  # chat incidents' (chat/actions.py)
RESOLUTIONS = (DISMISSED, STOPPED, WARNED, ESCALATED, STREAM_ENDED, BANNED, TIMED_OUT)
CHAT = "chat"  # the `kind` of a chat incident (chat/): its subject is a user in a room
SEVERITY_RANK = {"medium": 1, "high": 2, "critical": 3}
HIGH_CONFIDENCE = 95.0  # a frame this sure of a flagged label is of high severity
QUIET_MARGIN = 5.0  # confidence points above a dismissed one that still count as "similar"
MAX_FRAMES = 30  # frames kept on the incident: the first and the latest (all are in the log)
MAX_TRAIL = 50  # transitions kept on the incident: the first and the latest (all in the log)
POLICY = "policy"  # the actor of an auto-stop
SYSTEM = "system"  # the actor of a stream end
SLA = "sla"  # the actor of an escalation for want of anyone acting in time


# What a resolution adds to an incident, and a reopening takes away.
STOPPING = "stopping"  # a stop under way holds the incident: {auditId, by, at, until}
RESOLUTION_DETAILS = (
    "resolution",
    "resolvedBy",
    "resolvedAt",
    "resolvedDay",
    "escalatedTo",
    "dismissedLabels",
    "resolutionNote",
    "stopAuditId",
)


# What a moderator decides on: a change to any of these makes an earlier view of the
# incident stale (`changedAtVersion`); frames joining it and notes of the stream's end do not.
DECIDED = ("state", "resolution", "acknowledgedBy", "assignedTo", "escalatedTo", STOPPING)


def mark_changes(previous: Mapping[str, Any] | None, incident: dict[str, Any]) -> None:
    """Record in `incident` the version of its last decided change (see DECIDED)."""
    if previous is None or any(previous.get(name) != incident.get(name) for name in DECIDED):
        incident["changedAtVersion"] = incident["version"]


class Conflict(Exception):
    """The transition does not apply to the incident as it now is; says who did what."""


@dataclass(frozen=True)
class FlaggedFrame:
    """What an incident needs of a flagged frame's decision."""

    decision_id: str
    channel_arn: str
    channel_name: str
    session_id: str  # the IVS recording: one per stream session
    key: str
    frame_time: str
    decision: str  # "alert" or "auto-stop"
    action: str  # the auto-stop's outcome: none, stopped, already-offline, stop-failed
    top_label: str
    top_category: str
    top_confidence: float
    categories: Mapping[str, tuple[str, float]]  # category -> (strongest label, confidence)
    content_types: tuple[str, ...] = ()
    keys_revoked: int | None = None
    auto_stop_at: str = ""

    @property
    def severity(self) -> str:
        if self.decision == "auto-stop":
            return "critical"
        return "high" if self.top_confidence >= HIGH_CONFIDENCE else "medium"

    @property
    def auto_stopped(self) -> bool:
        return self.decision == "auto-stop" and self.action in ("stopped", "already-offline")


@dataclass
class Change:
    """An incident after a change, and the event type the room must hear (None: none)."""

    incident: dict[str, Any]
    announce: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def incident_id_for(decision_id: str) -> str:
    """The id of the incident a frame opens: the same on every retry of that frame."""
    return hashlib.sha256(f"incident\n{decision_id}".encode()).hexdigest()[:24]


def is_current(incident: Mapping[str, Any] | None) -> bool:
    """Whether new flagged frames of its session join this incident."""
    return incident is not None and incident["state"] in (OPEN, ACKNOWLEDGED)


def open_incident(frame: FlaggedFrame, now: datetime) -> Change:
    at = iso_time(now)
    incident: dict[str, Any] = {
        "incidentId": incident_id_for(frame.decision_id),
        "version": 0,
        "channelArn": frame.channel_arn,
        "channelName": frame.channel_name,
        "sessionId": frame.session_id,
        "state": OPEN,
        "openedAt": at,
        "openedDay": at[:10],
        "activeQueue": "active",
        "firstFrameTime": frame.frame_time,
        "lastFrameTime": frame.frame_time,
        "latestFrameKey": frame.key,
        "frameCount": 0,
        "frames": [],
        "categories": {},
        "severity": frame.severity,
        "contentTypes": [],
        "trail": [{"at": at, "by": SYSTEM, "action": "opened", "decisionId": frame.decision_id}],
        "lastAnnouncedAt": at,
    }
    _merge(incident, frame)
    change = Change(incident, "incident-opened")
    if frame.auto_stopped:
        resolve_as(incident, now, POLICY, STOPPED, note=f"auto-stop: {frame.action}")
    return change


def add_frame(
    incident: dict[str, Any],
    frame: FlaggedFrame,
    now: datetime,
    update_interval: timedelta,
    *,
    known: bool = False,
) -> Change:
    """The incident with one more flagged frame (a frame it has already — `known`, or among
    the frames it keeps — is not counted twice; only its auto-stop outcome may have changed,
    on a retry)."""
    incident = {**incident, "version": incident["version"] + 1, "trail": list(incident["trail"])}
    known = known or any(item["decisionId"] == frame.decision_id for item in incident["frames"])
    before_rank = SEVERITY_RANK[incident["severity"]]
    before_categories = set(incident["categories"])
    if not known:
        _merge(incident, frame)
    elif frame.decision == "auto-stop":
        _note_auto_stop(incident, frame)
    if frame.auto_stopped and incident["state"] != RESOLVED:
        resolve_as(incident, now, POLICY, STOPPED, note=f"auto-stop: {frame.action}")
        return Change(incident, "incident-resolved", {"known": known})
    if (
        SEVERITY_RANK[incident["severity"]] > before_rank
        or set(incident["categories"]) - before_categories
    ):
        incident["lastAnnouncedAt"] = iso_time(now)
        return Change(incident, "incident-updated", {"known": known})
    if now - parse_time(incident["lastAnnouncedAt"]) >= update_interval and not known:
        incident["lastAnnouncedAt"] = iso_time(now)
        return Change(incident, "incident-flagging", {"known": known})
    return Change(incident, notes={"known": known})


def _merge(incident: dict[str, Any], frame: FlaggedFrame) -> None:
    incident["frameCount"] += 1
    frames = [
        *incident["frames"],
        {"decisionId": frame.decision_id, "key": frame.key, "frameTime": frame.frame_time},
    ]
    incident["frames"] = frames if len(frames) <= MAX_FRAMES else [frames[0], *frames[-29:]]
    if frame.frame_time >= incident["lastFrameTime"]:
        incident.update(lastFrameTime=frame.frame_time, latestFrameKey=frame.key)
    incident["firstFrameTime"] = min(incident["firstFrameTime"], frame.frame_time)
    for category, (label, confidence) in frame.categories.items():
        known = incident["categories"].get(category)
        if known is None or confidence > known["confidence"]:
            incident["categories"][category] = {"label": label, "confidence": confidence}
    if frame.top_confidence >= incident.get("topConfidence", -1):
        incident.update(
            topLabel=frame.top_label,
            topCategory=frame.top_category,
            topConfidence=frame.top_confidence,
        )
    if SEVERITY_RANK[frame.severity] > SEVERITY_RANK[incident["severity"]]:
        incident["severity"] = frame.severity
    incident["contentTypes"] = sorted({*incident["contentTypes"], *frame.content_types})
    if frame.decision == "auto-stop":
        _note_auto_stop(incident, frame)


def _note_auto_stop(incident: dict[str, Any], frame: FlaggedFrame) -> None:
    incident["autoStop"] = {
        "decisionId": frame.decision_id,
        "action": frame.action,
        "at": frame.auto_stop_at or frame.frame_time,
        **({"streamKeysRevoked": frame.keys_revoked} if frame.keys_revoked is not None else {}),
    }


def suppressed(quiet: Mapping[str, Any] | None, frame: FlaggedFrame, now: datetime) -> bool:
    """Whether a dismissal's quiet time keeps this frame from opening a new incident."""
    if not quiet or frame.decision == "auto-stop" or quiet.get("sessionId") != frame.session_id:
        return False
    if now >= parse_time(quiet["until"]):
        return False
    dismissed = quiet.get("categories", {})
    return all(
        category in dismissed and confidence <= float(dismissed[category]) + QUIET_MARGIN
        for category, (_, confidence) in frame.categories.items()
    )


def quiet_after_dismissal(
    incident: Mapping[str, Any], labels: Iterable[str], now: datetime, quiet_for: timedelta
) -> dict[str, Any]:
    """The channel's quiet time after `incident` was dismissed (for the named labels'
    categories, or all of its categories when none were named)."""
    named = set(labels)
    categories = {
        category: entry["confidence"]
        for category, entry in incident["categories"].items()
        if not named or entry["label"] in named or category in named
    }
    return {
        "incidentId": incident["incidentId"],
        "sessionId": incident["sessionId"],
        "until": iso_time(now + quiet_for),
        "categories": categories or {c: e["confidence"] for c, e in incident["categories"].items()},
    }


def resolve_as(
    incident: dict[str, Any], now: datetime, by: str, resolution: str, *, note: str = "", **details
) -> None:
    at = iso_time(now)
    incident.update(
        state=RESOLVED, resolution=resolution, resolvedBy=by, resolvedAt=at, resolvedDay=at[:10]
    )
    incident.update({k: v for k, v in details.items() if v not in (None, "", [])})
    incident.pop(STOPPING, None)  # a resolution ends any stop's hold
    if resolution == ESCALATED:
        incident["activeQueue"] = "active"  # escalated incidents stay in the queue
    else:
        incident.pop("activeQueue", None)
    add_to_trail(incident, now, by, f"resolved:{resolution}", note=note)


def next_version(incident: Mapping[str, Any]) -> dict[str, Any]:
    return {**incident, "version": incident["version"] + 1, "trail": list(incident["trail"])}


def add_to_trail(
    incident: dict[str, Any], now: datetime, by: str, action: str, note: str = ""
) -> None:
    entry = {"at": iso_time(now), "by": by, "action": action, **({"note": note} if note else {})}
    trail = [*incident.get("trail", []), entry]
    incident["trail"] = trail if len(trail) <= MAX_TRAIL else [trail[0], *trail[-49:]]


INTERNAL = ("activeQueue", "openedDay", "resolvedDay", "expiresAt", "lastAnnouncedAt")


def public(incident: Mapping[str, Any]) -> dict[str, Any]:
    """The incident as the API shows it."""
    return {k: v for k, v in incident.items() if k not in INTERNAL}
