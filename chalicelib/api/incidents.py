"""The moderators' queue: incidents, their lifecycle, channels, and statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalice import Response

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.history import frame
from chalicelib.api.requests import json_body, query_params
from chalicelib.core.dynamo import transact
from chalicelib.core.errors import BadRequest, Conflict, NotFound
from chalicelib.core.schema import Field, ListOf, OneOf, Text, fields
from chalicelib.incidents.actions import acknowledge, reopen, resolve
from chalicelib.incidents.model import (
    DISMISSED,
    ESCALATED,
    STOPPED,
    WARNED,
    is_current,
    public,
    quiet_after_dismissal,
)
from chalicelib.incidents.model import Conflict as TransitionConflict
from chalicelib.incidents.queries import IncidentQuery, queue, window
from chalicelib.incidents.stats import incident_stats, stats_window
from chalicelib.room.announcements import (
    INCIDENT_ACKNOWLEDGED,
    INCIDENT_REOPENED,
    INCIDENT_RESOLVED,
)

incidents = ApiBlueprint(__name__)

MAX_NOTE_CHARS = 500
MAX_TEAM_CHARS = 100
MAX_LABELS = 20
PARAMS = ("state", "channelArn", "category", "from", "to", "limit", "cursor")
MAX_CHANNELS = 1000  # channels one GET /channels lists (one Scan page): then `truncated`
# Resolutions a moderator gives here; `stopped` comes with POST /stop-stream, `stream-ended`
# from IVS.
RESOLVABLE = (DISMISSED, WARNED, ESCALATED)
NOTE = Text(MAX_NOTE_CHARS, multiline=True, blank=True)


@dataclass(frozen=True)
class Resolution(OneOf):
    def parse(self, value: Any, name: str) -> str:
        if value == STOPPED:
            raise BadRequest("a stop resolves an incident: POST /stop-stream with its incidentId")
        return super().parse(value, name)


RESOLVE = {
    "resolution": Resolution(RESOLVABLE),
    "note": NOTE,
    "labels": ListOf(Text(100), MAX_LABELS),
    "escalateTo": Text(MAX_TEAM_CHARS, blank=True),
}


class IncidentConflict(Conflict):
    """409 with the incident as it now is, so a client can show who acted first."""

    def __init__(self, message: str, incident: dict[str, Any]) -> None:
        super().__init__(message)
        self.incident = incident

    def response(self) -> Response:
        response = super().response()
        response.body = {**response.body, "incident": public(self.incident)}
        return response


@incidents.route("/incidents", methods=["GET", "OPTIONS"])
def list_incidents():
    signed_in(incidents)
    now = dependencies.now()
    query = IncidentQuery.from_params(query_params(incidents.current_request, PARAMS), now)
    store = dependencies.incidents().store
    page = queue(store, query, now) if query.start is None else window(store, query)
    return {**page, "items": [public(item) for item in page["items"]]}


@incidents.route("/incidents/{incident_id}", methods=["GET", "OPTIONS"])
def get_incident(incident_id: str):
    signed_in(incidents)
    query_params(incidents.current_request, ())
    incident = _incident(incident_id)
    frames = [{**f, **frame(f["key"])} for f in incident.get("frames", [])]
    return {**public(incident), "frames": frames}


@incidents.route("/incidents/{incident_id}/acknowledge", methods=["POST", "OPTIONS"])
def acknowledge_incident(incident_id: str):
    moderator = signed_in(incidents)
    note = _body({"note": NOTE}).get("note", "")

    def apply(incident, now):
        return acknowledge(incident, moderator.username, now, note)

    return _transition(incident_id, apply, INCIDENT_ACKNOWLEDGED, moderator.username, note)


@incidents.route("/incidents/{incident_id}/resolve", methods=["POST", "OPTIONS"])
def resolve_incident(incident_id: str):
    moderator = signed_in(incidents)
    body = _body(RESOLVE, required=("resolution",))
    resolution = body["resolution"]
    note = body.get("note", "")
    if resolution == WARNED and not note:
        raise BadRequest("note is required to warn: say what the broadcaster was told")
    labels = body.get("labels", []) if resolution == DISMISSED else []
    team = body.get("escalateTo", "")
    if resolution == ESCALATED and not team:
        raise BadRequest("escalateTo is required: the team or level it goes to")
    details = {"dismissedLabels": labels, "escalatedTo": team, "resolutionNote": note}

    def apply(incident, now):
        unknown = set(labels) - _labels_of(incident)
        if unknown:
            raise BadRequest(f"labels not in this incident: {', '.join(sorted(unknown))}")
        return resolve(incident, moderator.username, now, resolution, note=note, **details)

    result = _transition(incident_id, apply, INCIDENT_RESOLVED, moderator.username, note)
    if resolution == DISMISSED:
        service = dependencies.incidents()
        quiet = quiet_after_dismissal(
            result["incident"], labels, dependencies.now(), service.quiet_for
        )
        dependencies.channel_store().set_quiet(result["incident"]["channelArn"], quiet)
    return result


@incidents.route("/incidents/{incident_id}/reopen", methods=["POST", "OPTIONS"])
def reopen_incident(incident_id: str):
    moderator = signed_in(incidents)
    note = _body({"note": NOTE}).get("note", "")

    def apply(incident, now):
        return reopen(incident, moderator.username, now, note)

    result = _transition(incident_id, apply, INCIDENT_REOPENED, moderator.username, note)
    reopened = result["incident"]
    channels = dependencies.channel_store()
    current = channels.get(reopened["channelArn"]).get("openIncidentId")
    if current != reopened["incidentId"]:
        store = dependencies.incidents().store
        if not is_current(store.get(current) if current else None):
            claim = channels.claim_incident(reopened["channelArn"], reopened["incidentId"], current)
            transact(channels.table.client, [claim])  # lost to a newer incident: that one stays
    return result


@incidents.route("/channels", methods=["GET", "OPTIONS"])
def list_channels():
    signed_in(incidents)
    query_params(incidents.current_request, ())
    now = dependencies.now()
    active = queue(dependencies.incidents().store, IncidentQuery.from_params({}, now), now)
    counts: dict[str, int] = {}
    for incident in active["items"]:
        if incident["state"] != "resolved":
            counts[incident["channelArn"]] = counts.get(incident["channelArn"], 0) + 1
    items, more = dependencies.channel_store().page(limit=MAX_CHANNELS)
    fields = ("channelArn", "name", "live", "liveAt", "openIncidentId", "failureNoticeAt")
    return {
        "items": [
            {
                **{k: item[k] for k in fields if k in item},
                "activeIncidents": counts.get(item["channelArn"], 0),
            }
            for item in sorted(items, key=lambda c: (c.get("name", ""), c["channelArn"]))
        ],
        "truncated": more is not None,
    }


@incidents.route("/stats", methods=["GET", "OPTIONS"])
def stats():
    signed_in(incidents)
    params = query_params(incidents.current_request, ("from", "to"))
    start, end = stats_window(params, dependencies.now())
    return incident_stats(dependencies.incidents().store, start, end)


# --- helpers --------------------------------------------------------------------------------


def _transition(incident_id: str, apply, event_type: str, actor: str, note: str) -> dict:
    _valid_id(incident_id)
    service = dependencies.incidents()
    try:
        incident, announced = service.transition(
            incident_id, apply, event_type=event_type, actor=actor, note=note
        )
    except LookupError:
        raise NotFound(f"no such incident: {incident_id}") from None
    except TransitionConflict as conflict:
        current = service.store.get(incident_id) or {}
        raise IncidentConflict(str(conflict), current) from None
    return {"incident": public(incident), "announced": announced}


def _incident(incident_id: str) -> dict[str, Any]:
    _valid_id(incident_id)
    incident = dependencies.incidents().store.get(incident_id)
    if incident is None:
        raise NotFound(f"no such incident: {incident_id}")
    return incident


def _valid_id(incident_id: str) -> None:
    if not (len(incident_id) == 24 and all(c in "0123456789abcdef" for c in incident_id)):
        raise NotFound(f"no such incident: {incident_id[:40]}")


def _body(spec: dict[str, Field], required: tuple[str, ...] = ()) -> dict[str, Any]:
    query_params(incidents.current_request, ())
    body = json_body(incidents.current_request, required=bool(required)) or {}
    return fields(body, spec, required=required)


def _labels_of(incident: dict[str, Any]) -> set[str]:
    categories = incident.get("categories", {})
    return {entry["label"] for entry in categories.values()} | set(categories)
