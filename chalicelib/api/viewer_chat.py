"""The viewers' chat, for moderators: chat incidents' actions, bans, blocked terms.

Chat incidents are listed, acknowledged, dismissed and reopened with every incident
(api/incidents.py); here is what only a chat incident has — its user to ban, time out or
unban, and its messages to delete — and the lists a moderator keeps: who is banned, and
which terms are blocked (in a room, or `*` for every room). Conflicts are 409s with the
incident as it now is, as for every incident action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.requests import json_body, query_params, valid_incident_id
from chalicelib.core.errors import BadRequest, NotFound
from chalicelib.core.schema import Boolean, Field, Integer, ListOf, OneOf, Text, fields
from chalicelib.core.times import iso_time
from chalicelib.dependencies import chat as built
from chalicelib.incidents.model import public

viewer_chat = ApiBlueprint(__name__)

NOTE = Text(500, multiline=True, blank=True)
VERSION = Integer(0, 10**9)
MAX_EARLIER = 10


@dataclass(frozen=True)
class Room(Field):
    """An IVS chat room's ARN, or `*` (every room) where `every` allows it."""

    every: bool = False

    def parse(self, value: Any, name: str) -> str:
        from chalicelib.chat.review import ROOM_ARN

        text = Text(200).parse(value, name)
        if (self.every and text == "*") or ROOM_ARN.match(text):
            return text
        raise BadRequest(f"{name} must be an IVS chat room ARN{' or *' if self.every else ''}")


@dataclass(frozen=True)
class Term(Field):
    def parse(self, value: Any, name: str) -> str:
        from chalicelib.chat.text import valid_term

        try:
            return valid_term(Text(100).parse(value, name))
        except ValueError as error:
            raise BadRequest(f"{name}: {error}") from None


def chat_detail(incident: Mapping[str, Any]) -> dict[str, Any]:
    """What GET /incidents/{id} adds for a chat incident: the user's standing now, their
    earlier incidents, and whether the channel is live."""
    store, now = built.chat_store(), dependencies.now()
    ban = store.ban_in_force(incident["roomArn"], incident["userId"], now)
    user = store.user(incident["roomArn"], incident["userId"])
    earlier_ids = [i for i in incident.get("earlierIncidents", []) if i != incident["incidentId"]]
    earlier = dependencies.incidents().store.many(earlier_ids[-MAX_EARLIER:])
    channel = dependencies.channel_store().get(incident["channelArn"])
    return {
        "ban": _ban_view(ban),
        "strikesNow": len(user.get("strikes", [])),
        "earlier": [
            {k: e.get(k, "") for k in ("incidentId", "openedAt", "state", "resolution", "topLabel")}
            for e in sorted(earlier, key=lambda e: e.get("openedAt", ""))
        ],
        "live": channel.get("live") is True,
    }


@viewer_chat.route("/incidents/{incident_id}/ban", methods=["POST", "OPTIONS"])
def ban_user(incident_id: str):
    moderator = signed_in(viewer_chat)
    body = _body({"note": NOTE, "version": VERSION, "everyRoom": Boolean()})
    return _answer(
        incident_id,
        lambda actions: actions.ban(
            incident_id,
            moderator.username,
            note=body.get("note", ""),
            every_room=body.get("everyRoom", False),
            version=body.get("version"),
        ),
    )


@viewer_chat.route("/incidents/{incident_id}/timeout", methods=["POST", "OPTIONS"])
def time_out_user(incident_id: str):
    moderator = signed_in(viewer_chat)
    body = _body(
        {"minutes": Integer(1, 30 * 24 * 60), "note": NOTE, "version": VERSION},
        required=("minutes",),
    )
    return _answer(
        incident_id,
        lambda actions: actions.timeout(
            incident_id,
            moderator.username,
            minutes=body["minutes"],
            note=body.get("note", ""),
            version=body.get("version"),
        ),
    )


