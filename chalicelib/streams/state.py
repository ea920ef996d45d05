"""IVS stream-state events: each channel's live/offline state and name, and stream ends.

IVS sends `IVS Stream State Change` events to EventBridge (source `aws.ivs`) on a best-
effort basis: late, out of order, or not at all. So an event never overrides a newer one
(the channel item keeps the time of the event that set its state), and before the service
says a channel went offline — resolving its untouched incident as stream-ended — it asks
IVS (GetStream), which is the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.channels.store import ChannelStore
from chalicelib.core.ivs import parse_channel_arn
from chalicelib.core.times import iso_time, parse_time
from chalicelib.incidents.actions import end_stream
from chalicelib.incidents.model import OPEN, SYSTEM
from chalicelib.incidents.service import Incidents
from chalicelib.room.announcements import (
    CHANNEL_STATE,
    INCIDENT_RESOLVED,
    INCIDENT_UPDATED,
    channel_event,
)
from chalicelib.room.chat import ModerationRoom

logger = logging.getLogger(__name__)

LIVE_EVENTS = frozenset({"Session Created", "Stream Start"})
OFFLINE_EVENTS = frozenset({"Stream End", "Stream Failure"})


class StreamStates:
    def __init__(
        self,
        *,
        ivs,
        channels: ChannelStore,
        incidents: Incidents,
        room: ModerationRoom,
        clock: Callable[[], datetime],
    ) -> None:
        self._ivs = ivs
        self._channels = channels
        self._incidents = incidents
        self._room = room
        self._clock = clock

    def handle(self, event: Any) -> dict[str, Any]:
        """Apply one stream-state event; a summary. Malformed events are logged, ignored."""
        parsed = _parse(event)
        if parsed is None:
            logger.warning("ignored: not a stream-state event of an IVS channel")
            return {"applied": False, "reason": "malformed"}
        channel_arn, name, at, stream_id = parsed
        event_name = event["detail"]["event_name"]
        if event_name in LIVE_EVENTS:
            live = True
        elif event_name in OFFLINE_EVENTS:
            live = False
        else:
            return {"applied": False, "reason": f"event {event_name[:40]!r} changes no state"}
        # Events come late and out of order (several in one second, the time's precision):
        # one that says what IVS no longer says is stale.
        if self._is_live(channel_arn) != live:
            logger.info("stale stream-state event", extra={"event": event_name, "at": iso_time(at)})
            return {"applied": False, "reason": "IVS (GetStream) says otherwise"}
        if not self._channels.set_state(
            channel_arn, live=live, at=at, name=name, stream_id=stream_id
        ):
            return {"applied": False, "reason": "a newer state is recorded"}
        self._room.send(
            channel_event(
                CHANNEL_STATE, channel_arn, at=iso_time(self._clock()), channel_name=name, live=live
            )
        )
        ended = None if live else self._end_incident(channel_arn)
        return {"applied": True, "live": live, "incident": ended}

    def _is_live(self, channel_arn: str) -> bool:
        try:
            self._ivs.get_stream(channelArn=channel_arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in (
                "ChannelNotBroadcasting",
                "ResourceNotFoundException",
            ):
                return False
            raise
        return True

    def _end_incident(self, channel_arn: str) -> str | None:
        incident_id = self._channels.get(channel_arn).get("openIncidentId")
        incident = self._incidents.store.get(incident_id) if incident_id else None
        if incident is None or incident["state"] not in (OPEN, "acknowledged"):
            return None
        event_type = INCIDENT_RESOLVED if incident["state"] == OPEN else INCIDENT_UPDATED
        self._incidents.transition(incident_id, end_stream, event_type=event_type, actor=SYSTEM)
        return incident_id


def _parse(event: Any) -> tuple[str, str, datetime, str] | None:
    try:
        detail = event["detail"]
        [channel_arn] = event["resources"]
        at = parse_time(event["time"])
        name, stream_id = detail.get("channel_name", ""), detail.get("stream_id", "")
        if not isinstance(detail["event_name"], str) or parse_channel_arn(channel_arn) is None:
            return None
        if not isinstance(name, str) or not isinstance(stream_id, str):
            return None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return channel_arn, name[:128], at, stream_id[:128]
