"""A moderator stops a stream: validated, carried out, and audited in the decision log."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.auth import Moderator
from chalicelib.decisions import DecisionStore, iso_time, sort_key
from chalicelib.http import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServerError,
    ServiceUnavailable,
    json_object,
)
from chalicelib.recordings import parse_channel_arn
from chalicelib.streams import ALREADY_OFFLINE, revoke_then_stop

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 500
_FIELDS = {"channelArn", "reason", "revokeStreamKey"}


@dataclass(frozen=True)
class StopRequest:
    channel_arn: str
    reason: str
    revoke_stream_key: bool

    @classmethod
    def from_body(cls, body: Any, *, region: str, account: str) -> StopRequest:
        """Validate a POST /stop-stream body for a deployment in `account` and `region`."""
        body = json_object(body)
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
        arn = body.get("channelArn")
        parts = parse_channel_arn(arn) if isinstance(arn, str) else None
        if parts is None:
            raise BadRequest(
                "channelArn must be an IVS channel ARN: arn:aws:ivs:REGION:ACCOUNT:channel/ID"
            )
        if (parts["region"], parts["account"]) != (region, account):
            raise BadRequest(f"channelArn must be a channel of account {account} in {region}")
        reason = body.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise BadRequest("reason is required: say why the stream is stopped")
        if len(reason.strip()) > MAX_REASON_CHARS:
            raise BadRequest(f"reason is longer than {MAX_REASON_CHARS} characters")
        revoke = body.get("revokeStreamKey", False)
        if not isinstance(revoke, bool):
            raise BadRequest("revokeStreamKey must be true or false")
        return cls(arn, reason.strip(), revoke)


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
    except (ClientError, BotoCoreError) as error:
        logger.error("stop refused: cannot write the audit entry", extra={"error": str(error)})
        raise ServiceUnavailable("cannot record the stop, so the stream was not stopped") from error

    enforcement = revoke_then_stop(ivs, request.channel_arn, revoke=request.revoke_stream_key)
    result: dict[str, Any] = enforcement.fields()
    failure: ApiError | None = None
    error = enforcement.stop_error
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        outcome, make_error = _FAILURES.get(
            code, ("failed", lambda arn: ServerError(f"IVS StopStream failed: {code}"))
        )
        result.update(outcome=outcome, error=str(error))
        failure = make_error(request.channel_arn)
        log = logger.error if outcome in ("access-denied", "failed") else logger.warning
        log("stop failed", extra={"channel": request.channel_arn, "error": str(error)})
    elif error is not None:
        result.update(outcome="failed", error=str(error))
        failure = ServiceUnavailable("IVS could not be reached: try again")
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
