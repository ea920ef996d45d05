"""The STREAM_MODERATION event, schema version 2: what the moderators' room is told.

One event per incident transition (opened, changed, still flagging at most every
INCIDENT_UPDATE_SECONDS, each moderator action, stream end), per channel state change, and
per channel whose frames could not be moderated. Every event carries the whole state a
dashboard shows (documented in the README), so dashboards agree from events alone; the
incident's `incidentVersion` orders them (events can arrive out of order).

Attributes are strings only and never more than SendEvent's 1 KB, whatever the labels,
names or notes: counted as compact UTF-8 JSON (never smaller than keys and values alone),
free text is shortened with "…" and the least needed fields dropped, in a fixed order; the
identifying fields alone always fit (a channel ARN is at most 128 characters).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

EVENT_NAME = "STREAM_MODERATION"
SCHEMA_VERSION = "2"
MAX_ATTRIBUTES_BYTES = 1024

# Event types.
INCIDENT_OPENED = "incident-opened"
INCIDENT_UPDATED = "incident-updated"  # a new category or a higher severity
INCIDENT_FLAGGING = "incident-flagging"  # still flagging: frame count and latest frame
INCIDENT_ACKNOWLEDGED = "incident-acknowledged"
INCIDENT_RESOLVED = "incident-resolved"  # with `resolution`
INCIDENT_REOPENED = "incident-reopened"
INCIDENT_ASSIGNED = "incident-assigned"  # taken over, assigned to a colleague, or released
CHANNEL_STATE = "channel-state"  # live or offline
FRAMES_FAILED = "frames-failed"  # frames that could not be moderated: the room is blind there

# Never shortened nor dropped: what identifies the event and its subject.
_CORE = ("schemaVersion", "type", "eventTime", "incidentId", "incidentVersion", "channelArn")
# Shortened (longest first) when the event is too long, in this order of preference.
_SHORTENABLE = (
    "note",
    "assignedTo",
    "categories",
    "channelName",
    "topLabel",
    "escalatedTo",
    "error",
    "userId",
)
# Then dropped, least needed first.
_DROPPABLE = (
    "note",
    "roomArn",
    "error",
    "contentTypes",
    "categories",
    "latestFrameKey",
    "escalatedTo",
    "dismissedLabels",
    "actedAt",
    "acknowledgedAt",
    "resolvedAt",
    "sessionId",
    "firstFrameTime",
)
_ELLIPSIS = "…"


def attributes_size(attributes: Mapping[str, str]) -> int:
    return len(json.dumps(attributes, separators=(",", ":"), ensure_ascii=False).encode())


def incident_event(
    event_type: str, incident: Mapping[str, Any], *, at: str, actor: str = "", note: str = ""
) -> dict[str, str]:
    """The event for one transition of an incident (its state after the transition)."""
    categories = [
        [category, entry["label"], round(float(entry["confidence"]), 1)]
        for category, entry in sorted(
            incident.get("categories", {}).items(), key=lambda kv: -float(kv[1]["confidence"])
        )
    ]
    auto_stop = incident.get("autoStop") or {}
    fields: dict[str, Any] = {
        "type": event_type,
        "eventTime": at,
        "incidentId": incident["incidentId"],
        "incidentVersion": incident["version"],
        "channelArn": incident["channelArn"],
        "channelName": incident.get("channelName", ""),
        "state": incident["state"],
        "resolution": incident.get("resolution", ""),
        "severity": incident["severity"],
        "topLabel": incident.get("topLabel", ""),
        "topCategory": incident.get("topCategory", ""),
        "topConfidence": f"{float(incident.get('topConfidence', 0)):.1f}",
        "frameCount": incident.get("frameCount", 0),
        # A chat incident's (kind "chat"): the user in a room, their messages and strikes.
        "kind": incident.get("kind", ""),
        "userId": incident.get("userId", ""),
        "roomArn": incident.get("roomArn", ""),
        "messageCount": incident.get("messageCount", ""),
        "strikes": incident.get("strikes", ""),
        "suggestion": incident.get("suggestion", ""),
        "timedOutUntil": incident.get("timedOutUntil", ""),
        "openedAt": incident.get("openedAt", ""),
        "firstFrameTime": incident.get("firstFrameTime", ""),
        "lastFrameTime": incident.get("lastFrameTime", ""),
        "latestFrameKey": incident.get("latestFrameKey", ""),
        "sessionId": incident.get("sessionId", ""),
        "acknowledgedBy": incident.get("acknowledgedBy", ""),
        "assignedTo": incident.get("assignedTo", "")
        if incident.get("state") == "acknowledged"
        else "",
        "acknowledgedAt": incident.get("acknowledgedAt", ""),
        "resolvedBy": incident.get("resolvedBy", ""),
        "resolvedAt": incident.get("resolvedAt", ""),
        "autoStop": auto_stop.get("action", ""),
        "escalatedTo": incident.get("escalatedTo", ""),
        "dismissedLabels": ",".join(incident.get("dismissedLabels", [])),
        "live": _live(incident.get("live")),
        "actor": actor,
        "actedAt": at if actor else "",
        "note": note,
        "contentTypes": ",".join(incident.get("contentTypes", [])),
        "categories": json.dumps(categories, separators=(",", ":"), ensure_ascii=False),
    }
    return fit(fields)


def _holder(incident: Mapping[str, Any]) -> str:
    """Who holds it (incidents/claims.py): its assignee while acknowledged, else nobody."""
    if incident.get("state") != "acknowledged":
        return ""
    return incident.get("assignedTo") or incident.get("acknowledgedBy", "")


def channel_event(
    event_type: str,
    channel_arn: str,
    *,
    at: str,
    channel_name: str = "",
    live: bool | None = None,
    **extra: Any,
) -> dict[str, str]:
    """A channel's event: CHANNEL_STATE, or FRAMES_FAILED with `failedFrames`, `error`,
    `latestFrameKey`."""
    fields = {
        "type": event_type,
        "eventTime": at,
        "incidentId": extra.pop("incidentId", ""),
        "incidentVersion": extra.pop("incidentVersion", ""),
        "channelArn": channel_arn,
        "channelName": channel_name,
        "live": _live(live),
        **extra,
    }
    return fit(fields)


def fit(fields: Mapping[str, Any], limit: int = MAX_ATTRIBUTES_BYTES) -> dict[str, str]:
    """Strings only, empty values left out, within `limit` bytes (see the module's docstring)."""
    attributes = {"schemaVersion": SCHEMA_VERSION}
    attributes.update({k: _text(v) for k, v in fields.items() if _text(v) != ""})
    for name in _SHORTENABLE:
        if attributes_size(attributes) <= limit:
            return attributes
        if name == "categories":
            _trim_list(attributes, limit)
        elif name in attributes:
            excess = attributes_size(attributes) - limit
            _shorten(attributes, name, keep=max(8, len(attributes[name]) - excess))
    for name in _DROPPABLE:
        if attributes_size(attributes) <= limit:
            return attributes
        attributes.pop(name, None)
    for name in [n for n in attributes if n not in _CORE]:
        if attributes_size(attributes) <= limit:
            return attributes
        attributes.pop(name)
    return attributes


def _trim_list(attributes: dict[str, str], limit: int) -> None:
    """Drop the weakest categories (the list is strongest first) until the event fits."""
    if "categories" not in attributes:
        return
    entries = json.loads(attributes["categories"])
    while entries and attributes_size(attributes) > limit:
        entries.pop()
        attributes["categories"] = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)


def _shorten(attributes: dict[str, str], name: str, keep: int) -> None:
    value = attributes[name]
    if len(value) > keep:
        attributes[name] = value[: max(0, keep - 1)] + _ELLIPSIS


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    # SendEvent takes UTF-8: a lone surrogate could not be sent, so it is replaced.
    return text.encode("utf-8", "replace").decode("utf-8")


def _live(live: Any) -> str:
    return "" if live is None else ("true" if live else "false")
