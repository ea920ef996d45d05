"""Stopping IVS streams, keeping them stopped, and what IVS said of it, in words."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    aws_error,
)

logger = logging.getLogger(__name__)

STOPPED = "stopped"
ALREADY_OFFLINE = "already-offline"


def stop_stream(ivs, channel_arn: str) -> str:
    """Stop the channel's live stream: STOPPED, or ALREADY_OFFLINE when nothing was live.

    Other errors (ResourceNotFound, AccessDenied, StreamUnavailable, throttling) propagate.
    """
    try:
        ivs.stop_stream(channelArn=channel_arn)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ChannelNotBroadcasting":
            return ALREADY_OFFLINE
        raise
    return STOPPED


def revoke_stream_keys(ivs, channel_arn: str) -> int:
    """Delete the channel's stream keys so its encoder cannot reconnect; returns how many.

    The channel's owner creates a new key (CreateStreamKey) to broadcast again.
    """
    revoked = 0
    for page in ivs.get_paginator("list_stream_keys").paginate(channelArn=channel_arn):
        for key in page.get("streamKeys", []):
            ivs.delete_stream_key(arn=key["arn"])
            revoked += 1
    return revoked


@dataclass
class Enforcement:
    """What stopping a channel did: the revocation (when asked for) and the stop."""

    outcome: str | None = None  # STOPPED or ALREADY_OFFLINE; None when StopStream failed
    stop_error: ClientError | BotoCoreError | None = None
    keys_revoked: int | None = None  # None when no revocation was asked for, or it failed
    revoke_error: str | None = None

    def fields(self) -> dict[str, Any]:
        """The audit's fields for what happened."""
        fields: dict[str, Any] = {}
        if self.keys_revoked is not None:
            fields["streamKeysRevoked"] = self.keys_revoked
        if self.revoke_error is not None:
            fields["revokeError"] = self.revoke_error
        return fields


def revoke_then_stop(ivs, channel_arn: str, *, revoke: bool) -> Enforcement:
    """Stop the channel's stream; with `revoke`, delete its stream keys **first**.

    Encoders reconnect at once after StopStream, so AWS advises deleting the key before
    stopping when the broadcaster must not come back. A failed revocation does not prevent
    the stop; each outcome is returned for the audit, errors included.
    """
    result = Enforcement()
    if revoke:
        try:
            result.keys_revoked = revoke_stream_keys(ivs, channel_arn)
        except (ClientError, BotoCoreError) as error:
            logger.error("stream key revocation failed", extra={"error": str(error)})
            result.revoke_error = str(error)
    try:
        result.outcome = stop_stream(ivs, channel_arn)
    except (ClientError, BotoCoreError) as error:
        result.stop_error = error
    return result


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


def stop_outcome(
    enforcement: Enforcement, channel_arn: str
) -> tuple[dict[str, Any], ApiError | None]:
    """The audit's fields for what IVS did, and the error to answer with (None: it stopped,
    or nothing was live)."""
    result: dict[str, Any] = enforcement.fields()
    error = enforcement.stop_error
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        outcome, make_error = _FAILURES.get(
            code, ("failed", lambda arn: aws_error(error, "IVS", "StopStream failed"))
        )
        result.update(outcome=outcome, error=str(error))
        log = logger.error if outcome in ("access-denied", "failed") else logger.warning
        log("stop failed", extra={"channel": channel_arn, "error": str(error)})
        return result, make_error(channel_arn)
    if error is not None:  # not sent (an invalid parameter) or no answer (an outage)
        result.update(outcome="failed", error=str(error))
        return result, aws_error(error, "IVS")
    result["outcome"] = enforcement.outcome
    return result, None
