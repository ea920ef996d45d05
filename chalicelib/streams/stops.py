"""A moderator stops a stream: validated, carried out, and audited in the decision log."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    aws_error,
)
from chalicelib.core.identity import Moderator
from chalicelib.core.ivs import parse_channel_arn
from chalicelib.core.schema import Boolean, ChannelArn, Identifier, Text, fields
from chalicelib.core.times import iso_time
from chalicelib.decisions.store import DecisionStore, sort_key
from chalicelib.streams.enforcement import ALREADY_OFFLINE, revoke_then_stop

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 500
_FIELDS = {
    "channelArn": ChannelArn(),
    "reason": Text(MAX_REASON_CHARS, multiline=True),
    "revokeStreamKey": Boolean(),
    "incidentId": Identifier(),
}


@dataclass(frozen=True)
class StopRequest:
    channel_arn: str
    reason: str
    revoke_stream_key: bool
    incident_id: str | None = None  # an incident of the channel, to resolve as stopped

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
            arn, values["reason"], values.get("revokeStreamKey", False), values.get("incidentId")
        )


# IVS errors, what the audit calls them, and what the moderator is told.
_FAILURES: dict[str, tuple[str, Callable[[str], ApiError]]] = {
    "ResourceNotFoundException": ("not-found", lambda arn: NotFound(f"no such channel: {arn}")),
    "AccessDeniedException": (
        "access-denied",
        lambda arn: Forbidden("the service is not allowed to stop this channel"),
    ),
    "ValidationException": ("invalid", lambda arn: BadRequest(f"IVS rejected {arn}")),
    "StreamUnavailable": (
        "unavailable",
        lambda arn: ServiceUnavailable("IVS cannot stop the stream right now: try again"),
    ),
    "ThrottlingException": (
        "throttled",
        lambda arn: ServiceUnavailable("IVS is throttling requests: try again"),
    ),
}


def stop_for_moderator(
    request: StopRequest,
    moderator: Moderator,
    *,
    ivs,
    store: DecisionStore,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Stop the stream (revoking its keys first when asked); every attempt is audited."""
    now = clock()
    audit_id = uuid.uuid4().hex[:24]
    key = sort_key(now, audit_id)
    audit = {
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
    try:
        store.create(audit)
    except (ClientError, BotoCoreError, UnicodeError) as error:
        logger.error("stop refused: cannot write the audit entry", extra={"error": str(error)})
        context = "cannot record the stop, so the stream was not stopped"
        raise aws_error(error, "the decision log", context) from error

    enforcement = revoke_then_stop(ivs, request.channel_arn, revoke=request.revoke_stream_key)
    result: dict[str, Any] = enforcement.fields()
    failure: ApiError | None = None
    error = enforcement.stop_error
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        outcome, make_error = _FAILURES.get(
            code, ("failed", lambda arn: aws_error(error, "IVS", "StopStream failed"))
        )
        result.update(outcome=outcome, error=str(error))
        failure = make_error(request.channel_arn)
        log = logger.error if outcome in ("access-denied", "failed") else logger.warning
        log("stop failed", extra={"channel": request.channel_arn, "error": str(error)})
    elif error is not None:  # not sent (an invalid parameter) or no answer (an outage)
        result.update(outcome="failed", error=str(error))
        failure = aws_error(error, "IVS")
    else:
        result["outcome"] = enforcement.outcome

    try:
        store.update(request.channel_arn, key, result)
    except (ClientError, BotoCoreError) as error:  # the stop itself is done; say so
        logger.error("audit outcome not recorded", extra={"audit_id": audit_id, **result})
        result["auditError"] = str(error)
    logger.warning(
        "stop requested by a moderator",
        extra={"channel": request.channel_arn, "moderator": moderator.username, **result},
    )
    if failure is not None:
        raise failure
    if result["outcome"] == ALREADY_OFFLINE:
        revoked = result.get("streamKeysRevoked")
        detail = f"; {revoked} stream key(s) revoked" if revoked is not None else ""
        raise Conflict(f"the channel is not live: there was no stream to stop{detail}")
    return {
        "auditId": audit_id,
        "channelArn": request.channel_arn,
        "at": audit["at"],
        "stoppedBy": moderator.username,
        **{k: v for k, v in result.items() if k != "error"},
    }
