"""What moderators do to incidents — acknowledge, resolve (dismiss, warn, escalate), reopen —
each once, on the incident as they saw it, told to the room and audited.

Every action is a transition the service writes conditionally on the version it read
(incidents/service.py), so of many moderators acting at once one wins and the others get
an IncidentConflict naming who did what first, with the incident as it now is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from chalicelib.channels.store import ChannelStore
from chalicelib.core.dynamo import transact
from chalicelib.core.errors import BadRequest
from chalicelib.incidents.actions import acknowledge, reopen, resolve, seen_version
from chalicelib.incidents.claims import assign, release, take_over
from chalicelib.incidents.errors import IncidentConflict
from chalicelib.incidents.model import (
    CHAT,
    DISMISSED,
    WARNED,
    Conflict,
    is_current,
    quiet_after_dismissal,
)
from chalicelib.incidents.service import Incidents
from chalicelib.policies.watching import Cause, Watchlist
from chalicelib.room.announcements import (
    INCIDENT_ACKNOWLEDGED,
    INCIDENT_ASSIGNED,
    INCIDENT_REOPENED,
    INCIDENT_RESOLVED,
)

Transition = Callable[[dict[str, Any], datetime], dict[str, Any] | None]


class IncidentHandling:
    def __init__(
        self, *, incidents: Incidents, channels: ChannelStore, watchlist: Watchlist | None = None
    ) -> None:
        self._incidents = incidents
        self._channels = channels
        self._watchlist = watchlist

    def acknowledge(
        self, incident_id: str, moderator: str, *, note: str = "", version: int | None = None
    ) -> tuple[dict[str, Any], bool]:
        def apply(incident, now):
            return acknowledge(incident, moderator, now, note)

        return self._act(incident_id, apply, INCIDENT_ACKNOWLEDGED, moderator, note, version)

    def resolve(
        self,
        incident_id: str,
        moderator: str,
        resolution: str,
        *,
        note: str = "",
        labels: Iterable[str] = (),
        team: str = "",
        version: int | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Resolve it (dismissed: the named labels judged wrong, and quiet time for them)."""
        labels = list(labels) if resolution == DISMISSED else []
        details = {"dismissedLabels": labels, "escalatedTo": team, "resolutionNote": note}

        def apply(incident, now):
            unknown = set(labels) - _labels_of(incident)
            if unknown:
                raise BadRequest(f"labels not in this incident: {', '.join(sorted(unknown))}")
            return resolve(incident, moderator, now, resolution, note=note, **details)

        incident, announced = self._act(
            incident_id, apply, INCIDENT_RESOLVED, moderator, note, version
        )
        if resolution == DISMISSED and incident.get("kind") != CHAT:  # a channel's quiet time
            quiet = quiet_after_dismissal(
                incident, labels, self._incidents.now(), self._incidents.quiet_for
            )
            self._channels.set_quiet(incident["channelArn"], quiet)
        if resolution == WARNED and incident.get("kind") != CHAT and self._watchlist is not None:
            self._watchlist.after(warned(incident, moderator, note))  # a warned channel is watched
        return incident, announced

    def reopen(
        self, incident_id: str, moderator: str, *, note: str = "", version: int | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Reopen it; it becomes its channel's current incident again, unless a newer one
        opened meanwhile (that one stays)."""

        def apply(incident, now):
            return reopen(incident, moderator, now, note)

        incident, announced = self._act(
            incident_id, apply, INCIDENT_REOPENED, moderator, note, version
        )
        if incident.get("kind") == CHAT:  # its user's current incident again (chat/service.py)
            return incident, announced
        channel_arn = incident["channelArn"]
        current = self._channels.get(channel_arn).get("openIncidentId")
        if current != incident["incidentId"]:
            store = self._incidents.store
            if not is_current(store.get(current) if current else None):
                claim = self._channels.claim_incident(channel_arn, incident["incidentId"], current)
                transact(self._channels.table.client, [claim])  # a newer incident won: it stays
        return incident, announced

    def take_over(self, incident_id: str, moderator: str, *, note: str = "", version=None):
        def apply(incident, now):
            return take_over(incident, moderator, now, note)

        return self._act(incident_id, apply, INCIDENT_ASSIGNED, moderator, note, version)

    def assign(self, incident_id: str, moderator: str, to: str, *, note: str = "", version=None):
        def apply(incident, now):
            return assign(incident, moderator, to, now, note)

        return self._act(incident_id, apply, INCIDENT_ASSIGNED, moderator, note, version)

    def release(self, incident_id: str, moderator: str, *, note: str = "", version=None):
        def apply(incident, now):
            return release(incident, moderator, now, note)

        return self._act(incident_id, apply, INCIDENT_ASSIGNED, moderator, note, version)

    def _act(
        self,
        incident_id: str,
        apply: Transition,
        event_type: str,
        moderator: str,
        note: str,
        version: int | None,
    ) -> tuple[dict[str, Any], bool]:
        def as_seen(incident, now):
            seen_version(incident, version)
            return apply(incident, now)

        try:
            return self._incidents.transition(
                incident_id, as_seen, event_type=event_type, actor=moderator, note=note
            )
        except Conflict as conflict:
            current = self._incidents.store.get(incident_id) or {}
            raise IncidentConflict(str(conflict), current) from None


def warned(incident: dict[str, Any], moderator: str, note: str) -> Cause:
    """A warning's cause to watch the channel: one per resolution (its time names it)."""
    return Cause(
        channel_arn=incident["channelArn"],
        action=WARNED,
        by=moderator,
        at=incident.get("resolvedAt", ""),
        action_id=f"{incident['incidentId']}-warned-{incident.get('resolvedAt', '')}",
        incident_id=incident["incidentId"],
        note=note,
    )


def _labels_of(incident: dict[str, Any]) -> set[str]:
    categories = incident.get("categories", {})
    return {entry["label"] for entry in categories.values()} | set(categories)
