"""What moderators (and the stream's end) do to an incident: pure transitions. Each returns
the incident's next version, None when nothing changes, or raises Conflict naming who did
what first; incidents/service.py writes them conditionally on the version they read.

A moderator acts on the incident as they saw it: given the `version` they hold
(`seen_version`), an action on an incident that changed since is a Conflict naming the
change. A stop claims the incident before IVS is called (`claim_for_stop`: the `stopping`
marker, at most until its lease ends); while it holds, every other action is a Conflict,
and the stop settles the incident (or releases it, when IVS refused)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.core.times import iso_time
from chalicelib.incidents.claims import holder, must_hold
from chalicelib.incidents.model import (
    ACKNOWLEDGED,
    ESCALATED,
    OPEN,
    RESOLUTION_DETAILS,
    RESOLVED,
    STOPPING,
    STREAM_ENDED,
    SYSTEM,
    Conflict,
    add_to_trail,
    next_version,
    resolve_as,
)


def seen_version(incident: Mapping[str, Any], version: int | None) -> None:
    """Conflict unless the incident is as it was at `version` (None: the client did not
    say): nobody decided anything on it since (`model.DECIDED`; frames may have joined)."""
    if version is None:
        return
    if version > incident["version"]:
        raise Conflict(
            f"version {version} is not one this incident has had: it is at {incident['version']}"
        )
    if version < incident.get("changedAtVersion", 0):
        raise Conflict(
            f"it changed since you saw it (version {version}, now {incident['version']}): "
            f"{last_change(incident)}"
        )


def last_change(incident: Mapping[str, Any]) -> str:
    """Who did what last, in words: "resolved as warned by tom at 2026-…"."""
    stopping = incident.get(STOPPING)
    if stopping:
        return f"being stopped by {stopping['by']} since {stopping['at']}"
    entry = (incident.get("trail") or [{}])[-1]
    action = str(entry.get("action", "changed")).replace("resolved:", "resolved as ")
    return f"{action} by {entry.get('by', 'someone')} at {entry.get('at', '')}"


def acknowledge(incident: Mapping[str, Any], moderator: str, now: datetime, note: str = ""):
    """Acknowledged, and assigned to the moderator (claims.py): theirs to act on."""
    _must_not_be_stopping(incident, now)
    _must_not_be_resolved(incident)
    if incident["state"] == ACKNOWLEDGED:
        held_by = holder(incident)
        if held_by == moderator:
            return None  # already theirs: nothing changes
        since = incident.get("assignedAt") or incident["acknowledgedAt"]
        raise Conflict(f"already acknowledged by {held_by} at {since}: take it over to act on it")
    changed = next_version(incident)
    at = iso_time(now)
    changed.update(
        state=ACKNOWLEDGED,
        acknowledgedBy=moderator,
        acknowledgedAt=at,
        assignedTo=moderator,
        assignedAt=at,
    )
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
    """Resolve it; an escalated incident is settled by the team it went to (it cannot be
    escalated again), and a stop settles the incident it claimed (`stopAuditId`)."""
    _must_not_be_stopping(incident, now, unless=details.get("stopAuditId"))
    must_hold(incident, moderator)
    if incident.get("resolution") == ESCALATED:
        if resolution == ESCALATED:
            raise Conflict(
                f"already escalated to {incident.get('escalatedTo', '')} by "
                f"{incident.get('resolvedBy', '')} at {incident.get('resolvedAt', '')}"
            )
    else:
        _must_not_be_resolved(incident)
    changed = next_version(incident)
    resolve_as(changed, now, moderator, resolution, note=note, **details)
    return changed


def reopen(incident: Mapping[str, Any], moderator: str, now: datetime, note: str = ""):
    _must_not_be_stopping(incident, now)
    if incident["state"] != RESOLVED:
        raise Conflict(f"it is not resolved: it is {incident['state']} ({last_change(incident)})")
    changed = next_version(incident)
    for name in RESOLUTION_DETAILS:
        changed.pop(name, None)
    changed.update(state=OPEN, activeQueue="active")
    for name in ("acknowledgedBy", "acknowledgedAt", "assignedTo", "assignedAt"):
        changed.pop(name, None)
    add_to_trail(changed, now, moderator, "reopened", note=note)
    return changed


def claim_for_stop(
    incident: Mapping[str, Any], moderator: str, now: datetime, audit_id: str, until: datetime
) -> dict[str, Any]:
    """The incident held by a stop under way (`stopping`), so that no other action can
    settle it differently; the stop resolves it, or `release_stop` lets it go."""
    _must_not_be_stopping(incident, now)
    must_hold(incident, moderator)
    if incident.get("resolution") != ESCALATED:
        _must_not_be_resolved(incident)
    changed = next_version(incident)
    changed[STOPPING] = {
        "auditId": audit_id,
        "by": moderator,
        "at": iso_time(now),
        "until": iso_time(until),
    }
    return changed


def release_stop(incident: Mapping[str, Any], audit_id: str) -> dict[str, Any] | None:
    """The incident without the stop's hold (IVS refused the stop); None if not held by it."""
    if (incident.get(STOPPING) or {}).get("auditId") != audit_id:
        return None
    changed = next_version(incident)
    changed.pop(STOPPING)
    return changed


def being_stopped(incident: Mapping[str, Any], now: datetime) -> dict[str, Any] | None:
    """The stop that holds the incident now, or None (none, or its lease has run out)."""
    stopping = incident.get(STOPPING)
    return stopping if stopping and iso_time(now) < stopping["until"] else None


def end_stream(incident: Mapping[str, Any], now: datetime) -> dict[str, Any] | None:
    """The stream ended: an untouched (open) incident resolves as stream-ended; one a
    moderator acknowledged stays theirs, noting the end; one being stopped is the stop's
    to settle. None when nothing changes."""
    if incident["state"] == RESOLVED or being_stopped(incident, now):
        return None
    changed = next_version(incident)
    if incident["state"] == OPEN:
        resolve_as(changed, now, SYSTEM, STREAM_ENDED, note="the stream ended before anyone acted")
    else:
        changed["streamEndedAt"] = iso_time(now)
        add_to_trail(changed, now, SYSTEM, "stream-ended")
    return changed


def _must_not_be_stopping(incident: Mapping[str, Any], now: datetime, unless: Any = None) -> None:
    stopping = being_stopped(incident, now)
    if stopping and stopping["auditId"] != unless:
        raise Conflict(f"being stopped by {stopping['by']} since {stopping['at']}")


def _must_not_be_resolved(incident: Mapping[str, Any]) -> None:
    if incident["state"] == RESOLVED:
        by = incident.get("resolvedBy", "")
        raise Conflict(
            f"already resolved as {incident['resolution']} by {by} at {incident['resolvedAt']}"
        )
