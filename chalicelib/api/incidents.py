"""The moderators' queue: incidents, and what moderators do to them (incidents/handling.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.history import frame
from chalicelib.api.policy_notes import frames_with_policies, with_incident_policies
from chalicelib.api.requests import json_body, query_params, valid_incident_id
from chalicelib.core.errors import BadRequest, NotFound
from chalicelib.core.schema import Field, Integer, ListOf, OneOf, Text, fields
from chalicelib.incidents.model import (
    CHAT,
    DISMISSED,
    ESCALATED,
    STOPPED,
    WARNED,
    public,
)
from chalicelib.incidents.queries import IncidentQuery, queue, window

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


@dataclass(frozen=True)
class Team(OneOf):
    """One of the stage's ESCALATION_TEAMS (blank: none), as it is configured."""

    def parse(self, value: Any, name: str) -> str:
        text = Text(MAX_TEAM_CHARS, blank=True).parse(value, name)
        if not text:
            return ""
        for team in self.values:
            if team.casefold() == text.casefold():
                return team
        raise BadRequest(f"{name} must be one of the teams: {', '.join(self.values)}")


VERSION = Integer(0, 10**9)  # the incident's version the moderator saw
USERNAME = Text(128)  # a colleague's user name in the user pool
RESOLVE = {
    "resolution": Resolution(RESOLVABLE),
    "note": NOTE,
    "labels": ListOf(Text(100), MAX_LABELS),
    "version": VERSION,
}


@incidents.route("/incidents", methods=["GET", "OPTIONS"])
def list_incidents():
    signed_in(incidents)
    now = dependencies.now()
    query = IncidentQuery.from_params(query_params(incidents.current_request, PARAMS), now)
    store = dependencies.incidents().store
    page = queue(store, query, now) if query.start is None else window(store, query)
    items = with_incident_policies(page["items"])  # the policy that applied, the watchlist
    return {**page, "items": [public(item) for item in items]}


@incidents.route("/incidents/{incident_id}", methods=["GET", "OPTIONS"])
def get_incident(incident_id: str):
    signed_in(incidents)
    query_params(incidents.current_request, ())
    incident = _incident(incident_id)
    if incident.get("kind") == CHAT:
        from chalicelib.api.viewer_chat import chat_detail

        return {**public(incident), "frames": [], "chat": chat_detail(incident)}
    frames = [{**f, **frame(f["key"])} for f in incident.get("frames", [])]
    [incident] = with_incident_policies([incident])
    return {**public(incident), "frames": frames_with_policies(incident, frames)}


@incidents.route("/incidents/{incident_id}/acknowledge", methods=["POST", "OPTIONS"])
def acknowledge_incident(incident_id: str):
    return _noted(incident_id, "acknowledge")


@incidents.route("/incidents/{incident_id}/resolve", methods=["POST", "OPTIONS"])
def resolve_incident(incident_id: str):
    moderator = signed_in(incidents)
    teams = dependencies.settings().escalation_teams
    body = _body({**RESOLVE, "escalateTo": Team(teams)}, required=("resolution",))
    resolution = body["resolution"]
    note = body.get("note", "")
    if resolution == WARNED and not note:
        raise BadRequest("note is required to warn: say what the broadcaster was told")
    team = body.get("escalateTo", "")
    if resolution == ESCALATED and not team:
        raise BadRequest(f"escalateTo is required: one of {', '.join(teams)}")
    answer = _answer(
        incident_id,
        lambda handling: handling.resolve(
            incident_id,
            moderator.username,
            resolution,
            note=note,
            labels=body.get("labels", []),
            team=team if resolution == ESCALATED else "",
            version=body.get("version"),
        ),
    )
    if resolution == DISMISSED and answer["incident"].get("kind") == CHAT:
        from chalicelib.dependencies import chat as built  # a false positive is no strike

        built.chat_actions().forgive(answer["incident"])
    return answer


@incidents.route("/incidents/{incident_id}/reopen", methods=["POST", "OPTIONS"])
def reopen_incident(incident_id: str):
    return _noted(incident_id, "reopen")


@incidents.route("/incidents/{incident_id}/take-over", methods=["POST", "OPTIONS"])
def take_over_incident(incident_id: str):
    return _noted(incident_id, "take_over")


@incidents.route("/incidents/{incident_id}/assign", methods=["POST", "OPTIONS"])
def assign_incident(incident_id: str):
    moderator = signed_in(incidents)
    body = _body({"to": USERNAME, "note": NOTE, "version": VERSION}, required=("to",))
    return _answer(
        incident_id,
        lambda handling: handling.assign(
            incident_id,
            moderator.username,
            body["to"],
            note=body.get("note", ""),
            version=body.get("version"),
        ),
    )


@incidents.route("/incidents/{incident_id}/release", methods=["POST", "OPTIONS"])
def release_incident(incident_id: str):
    return _noted(incident_id, "release")


# --- helpers --------------------------------------------------------------------------------


def _noted(incident_id: str, action: str) -> dict[str, Any]:
    """An action that takes only a note and the version seen: IncidentHandling's `action`."""
    moderator = signed_in(incidents)
    body = _body({"note": NOTE, "version": VERSION})
    return _answer(
        incident_id,
        lambda handling: getattr(handling, action)(
            incident_id, moderator.username, note=body.get("note", ""), version=body.get("version")
        ),
    )


def _answer(incident_id: str, act) -> dict[str, Any]:
    valid_incident_id(incident_id)
    try:
        incident, announced = act(dependencies.incident_handling())
    except LookupError:
        raise NotFound(f"no such incident: {incident_id}") from None
    return {"incident": public(incident), "announced": announced}


def _incident(incident_id: str) -> dict[str, Any]:
    valid_incident_id(incident_id)
    incident = dependencies.incidents().store.get(incident_id)
    if incident is None:
        raise NotFound(f"no such incident: {incident_id}")
    return incident


def _body(spec: dict[str, Field], required: tuple[str, ...] = ()) -> dict[str, Any]:
    query_params(incidents.current_request, ())
    body = json_body(incidents.current_request, required=bool(required)) or {}
    return fields(body, spec, required=required)


def _labels_of(incident: dict[str, Any]) -> set[str]:
    categories = incident.get("categories", {})
    return {entry["label"] for entry in categories.values()} | set(categories)
