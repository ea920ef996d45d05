"""Who holds an incident: claims that hold, taken over in the open.

Acknowledging an incident assigns it to the moderator who did (`assignedTo`). While it is
held, only its holder acts on it: anyone else's action is a Conflict naming the holder,
unless they first **take it over** (audited in the trail and the decision log, and told to
every moderator, the holder included). A holder may **assign** it to a named colleague or
**release** it (open again, unassigned). What the service does by itself — a stream's end,
a policy's auto-stop, an SLA escalation — is not a moderator's action and is never held up.
Pure transitions, as incidents/actions.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.core.times import iso_time
from chalicelib.incidents.model import (
    ACKNOWLEDGED,
    OPEN,
    POLICY,
    RESOLVED,
    SLA,
    SYSTEM,
    Conflict,
    add_to_trail,
    next_version,
)

AUTOMATIC = frozenset({SYSTEM, POLICY, SLA})  # actors no claim holds up


def holder(incident: Mapping[str, Any]) -> str:
    """Who holds the incident ("" nobody); an incident acknowledged before claims existed
    is held by whoever acknowledged it."""
    if incident.get("state") != ACKNOWLEDGED:
        return ""
    return incident.get("assignedTo") or incident.get("acknowledgedBy", "")


def must_hold(incident: Mapping[str, Any], moderator: str) -> None:
    """Conflict unless the moderator may act on the incident: nobody holds it, they do, or
    they are the service itself."""
    held_by = holder(incident)
    if held_by and held_by != moderator and moderator not in AUTOMATIC:
        since = incident.get("assignedAt") or incident.get("acknowledgedAt", "")
        raise Conflict(f"assigned to {held_by} since {since}: take it over to act on it")


def take_over(incident: Mapping[str, Any], moderator: str, now: datetime, note: str = ""):
    """The incident held by `moderator` from now on, from whoever held it (or nobody)."""
    _must_be_unresolved(incident)
    previous = holder(incident)
    if previous == moderator:
        return None  # theirs already: nothing changes
    changed = _held_by(incident, moderator, now)
    action = f"taken-over-from:{previous}" if previous else "taken-over"
    add_to_trail(changed, now, moderator, action, note=note)
    return changed


def assign(incident: Mapping[str, Any], by: str, to: str, now: datetime, note: str = ""):
    """The incident held by colleague `to`, given by its holder (or by anyone while nobody
    holds it)."""
    _must_be_unresolved(incident)
    must_hold(incident, by)
    if holder(incident) == to:
        return None
    changed = _held_by(incident, to, now)
    add_to_trail(changed, now, by, f"assigned-to:{to}", note=note)
    return changed


def release(incident: Mapping[str, Any], moderator: str, now: datetime, note: str = ""):
    """The incident open again and held by nobody, let go by its holder."""
    _must_be_unresolved(incident)
    if not holder(incident):
        raise Conflict("nobody holds it: there is nothing to release")
    must_hold(incident, moderator)
    changed = next_version(incident)
    changed["state"] = OPEN
    for name in ("assignedTo", "assignedAt", "acknowledgedBy", "acknowledgedAt"):
        changed.pop(name, None)
    add_to_trail(changed, now, moderator, "released", note=note)
    return changed


def _held_by(incident: Mapping[str, Any], moderator: str, now: datetime) -> dict[str, Any]:
    changed = next_version(incident)
    at = iso_time(now)
    changed.update(state=ACKNOWLEDGED, assignedTo=moderator, assignedAt=at)
    changed.setdefault("acknowledgedBy", moderator)
    changed.setdefault("acknowledgedAt", at)
    return changed


def _must_be_unresolved(incident: Mapping[str, Any]) -> None:
    if incident["state"] == RESOLVED:
        raise Conflict(
            f"already resolved as {incident.get('resolution', '')} by "
            f"{incident.get('resolvedBy', '')} at {incident.get('resolvedAt', '')}"
        )
