"""Incidents stored and changed: flagged frames in, moderator actions, stream ends.

Every change is a conditional write on the incident's `version` (optimistic locking), so
concurrent frames and moderators never overwrite each other: a frame retries on the new
state; a moderator whose action no longer applies gets a Conflict naming who did what.
A transition and its audit entry in the decision log (`kind: "incident"`) are written in
one DynamoDB transaction: neither exists without the other. The room is told after.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.channels.store import ChannelStore
from chalicelib.core.dynamo import ConditionFailed, Put, Set, transact
from chalicelib.core.times import expiry, iso_time
from chalicelib.decisions.store import DecisionStore, sort_key
from chalicelib.incidents.actions import resolve
from chalicelib.incidents.model import (
    OPEN,
    STREAM_ENDED,
    SYSTEM,
    Change,
    Conflict,
    FlaggedFrame,
    add_frame,
    is_current,
    mark_changes,
    open_incident,
    suppressed,
)
from chalicelib.incidents.store import IncidentStore
from chalicelib.room.announcements import (
    INCIDENT_OPENED,
    INCIDENT_RESOLVED,
    INCIDENT_UPDATED,
    incident_event,
)
from chalicelib.room.chat import ModerationRoom

logger = logging.getLogger(__name__)


class Publisher(Protocol):
    """Told of every committed change (alerts/publisher.py); never raises."""

    def publish(self, previous, incident, entries, announce=None) -> None: ...


# What an audit entry copies of the incident, beside who did what, when and why.
AUDITED = ("resolution", "escalatedTo", "dismissedLabels", "stopAuditId", "acknowledgedBy")
ATTEMPTS = 8  # optimistic-locking rounds before giving up (the invoke then retries)


@dataclass(frozen=True)
class FrameOutcome:
    incident_id: str | None
    announce: str | None = None
    suppressed_by: str | None = None


class Incidents:
    """The incidents of one deployment; their events go to the moderators' `room`."""

    def __init__(
        self,
        *,
        store: IncidentStore,
        channels: ChannelStore,
        decisions: DecisionStore,
        room: ModerationRoom,
        update_interval: timedelta,
        quiet_for: timedelta,
        ttl_days: int,
        clock: Callable[[], datetime],
        publisher: Publisher | None = None,
    ) -> None:
        self.store = store
        self._publisher = publisher
        self._channels = channels
        self._decisions = decisions
        self._room = room
        self._update_interval = update_interval
        self.quiet_for = quiet_for
        self._ttl_days = ttl_days
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    # --- flagged frames ---------------------------------------------------------------

    def record_frame(self, frame: FlaggedFrame, known_incident: str | None = None) -> FrameOutcome:
        """Add a flagged frame to its channel's incident, or open one; idempotent per frame.

        `known_incident` is the incident a previous attempt of this frame joined."""
        for _ in range(ATTEMPTS):
            now = self._clock()
            channel = self._channels.get(frame.channel_arn)
            current_id = known_incident or channel.get("openIncidentId")
            incident = self.store.get(current_id) if current_id else None
            joins = is_current(incident) and incident["sessionId"] == frame.session_id
            if incident is not None and (joins or known_incident):
                change = add_frame(
                    incident, frame, now, self._update_interval, known=bool(known_incident)
                )
                if not self._commit(change, previous=incident):
                    continue
                announce = change.announce
                if announce is None and change.notes.get("known") and not known_incident:
                    # This frame joined before, but its decision never said so (a crash, a
                    # failed write): what it was to announce may never have gone out.
                    opened = incident["frames"][0]["decisionId"] == frame.decision_id
                    announce = INCIDENT_OPENED if opened else INCIDENT_UPDATED
                return FrameOutcome(incident["incidentId"], announce)
            if suppressed(channel.get("quiet"), frame, now):
                return FrameOutcome(None, suppressed_by=channel["quiet"]["incidentId"])
            change = open_incident(frame, now)
            # The incident and the channel's claim on it are written together, or neither:
            # a concurrent frame that claimed first makes this fail, and it joins that one.
            claim = self._channels.claim_incident(
                frame.channel_arn, change.incident["incidentId"], expected=current_id
            )
            if not self._commit(change, previous=None, claim=claim):
                continue
            if incident is not None and incident["state"] == OPEN:
                self._end_session(incident["incidentId"], frame.session_id)
            return FrameOutcome(change.incident["incidentId"], change.announce)
        raise ConditionFailed(f"incident of {frame.channel_arn}: too many concurrent changes")

    def _end_session(self, incident_id: str, new_session: str) -> None:
        """A new stream session began while an untouched incident of an earlier one was
        open: the Stream End event was late or lost. Resolved as stream-ended."""

        def end(incident: dict[str, Any], now: datetime) -> dict[str, Any] | None:
            if incident["state"] != OPEN or incident["sessionId"] == new_session:
                return None
            return resolve(incident, SYSTEM, now, STREAM_ENDED, note="a new stream session began")

        try:
            self.transition(incident_id, end, event_type=INCIDENT_RESOLVED, actor=SYSTEM)
        except (Conflict, LookupError, ConditionFailed, ClientError, BotoCoreError) as error:
            # Best effort: the stream's end event, or a moderator, settles it otherwise.
            logger.warning("earlier session's incident left as it is", extra={"error": str(error)})

    # --- moderator and system transitions --------------------------------------------

    def transition(
        self,
        incident_id: str,
        apply: Callable[[dict[str, Any], datetime], dict[str, Any] | None],
        *,
        event_type: str | None,
        actor: str,
        note: str = "",
        audit: Mapping[str, Any] | None = None,
        writes: Sequence[Put | Set] = (),
    ) -> tuple[dict[str, Any], bool]:
        """Apply a transition (Conflict when it does not apply); (incident, announced).

        `writes` are made in the same transaction (all or none); `event_type` None: the
        room is not told (a hold no one sees)."""
        for _ in range(ATTEMPTS):
            incident = self.store.get(incident_id)
            if incident is None:
                raise LookupError(incident_id)
            now = self._clock()
            changed = apply(incident, now)
            if changed is None:  # nothing to change (e.g. acknowledged twice by one moderator)
                return incident, True
            if self._commit(Change(changed), previous=incident, audit=audit, extra=writes):
                if event_type is None:
                    return changed, False
                return changed, self.announce(event_type, changed, actor=actor, note=note)
        raise ConditionFailed(f"incident {incident_id}: too many concurrent changes")

    def save(self, change: Change, *, previous: Mapping[str, Any] | None, writes=()) -> bool:
        """Write a change made elsewhere (chat incidents, chat/service.py) with its audit
        entries and `writes`, all or none; False when `previous` is no longer current."""
        return self._commit(change, previous=previous, extra=writes)

    def expiry(self) -> int:
        """When what is written about an incident now expires (DynamoDB TTL, epoch seconds)."""
        return expiry(self._clock(), self._ttl_days)

    def announce(self, event_type: str, incident: Mapping[str, Any], **who: str) -> bool:
        """Tell the room; False (logged) when it could not be told after the retries."""
        attributes = incident_event(event_type, incident, at=iso_time(self._clock()), **who)
        try:
            self._room.send(attributes)
        except (ClientError, BotoCoreError) as error:  # the change is made and audited
            logger.error("incident event not delivered", extra={"error": str(error)})
            return False
        return True

    def event_for(self, event_type: str, incident_id: str) -> dict[str, str]:
        """A frame's pending announcement, with the incident's state now."""
        incident = self.store.get(incident_id)
        if incident is None:
            raise LookupError(incident_id)
        return incident_event(event_type, incident, at=iso_time(self._clock()))

    def _commit(
        self,
        change: Change,
        *,
        previous: Mapping[str, Any] | None,
        audit: Mapping[str, Any] | None = None,
        claim: Set | None = None,
        extra: Sequence[Put | Set] = (),
    ) -> bool:
        """Write the changed incident if it is still `previous` (None: new), with an audit
        entry for each transition it made (its new trail entries; `audit` adds to the last)
        and the channel's `claim` on it, in one transaction; once committed, published."""
        incident = change.incident
        incident["expiresAt"] = self.expiry()
        mark_changes(previous, incident)
        if previous is None:
            condition, values = "attribute_not_exists(incidentId)", None
        else:
            condition, values = "version = :v", {":v": previous["version"]}
        writes: list[Put | Set] = [Put(self.store.table, incident, condition, values)]
        if claim is not None:
            writes.append(claim)
        writes.extend(extra)
        before = (previous or {}).get("trail", [])
        entries = [entry for entry in incident["trail"] if entry not in before]
        for n, entry in enumerate(entries):
            extra = audit if audit and n == len(entries) - 1 else {}
            writes.append(self._audit(incident, {**_without(entry, "at"), **extra}, order=n))
        committed = transact(self.store.table.client, writes)
        if committed and self._publisher is not None:
            self._publisher.publish(previous, incident, entries, change.announce)
        return committed

    def _audit(self, incident: Mapping[str, Any], entry: Mapping[str, Any], order: int) -> Put:
        now = self._clock()
        audit_id = f"{order:02d}{uuid.uuid4().hex[:22]}"  # a change's audits sort in order
        key = sort_key(now, audit_id)
        item = {
            "channelArn": incident["channelArn"],
            "sortKey": key,
            "day": key[:10],
            "kind": "incident",
            "auditId": audit_id,
            "at": iso_time(now),
            "incidentId": incident["incidentId"],
            "channelName": incident.get("channelName", ""),
            "state": incident["state"],
            "severity": incident["severity"],
            **{k: v for k, v in incident.items() if k in AUDITED and v not in ("", [], None)},
            **entry,
            "expiresAt": incident.get("expiresAt"),
        }
        return Put(self._decisions.table, item, "attribute_not_exists(sortKey)")


def _without(entry: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in names}


def flagged_frame(item: Mapping[str, Any]) -> FlaggedFrame:
    """What the incident needs of a flagged frame's decision."""
    return FlaggedFrame(
        decision_id=item["decisionId"],
        channel_arn=item["channelArn"],
        channel_name=item.get("channelName", ""),
        session_id=item["recordingId"],
        key=item["thumbnailKey"],
        frame_time=item["frameTime"],
        decision=item["decision"],
        action=item["action"],
        top_label=item["topLabel"],
        top_category=item["topCategory"],
        top_confidence=float(item["topConfidence"]),
        categories={
            entry["category"]: (entry["label"], float(entry["confidence"]))
            for entry in item.get("categories", [])
        },
        content_types=tuple(kind["name"] for kind in item.get("contentTypes", [])),
        keys_revoked=item.get("streamKeysRevoked"),
        auto_stop_at=item.get("actedAt", ""),
    )
