"""A moderator stops a stream: validated, claimed, carried out, audited, and its incident
settled — exactly once, however many moderators press Stop at the same moment.

1. The incident the stop settles: the one named (404, 400, 409 when it is resolved), else
   the channel's current one; with `version`, the incident must be as the moderator saw it.
2. One DynamoDB transaction claims the stop before IVS is called: the audit (`pending`),
   the channel's stop claim (channels/store.py: one stop at a time, none of a stream
   already stopped) and the incident's `stopping` hold. A concurrent stop, warn, dismissal
   or escalation loses that race whole: a 409 that names the winner, with the incident.
3. IVS: revoke the stream keys when asked (first), then StopStream; one call each.
4. The outcome: the audit says it; the incident resolves as stopped (the room hears it),
   or is released when IVS refused; the channel's claim holds, or is released; a stopped
   channel goes on the watchlist (policies/watching.py), once per stop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.channels.store import STOP_LEASE, ChannelStore, new_stop_claim
from chalicelib.core.dynamo import ConditionFailed, Put, transact
from chalicelib.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    ServiceUnavailable,
    aws_error,
)
from chalicelib.core.identity import Moderator
from chalicelib.decisions.store import DecisionStore
from chalicelib.incidents.actions import claim_for_stop, release_stop, resolve, seen_version
from chalicelib.incidents.errors import IncidentConflict
from chalicelib.incidents.model import STOPPED, is_current, public
from chalicelib.incidents.model import Conflict as TransitionConflict
from chalicelib.incidents.service import ATTEMPTS, Incidents
from chalicelib.policies.watching import Cause, Watchlist
from chalicelib.room.announcements import INCIDENT_RESOLVED
from chalicelib.streams.enforcement import ALREADY_OFFLINE, revoke_then_stop, stop_outcome
from chalicelib.streams.stop_request import StopRequest, stop_audit

logger = logging.getLogger(__name__)


class Stops:
    """Moderators' stops of one deployment."""

    def __init__(
        self,
        *,
        ivs,
        decisions: DecisionStore,
        channels: ChannelStore,
        incidents: Incidents,
        clock: Callable[[], datetime],
        watchlist: Watchlist | None = None,
    ) -> None:
        self._ivs = ivs
        self._decisions = decisions
        self._channels = channels
        self._incidents = incidents
        self._clock = clock
        self._watchlist = watchlist

    def stop(self, request: StopRequest, moderator: Moderator) -> dict[str, Any]:
        """Stop the stream (revoking its keys first when asked); every attempt is audited."""
        incident = self._incident_to_stop(request)  # 404, 400 or 409 before anything is written
        now = self._clock()
        audit = stop_audit(request, moderator, now)
        claim = new_stop_claim(audit["auditId"], moderator.username, now)
        self._claim(request, audit, claim, incident, now)
        enforcement = revoke_then_stop(
            self._ivs, request.channel_arn, revoke=request.revoke_stream_key
        )
        result, failure = stop_outcome(enforcement, request.channel_arn)
        self._record(request, audit, claim, result)
        logger.warning(
            "stop requested by a moderator",
            extra={"channel": request.channel_arn, "moderator": moderator.username, **result},
        )
        if incident is not None:
            incident = self._settle(incident["incidentId"], moderator, request, audit, result)
        if failure is not None:
            raise failure
        if result["outcome"] == ALREADY_OFFLINE:
            revoked = result.get("streamKeysRevoked")
            detail = f"; {revoked} stream key(s) revoked" if revoked is not None else ""
            message = f"the channel is not live: there was no stream to stop{detail}"
            raise _conflict(message + self._who_stopped(request.channel_arn), incident)
        answer = {
            "auditId": audit["auditId"],
            "channelArn": request.channel_arn,
            "at": audit["at"],
            "stoppedBy": moderator.username,
            **{k: v for k, v in result.items() if k != "error"},
        }
        if incident is not None:
            answer["incident"] = public(incident)
        if self._watchlist is not None:  # a stopped channel is watched (docs/policies.md)
            cause = Cause(
                channel_arn=request.channel_arn,
                action=STOPPED,
                by=moderator.username,
                at=audit["at"],
                action_id=audit["auditId"],
                incident_id=incident["incidentId"] if incident else None,
                note=request.reason,
            )
            answer["watchlisted"] = self._watchlist.after(cause)
        return answer

    def _incident_to_stop(self, request: StopRequest) -> dict[str, Any] | None:
        """The incident the stop settles: the one named, else the channel's current one."""
        store = self._incidents.store
        if request.incident_id is None:
            current = self._channels.get(request.channel_arn).get("openIncidentId")
            incident = store.get(current) if current else None
            if incident is not None and request.version is not None:
                self._as_seen(incident, request.version)  # the one the moderator saw
            return incident if is_current(incident) else None
        else:
            incident = store.get(request.incident_id)
            if incident is None:
                raise NotFound(f"no such incident: {request.incident_id}")
            if incident["channelArn"] != request.channel_arn:
                raise BadRequest("incidentId is an incident of another channel")
            if incident["state"] == "resolved" and incident.get("resolution") != "escalated":
                raise IncidentConflict(_resolved_as(incident), incident)
        if request.version is not None:
            self._as_seen(incident, request.version)
        return incident

    @staticmethod
    def _as_seen(incident: dict[str, Any], version: int) -> None:
        try:
            seen_version(incident, version)
        except TransitionConflict as conflict:
            raise IncidentConflict(str(conflict), incident) from None

    def _claim(self, request, audit, claim, incident, now) -> None:
        """The audit, the channel's claim and the incident's hold, in one transaction; a
        409 naming the winner when another stop or action got there first."""
        writes = [
            Put(self._decisions.table, audit, "attribute_not_exists(sortKey)"),
            self._channels.claim_stop(request.channel_arn, claim, now),
        ]
        for _ in range(ATTEMPTS):
            try:
                if incident is None:
                    if transact(self._decisions.table.client, writes):
                        return
                else:

                    def hold(current: dict[str, Any], at: datetime) -> dict[str, Any]:
                        self._refuse_if_held(request.channel_arn, current)
                        seen_version(current, request.version)  # unchanged since it was seen
                        return claim_for_stop(
                            current, claim["by"], at, audit["auditId"], at + STOP_LEASE
                        )

                    self._incidents.transition(
                        incident["incidentId"],
                        hold,
                        event_type=None,
                        actor=claim["by"],
                        writes=writes,
                    )
                    return
            except TransitionConflict as conflict:
                current = self._incidents.store.get(incident["incidentId"]) or incident
                raise IncidentConflict(str(conflict), current) from None
            except (ClientError, BotoCoreError, UnicodeError) as error:
                logger.error("stop refused: cannot claim it", extra={"error": str(error)})
                context = "cannot record the stop, so the stream was not stopped"
                raise aws_error(error, "the decision log", context) from error
            except ConditionFailed:
                pass  # the incident kept changing (frames joining): look again
            self._refuse_if_held(request.channel_arn, incident)
        raise ServiceUnavailable("the stop could not be claimed: try again")

    def _refuse_if_held(self, channel_arn: str, incident: dict[str, Any] | None) -> None:
        holder = ChannelStore.stop_holder(self._channels.get(channel_arn), self._clock())
        if holder is None:
            return
        if holder["outcome"] == "pending":
            message = f"already being stopped by {holder['by']} since {holder['claimedAt']}"
        elif holder["outcome"] == ALREADY_OFFLINE:
            message = (
                "the channel is not live: there was no stream to stop "
                f"({holder['by']} tried at {holder['claimedAt']})"
            )
        else:
            message = f"the channel is not live: {holder['by']} stopped it at {holder['claimedAt']}"
        current = self._incidents.store.get(incident["incidentId"]) if incident else None
        if current is not None and current.get("resolution") == STOPPED:
            message += f"; {_resolved_as(current)}"
        else:
            message += self._who_stopped(channel_arn)
        raise _conflict(message, current)

    def _who_stopped(self, channel_arn: str) -> str:
        """The clause "; already resolved as stopped by …", when the channel's incident says so."""
        current = self._channels.get(channel_arn).get("openIncidentId")
        incident = self._incidents.store.get(current) if current else None
        return (
            f"; {_resolved_as(incident)}"
            if incident and incident.get("resolution") == STOPPED
            else ""
        )

    def _record(self, request, audit, claim, result) -> None:
        now = self._clock()
        try:
            self._decisions.update(request.channel_arn, audit["sortKey"], result)
        except (ClientError, BotoCoreError) as error:  # the stop itself is done; say so
            logger.error(
                "audit outcome not recorded", extra={"audit_id": audit["auditId"], **result}
            )
            result["auditError"] = str(error)
        try:
            if not self._channels.finish_stop(request.channel_arn, claim, result["outcome"], now):
                logger.warning("the stop's claim had lapsed", extra={"audit_id": audit["auditId"]})
        except (ClientError, BotoCoreError) as error:  # it lapses after STOP_LEASE
            logger.error("stop claim not finished", extra={"error": str(error)})

    def _settle(self, incident_id, moderator, request, audit, result) -> dict[str, Any]:
        """Resolve the incident as stopped; release it when nothing was stopped."""
        stopped = result["outcome"] == STOPPED

        def apply(incident: dict[str, Any], now: datetime) -> dict[str, Any] | None:
            if not stopped:
                return release_stop(incident, audit["auditId"])
            return resolve(
                incident,
                moderator.username,
                now,
                STOPPED,
                note=request.reason,
                stopAuditId=audit["auditId"],
                resolutionNote=request.reason,
            )

        event = INCIDENT_RESOLVED if stopped else None
        try:
            incident, _ = self._incidents.transition(
                incident_id, apply, event_type=event, actor=moderator.username, note=request.reason
            )
        except (
            TransitionConflict,
            LookupError,
            ConditionFailed,
            ClientError,
            BotoCoreError,
        ) as error:
            # The stop stands; the hold lapses after STOP_LEASE. Said in the answer.
            logger.error("the stopped incident was not settled", extra={"error": str(error)})
            incident = self._incidents.store.get(incident_id) or {}
            result["incidentConflict"] = str(error)
        return incident


def _conflict(message: str, incident: dict[str, Any] | None) -> Conflict:
    return IncidentConflict(message, incident) if incident else Conflict(message)


def _resolved_as(incident: dict[str, Any]) -> str:
    return (
        f"already resolved as {incident['resolution']} by {incident.get('resolvedBy', '')} "
        f"at {incident.get('resolvedAt', '')}"
    )
