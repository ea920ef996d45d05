"""Which policy applies to a channel, the policy set on one channel, and the watchlist
(docs/policies.md): read by triage and up; a channel's policy set by admins; the watchlist
changed by hand by moderators and up. Every change is audited.

`channel_arn` in a path is URL-encoded (its `:` and `/`); it is decoded here when the
gateway has not (an ARN never holds `%`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.requests import json_body, query_params
from chalicelib.core.cursors import encode_cursor, part, read_cursor
from chalicelib.core.errors import BadRequest, NotFound
from chalicelib.core.schema import Field, Integer, Text, fields
from chalicelib.core.validation import channel_arn as valid_channel_arn
from chalicelib.core.validation import shown

watchlist = ApiBlueprint(__name__)

REASON = Text(500, multiline=True)


class PolicyName(Field):
    """A policy's name, or null (the channel's policy removed): `fields` drops null."""

    def parse(self, value: Any, name: str) -> str:
        if not isinstance(value, str):
            raise BadRequest(f"{name} must be a policy's name, or null to remove it")
        return value


@watchlist.route("/channels/{channel_arn}/policy", methods=["GET", "OPTIONS"])
def channel_policy(channel_arn: str):
    signed_in(watchlist)
    query_params(watchlist.current_request, ())
    return _service().applied(_channel(channel_arn))


@watchlist.route("/channels/{channel_arn}/policy", methods=["PUT"])  # OPTIONS: with GET
def set_channel_policy(channel_arn: str):
    moderator = signed_in(watchlist)
    arn = _channel(channel_arn)
    body = _body({"policy": PolicyName()})
    if "policy" not in (json_body(watchlist.current_request) or {}):
        raise BadRequest("policy is required: a policy's name, or null to remove it")
    return _service().set_channel_policy(arn, body.get("policy"), by=moderator.username)


@watchlist.route("/watchlist", methods=["GET", "OPTIONS"])
def list_watchlist():
    signed_in(watchlist)
    query_params(watchlist.current_request, ())
    return _service().watchlist()


@watchlist.route("/watchlist/{channel_arn}", methods=["PUT", "OPTIONS"])
def watch_channel(channel_arn: str):
    moderator = signed_in(watchlist)
    arn = _channel(channel_arn)
    body = _body({"hours": Integer(1, 720), "reason": REASON}, required=("reason",))
    return _service().watch(
        arn, hours=body.get("hours"), reason=body["reason"], by=moderator.username
    )


@watchlist.route("/watchlist/{channel_arn}", methods=["DELETE"])  # OPTIONS: with PUT
def unwatch_channel(channel_arn: str):
    moderator = signed_in(watchlist)
    arn = _channel(channel_arn)
    query_params(watchlist.current_request, ())
    return _service().unwatch(arn, by=moderator.username)


@watchlist.route("/policy-log", methods=["GET", "OPTIONS"])
def policy_log():
    """Who set which policy on a channel, and who put which channel on the watchlist or took
    it off, newest first (`limit` 1-200, `cursor` from the last page)."""
    signed_in(watchlist)
    params = query_params(watchlist.current_request, ("limit", "cursor"))
    limit = _limit(params.get("limit", "50"))
    start = None
    if "cursor" in params:
        start = read_cursor(params["cursor"], {"after": part("position", str)})["after"]
        if not start.startswith("20") or "#" not in start:
            raise BadRequest("cursor is not one this API returned")
    answer = _service().changes(limit, start)
    following = answer.pop("next")
    return {**answer, "cursor": encode_cursor({"after": following}) if following else None}


def _limit(raw: str) -> int:
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= 200:
        raise BadRequest("limit must be a whole number from 1 to 200")
    return int(raw)


def _service():
    from chalicelib.dependencies.policies import policy_service

    return policy_service()


def _channel(raw: str) -> str:
    """The path's channel ARN, decoded; 404 for one no channel can have."""
    value = unquote(raw) if "%" in raw else raw
    try:
        return valid_channel_arn(value, "channel_arn")
    except BadRequest:
        raise NotFound(f"no such channel: {shown(value)}") from None


def _body(spec: dict[str, Field], required: tuple[str, ...] = ()) -> dict[str, Any]:
    query_params(watchlist.current_request, ())
    body = json_body(watchlist.current_request) or {}
    return fields(body, spec, required=required)
