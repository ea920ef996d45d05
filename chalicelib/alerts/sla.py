"""The SLA sweep: open incidents nobody acknowledged within their severity's target
(SLA_MINUTES) are escalated to the SLA team (SLA_ESCALATION_TEAM), each exactly once.

The escalation is a transition of the incident service (actor `sla`): the `slaBreachedAt`
marker, a trail entry and its audit entry are written in one transaction, conditional on
the version read. Of two sweeps at once, or a sweep and its retry, one commits; the other
finds the marker on its next read and changes nothing. The incident stays open, in the
queue, for any moderator to take; the escalation is published (`sla-breach`) and e-mailed.
An incident is breached at most once, even if it is reopened later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.alerts.events import SLA_BREACHED
from chalicelib.alerts.publisher import EventPublisher
from chalicelib.core.dynamo import ConditionFailed
from chalicelib.core.times import iso_time, parse_time
from chalicelib.incidents.actions import being_stopped
from chalicelib.incidents.model import OPEN, Conflict, add_to_trail, next_version
from chalicelib.incidents.service import Incidents
from chalicelib.room.announcements import INCIDENT_UPDATED

logger = logging.getLogger(__name__)

SLA = "sla"  # the actor of an SLA escalation
PAGE = 100  # incident ids read per page of the active index
MAX_PAGES = 50  # a sweep reads at most this many (the next sweep reads on)


def waiting_since(incident: Mapping[str, Any]) -> str:
    """When the incident last became open: opened, or reopened."""
    for entry in reversed(incident.get("trail", [])):
        if entry.get("action") in ("opened", "reopened"):
            return str(entry["at"])
    return str(incident["openedAt"])


def breach(
    incident: Mapping[str, Any], now: datetime, targets: Mapping[str, int], team: str
) -> dict[str, Any] | None:
    """The incident escalated for its breached SLA; None when it is not (or no longer) due."""
    minutes = targets.get(str(incident.get("severity")))
    if (
        minutes is None
        or incident["state"] != OPEN
        or incident.get("slaBreachedAt")
        or being_stopped(incident, now)
        or now - parse_time(waiting_since(incident)) < timedelta(minutes=minutes)
    ):
        return None
    changed = next_version(incident)
    changed.update(slaBreachedAt=iso_time(now), slaEscalatedTo=team, slaTargetMinutes=minutes)
    note = f"not acknowledged within {minutes} min: escalated to {team}"
    add_to_trail(changed, now, SLA, SLA_BREACHED, note=note)
    return changed


class SlaSweep:
    def __init__(
        self,
        *,
        incidents: Incidents,
        publisher: EventPublisher,
        targets: Mapping[str, int],
        team: str,
    ) -> None:
        self._incidents = incidents
        self._publisher = publisher
        self._targets = dict(targets)
        self._team = team

    def sweep(self) -> dict[str, Any]:
        """Publish deferred events, then escalate every incident due; what was done."""
        published = self._publisher.catch_up()
        escalated = [i for i in self._due() if self._escalate(i)]
        if escalated:
            logger.warning("SLA breached: escalated", extra={"incidents": escalated})
        return {"escalated": escalated, "deferredEventsPublished": published}

    def _due(self) -> list[str]:
        if not self._targets:
            return []
        now = self._incidents.now()
        latest = iso_time(now - timedelta(minutes=min(self._targets.values())))
        store, ids, after = self._incidents.store, [], None
        for _ in range(MAX_PAGES):  # the active queue, opened long enough ago for a target
            found, after = store.index_page(
                "active", ("activeQueue", "active"), ("openedAt", "0", latest),
                limit=PAGE, newest_first=False, start=after,
            )  # fmt: skip
            ids += found
            if not after:
                break
        due = [i for i in store.many(ids) if breach(i, now, self._targets, self._team)]
        return sorted(i["incidentId"] for i in due)

    def _escalate(self, incident_id: str) -> bool:
        """Escalated by this sweep (False: not due any more, or another sweep did it)."""
        done: list[bool] = []

        def apply(incident: dict[str, Any], now: datetime) -> dict[str, Any] | None:
            changed = breach(incident, now, self._targets, self._team)
            done.append(changed is not None)
            return changed

        try:
            self._incidents.transition(
                incident_id, apply, event_type=INCIDENT_UPDATED, actor=SLA,
                note=f"SLA breached: escalated to {self._team}",
            )  # fmt: skip
        except (Conflict, LookupError, ConditionFailed, ClientError, BotoCoreError) as error:
            # The next sweep, a minute later, tries again.
            logger.warning("SLA escalation not made", extra={"incident": incident_id,
                                                             "error": str(error)})  # fmt: skip
            return False
        return bool(done) and done[-1]
