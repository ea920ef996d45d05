"""What moderators (and the stream's end) do to an incident: pure transitions. Each returns
the incident's next version, None when nothing changes, or raises Conflict naming who did
what first; incidents/service.py writes them conditionally on the version they read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.core.times import iso_time
from chalicelib.incidents.model import (
    ACKNOWLEDGED,
    ESCALATED,
    OPEN,
    RESOLUTION_DETAILS,
    RESOLVED,
    STREAM_ENDED,
    SYSTEM,
    Conflict,
    add_to_trail,
    next_version,
    resolve_as,
)


def acknowledge(incident: Mapping[str, Any], moderator: str, now: datetime, note: str = ""):
    _must_not_be_resolved(incident)
    if incident["state"] == ACKNOWLEDGED:
        if incident["acknowledgedBy"] == moderator:
            return None  # already theirs: nothing changes
        raise Conflict(
            f"already acknowledged by {incident['acknowledgedBy']} at {incident['acknowledgedAt']}"
        )
    changed = next_version(incident)
    changed.update(state=ACKNOWLEDGED, acknowledgedBy=moderator, acknowledgedAt=iso_time(now))
    add_to_trail(changed, now, moderator, "acknowledged", note=note)
    return changed


def resolve(
    incident: Mapping[str, Any],
    moderator: str,
    now: datetime,
    resolution: str,
    *,
    note: str = "",
    **details: Any,
) -> dict[str, Any]:
    if incident.get("resolution") != ESCALATED:  # the team it went to settles it
        _must_not_be_resolved(incident)
    changed = next_version(incident)
    resolve_as(changed, now, moderator, resolution, note=note, **details)
    return changed


def reopen(incident: Mapping[str, Any], moderator: str, now: datetime, note: str = ""):
    if incident["state"] != RESOLVED:
        raise Conflict(f"it is not resolved: it is {incident['state']}")
    changed = next_version(incident)
    for name in RESOLUTION_DETAILS:
        changed.pop(name, None)
    changed.update(state=OPEN, activeQueue="active")
    changed.pop("acknowledgedBy", None)
    changed.pop("acknowledgedAt", None)
    add_to_trail(changed, now, moderator, "reopened", note=note)
    return changed


def end_stream(incident: Mapping[str, Any], now: datetime) -> dict[str, Any] | None:
    """The stream ended: an untouched (open) incident resolves as stream-ended; one a
    moderator acknowledged stays theirs, noting the end. None when nothing changes."""
    if incident["state"] == RESOLVED:
        return None
    changed = next_version(incident)
    if incident["state"] == OPEN:
        resolve_as(changed, now, SYSTEM, STREAM_ENDED, note="the stream ended before anyone acted")
    else:
        changed["streamEndedAt"] = iso_time(now)
        add_to_trail(changed, now, SYSTEM, "stream-ended")
    return changed


def _must_not_be_resolved(incident: Mapping[str, Any]) -> None:
    if incident["state"] == RESOLVED:
        by = incident.get("resolvedBy", "")
        raise Conflict(
            f"already resolved as {incident['resolution']} by {by} at {incident['resolvedAt']}"
        )