@viewer_chat.route("/incidents/{incident_id}/unban", methods=["POST", "OPTIONS"])
def unban_user(incident_id: str):
    moderator = signed_in(viewer_chat)
    body = _body({"note": NOTE})
    return _answer(
        incident_id,
        lambda actions: actions.unban(incident_id, moderator.username, note=body.get("note", "")),
    )


@viewer_chat.route("/incidents/{incident_id}/delete-messages", methods=["POST", "OPTIONS"])
def delete_messages(incident_id: str):
    moderator = signed_in(viewer_chat)
    body = _body({"messageIds": ListOf(Text(64), 50), "version": VERSION}, required=("messageIds",))
    if not body["messageIds"]:
        raise BadRequest("messageIds must name at least one message")
    return _answer(
        incident_id,
        lambda actions: actions.delete_messages(
            incident_id, moderator.username, body["messageIds"], version=body.get("version")
        ),
    )


@viewer_chat.route("/chat/bans", methods=["GET", "OPTIONS"])
def list_bans():
    signed_in(viewer_chat)
    params = query_params(viewer_chat.current_request, ("roomArn",))
    room = Room(every=True).parse(params.get("roomArn", "*"), "roomArn")
    bans = built.chat_store().bans(room, dependencies.now())
    return {"roomArn": room, "items": [_ban_view(b) for b in bans]}


@viewer_chat.route("/chat/terms", methods=["GET", "PUT", "DELETE", "OPTIONS"])
def blocked_terms():
    moderator = signed_in(viewer_chat)
    request, store, now = viewer_chat.current_request, built.chat_store(), dependencies.now()
    if request.method == "GET":
        params = query_params(request, ("roomArn",))
        room = Room(every=True).parse(params.get("roomArn", "*"), "roomArn")
        items, _ = store.table.query(
            KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": f"terms#{room}"}
        )
        return {"roomArn": room, "items": [_term_view(t) for t in items]}
    if request.method == "DELETE":
        params = query_params(request, ("roomArn", "term"))
        room = Room(every=True).parse(params.get("roomArn", ""), "roomArn")
        term = Term().parse(params.get("term", ""), "term")
        if not store.delete_term(room, term):
            raise NotFound(f"no blocked term {term!r} in {room}")
        return {"deleted": term, "roomArn": room}
    query_params(request, ())
    spec = {
        "roomArn": Room(every=True),
        "term": Term(),
        "minutes": Integer(1, 365 * 24 * 60),
        "action": OneOf(("deny", "mask")),
    }
    body = fields(json_body(request) or {}, spec, required=("roomArn", "term"))
    minutes = body.get("minutes")
    until = iso_time(now + timedelta(minutes=minutes)) if minutes else ""
    item = store.put_term(
        body["roomArn"],
        body["term"],
        by=moderator.username,
        now=now,
        until=until,
        action=body.get("action", "deny"),
    )
    return _term_view(item)


# --- helpers --------------------------------------------------------------------------------


def _answer(incident_id: str, act: Callable) -> dict[str, Any]:
    valid_incident_id(incident_id)
    try:
        incident, announced = act(built.chat_actions())
    except LookupError:
        raise NotFound(f"no such incident: {incident_id}") from None
    return {"incident": public(incident), "announced": announced}


def _body(spec: dict[str, Field], required: tuple[str, ...] = ()) -> dict[str, Any]:
    query_params(viewer_chat.current_request, ())
    body = json_body(viewer_chat.current_request, required=bool(required)) or {}
    return fields(body, spec, required=required)


def _ban_view(ban: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if ban is None:
        return None
    names = ("roomArn", "userId", "kind", "until", "reason", "by", "at", "incidentId")
    return {k: ban.get(k, "") for k in names}


def _term_view(term: Mapping[str, Any]) -> dict[str, Any]:
    names = ("roomArn", "term", "by", "at", "until")
    return {**{k: term.get(k, "") for k in names}, "action": term.get("action", "deny")}
