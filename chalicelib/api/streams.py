"""POST /stop-stream, and the incident it settles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.incidents import IncidentConflict
from chalicelib.api.requests import json_body, query_params
from chalicelib.core.errors import BadRequest, Conflict, NotFound
from chalicelib.incidents.actions import resolve
from chalicelib.incidents.model import STOPPED, is_current, public
from chalicelib.incidents.model import Conflict as TransitionConflict
from chalicelib.room.announcements import INCIDENT_RESOLVED
from chalicelib.streams.stops import StopRequest, stop_for_moderator

streams = ApiBlueprint(__name__)


@streams.route("/stop-stream", methods=["POST", "OPTIONS"])
def stop_stream():
    moderator = signed_in(streams)
    query_params(streams.current_request, ())
    config = dependencies.settings()
    request = StopRequest.from_body(
        json_body(streams.current_request), region=config.region, account=config.account
    )
    incident = _incident_to_stop(request)  # 404, 400 or 409 before the stream is touched
    try:
        result = stop_for_moderator(
            request,
            moderator,
            ivs=dependencies.aws_client("ivs"),
            store=dependencies.decision_store(),
        )
    except Conflict as offline:  # nothing was live: say who stopped it, when we know
        raise Conflict(f"{offline.message}{_who_stopped(request.channel_arn)}") from None
    if incident is not None:
        result["incident"] = _resolve_stopped(
            incident["incidentId"], moderator.username, request, result
        )
    return result


def _incident_to_stop(request: StopRequest) -> dict[str, Any] | None:
    """The incident the stop settles: the one named, else the channel's current one."""
    store = dependencies.incidents().store
    if request.incident_id is None:
        current = dependencies.channel_store().get(request.channel_arn).get("openIncidentId")
        incident = store.get(current) if current else None
        return incident if is_current(incident) else None
    incident = store.get(request.incident_id)
    if incident is None:
        raise NotFound(f"no such incident: {request.incident_id}")
    if incident["channelArn"] != request.channel_arn:
        raise BadRequest("incidentId is an incident of another channel")
    if incident["state"] == "resolved" and incident.get("resolution") != "escalated":
        raise IncidentConflict(_resolved_as(incident), incident)
    return incident


def _resolve_stopped(
    incident_id: str, moderator: str, request: StopRequest, result: dict[str, Any]
) -> dict[str, Any]:
    def apply(incident: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        return resolve(
            incident,
            moderator,
            now,
            STOPPED,
            note=request.reason,
            stopAuditId=result["auditId"],
            resolutionNote=request.reason,
        )

    try:
        incident, _ = dependencies.incidents().transition(
            incident_id, apply, event_type=INCIDENT_RESOLVED, actor=moderator, note=request.reason
        )
    except TransitionConflict as conflict:  # resolved meanwhile: the stop stands, say so
        incident = dependencies.incidents().store.get(incident_id) or {}
        result["incidentConflict"] = str(conflict)
    return public(incident)


def _who_stopped(channel_arn: str) -> str:
    current = dependencies.channel_store().get(channel_arn).get("openIncidentId")
    incident = dependencies.incidents().store.get(current) if current else None
    if incident and incident.get("resolution") == STOPPED:
        return f"; {_resolved_as(incident)}"
    return ""


def _resolved_as(incident: dict[str, Any]) -> str:
    return (
        f"already resolved as {incident['resolution']} by {incident.get('resolvedBy', '')} "
        f"at {incident.get('resolvedAt', '')}"
    )
