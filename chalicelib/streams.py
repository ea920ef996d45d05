"""Stopping IVS streams, and keeping them stopped."""

from __future__ import annotations

from botocore.exceptions import ClientError

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
