"""Stopping IVS streams, and keeping them stopped."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

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
