"""A moderator's stop as asked: the POST /stop-stream body, validated, and its audit entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.errors import BadRequest
from chalicelib.core.identity import Moderator
from chalicelib.core.ivs import parse_channel_arn
from chalicelib.core.schema import Boolean, ChannelArn, Identifier, Integer, Text, fields
from chalicelib.core.times import iso_time
from chalicelib.decisions.store import sort_key

MAX_REASON_CHARS = 500
_FIELDS = {
    "channelArn": ChannelArn(),
    "reason": Text(MAX_REASON_CHARS, multiline=True),
    "revokeStreamKey": Boolean(),
    "incidentId": Identifier(),
    "version": Integer(0, 10**9),
}


@dataclass(frozen=True)
class StopRequest:
    channel_arn: str
    reason: str
    revoke_stream_key: bool
    incident_id: str | None = None  # an incident of the channel, to resolve as stopped
    version: int | None = None  # the incident's version the moderator saw

    @classmethod
    def from_body(cls, body: Any, *, region: str, account: str) -> StopRequest:
        """Validate a POST /stop-stream body (a parsed JSON object) for `account` and `region`."""
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        values = fields(body, _FIELDS, required=("channelArn", "reason"))
        arn = values["channelArn"]
        parts = parse_channel_arn(arn) or {}
        if (parts.get("region"), parts.get("account")) != (region, account):
            raise BadRequest(f"channelArn must be a channel of account {account} in {region}")
        return cls(
            arn,
            values["reason"],
            values.get("revokeStreamKey", False),
            values.get("incidentId"),
            values.get("version"),
        )


def stop_audit(request: StopRequest, moderator: Moderator, now: datetime) -> dict[str, Any]:
    audit_id = uuid.uuid4().hex[:24]
    key = sort_key(now, audit_id)
    return {
        "channelArn": request.channel_arn,
        "sortKey": key,
        "day": key[:10],
        "kind": "stop",
        "auditId": audit_id,
        "at": iso_time(now),
        "moderatorId": moderator.user_id,
        "moderatorName": moderator.username,
        "reason": request.reason,
        "revokeRequested": request.revoke_stream_key,
        "outcome": "pending",
    }
