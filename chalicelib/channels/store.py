"""What the service knows of each channel: name, live state, current incident, quiet time.

One item per channel in CHANNELS_TABLE, keyed `channelArn`:
- `name` (from IVS GetChannel, or from a stream-state event) and `nameCheckedAt`;
- `live`, `liveAt` (the time of the stream-state event that set it: an older event never
  overrides a newer one; IVS's events are best effort and may come out of order),
  `streamId`;
- `openIncidentId`: the channel's current incident, claimed with a conditional write so
  two concurrent frames never open two incidents for one episode;
- `quiet`: after a dismissal as false positive, `{incidentId, sessionId, until,
  categories: {category: confidence}}`;
- `failureNoticeAt`: when the room was last told of frames that could not be moderated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.dynamo import Set, Table
from chalicelib.core.times import iso_time, parse_time

logger = logging.getLogger(__name__)

NAME_FRESH_FOR = timedelta(days=1)  # names rarely change; a day-old one is looked up again
MEMORY_SECONDS = 600.0  # how long a container trusts a name it looked up


class ChannelStore:
    def __init__(self, dynamodb, table_name: str) -> None:
        self.table = Table(dynamodb, table_name, ("channelArn",))

    def get(self, channel_arn: str) -> dict[str, Any]:
        """The channel's item; an empty one (just the ARN) for a channel not seen yet."""
        return self.table.get({"channelArn": channel_arn}) or {"channelArn": channel_arn}

    def claim_incident(self, channel_arn: str, incident_id: str, expected: str | None) -> Set:
        """The write (for a transaction) that makes `incident_id` the channel's current
        incident if the current one is still `expected` (None: none)."""
        if expected is None:
            condition, values = "attribute_not_exists(openIncidentId)", {}
        else:
            condition, values = "openIncidentId = :expected", {":expected": expected}
        return Set(
            self.table,
            {"channelArn": channel_arn},
            {"openIncidentId": incident_id},
            condition,
            values,
        )

    def set_quiet(self, channel_arn: str, quiet: Mapping[str, Any]) -> None:
        self.table.update({"channelArn": channel_arn}, {"quiet": dict(quiet)})

    def set_state(
        self, channel_arn: str, *, live: bool, at: datetime, name: str = "", stream_id: str = ""
    ) -> bool:
        """Record a stream-state change unless a newer one is recorded; False if stale."""
        changes: dict[str, Any] = {"live": live, "liveAt": iso_time(at)}
        if name:
            changes.update(name=name, nameCheckedAt=iso_time(at))
        if stream_id:
            changes["streamId"] = stream_id
        return self.table.update(
            {"channelArn": channel_arn},
            changes,
            condition="attribute_not_exists(liveAt) OR liveAt <= :at",
            values={":at": iso_time(at)},
        )

    def set_name(self, channel_arn: str, name: str, at: datetime) -> None:
        self.table.update(
            {"channelArn": channel_arn}, {"name": name, "nameCheckedAt": iso_time(at)}
        )

    def note_failure_notice(self, channel_arn: str, at: datetime) -> None:
        """The room was told of this channel's failed frames at `at`."""
        self.table.update({"channelArn": channel_arn}, {"failureNoticeAt": iso_time(at)})

    def page(
        self, limit: int, start: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        return self.table.scan(limit, start)


class ChannelNames:
    """Channel names from IVS (GetChannel), remembered in the channel's item and in memory."""

    def __init__(self, ivs, store: ChannelStore, clock) -> None:
        self._ivs = ivs
        self._store = store
        self._clock = clock
        self._memory: dict[str, tuple[str, float]] = {}

    def name(self, channel_arn: str, known: Mapping[str, Any] | None = None) -> str:
        """The channel's name ("" when IVS cannot say: a name is never worth a failure)."""
        remembered = self._memory.get(channel_arn)
        if remembered and time.monotonic() - remembered[1] < MEMORY_SECONDS:
            return remembered[0]
        now = self._clock()
        item = known if known is not None else self._store.get(channel_arn)
        checked = item.get("nameCheckedAt")
        if checked and now - parse_time(checked) < NAME_FRESH_FOR:
            name = item.get("name", "")
        else:
            name = self._look_up(channel_arn)
            if name is not None:
                self._store.set_name(channel_arn, name, now)
            name = name or item.get("name", "")
        self._memory[channel_arn] = (name, time.monotonic())
        return name

    def _look_up(self, channel_arn: str) -> str | None:
        try:
            return self._ivs.get_channel(arn=channel_arn)["channel"].get("name", "")
        except (ClientError, BotoCoreError) as error:
            logger.warning("channel name unknown", extra={"error": str(error)})
            return None
