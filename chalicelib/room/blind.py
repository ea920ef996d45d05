"""The notice that the team is blind on a channel: frames it could not moderate."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.channels.store import ChannelStore
from chalicelib.core.times import iso_time, parse_time
from chalicelib.room.announcements import FRAMES_FAILED, channel_event
from chalicelib.room.chat import ModerationRoom


class BlindNotices:
    """Tells the moderators' room that a channel has frames it could not moderate (failed
    for good, or unscannable): at most once per channel per `interval`, since one notice is
    enough to know the team is blind there."""

    def __init__(
        self,
        *,
        channels: ChannelStore,
        room: ModerationRoom,
        interval: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._channels = channels
        self._room = room
        self._interval = interval
        self._clock = clock

    def tell(self, item: Mapping[str, Any], *, error: str, attempts: int = 0) -> str | None:
        """The event's id; None when the room heard of this channel within the interval.
        A failed send raises (the caller's retry tells the room then)."""
        now = self._clock()
        last = self._channels.get(item["channelArn"]).get("failureNoticeAt")
        if last and now - parse_time(last) < self._interval:
            return None
        event_id = self._room.send(
            channel_event(
                FRAMES_FAILED,
                item["channelArn"],
                at=iso_time(now),
                channel_name=item.get("channelName", ""),
                decisionId=item["decisionId"],
                decision=item["decision"],
                latestFrameKey=item["thumbnailKey"],
                frameTime=item["frameTime"],
                attempts=attempts,
                error=error,
            )
        )
        self._channels.note_failure_notice(item["channelArn"], now)
        return event_id
