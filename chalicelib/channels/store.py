"""What the service knows of each channel: name, live state, current incident, quiet time.

One item per channel in CHANNELS_TABLE, keyed `channelArn`:
- `name` (from IVS GetChannel, or from a stream-state event) and `nameCheckedAt`; `tags`, the
  channel's IVS tags from the same GetChannel (what policies match on, docs/policies.md);
- `live`, `liveAt` (the time of the stream-state event that set it: an older event never
  overrides a newer one; IVS's events are best effort and may come out of order),
  `streamId`;
- `openIncidentId`: the channel's current incident, claimed with a conditional write so
  two concurrent frames never open two incidents for one episode;
- `quiet`: after a dismissal as false positive, `{incidentId, sessionId, until,
  categories: {category: confidence}}`;
- `failureNoticeAt`: when the room was last told of frames that could not be moderated;
- `stopClaim`: the moderator's stop that holds the channel, `{auditId, by, claimedAt,
  holdUntil, outcome}`: one stop at a time, and none of a stream already stopped (below).

A stop claims the channel before IVS is called, in one transaction with its audit: a
concurrent stop finds the claim and is refused, naming who is stopping. The claim holds
while the stop is under way (at most STOP_LEASE, for a stop that never finished), and
after it stopped the stream (or found nothing live) until the channel is seen live again
or STOP_HOLD has passed: a second moderator's stop of a stream already stopped is told so,
instead of stopping the stream that the encoder may have started again since. A stop that
failed releases its claim.
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

STOPPED, ALREADY_OFFLINE = "stopped", "already-offline"  # a stop's outcomes that hold
STOP_LEASE = timedelta(seconds=60)  # a stop under way holds its channel at most this long
STOP_HOLD = timedelta(seconds=60)  # after a stop: until the channel is live again, at most
NAME_FRESH_FOR = timedelta(days=1)  # names rarely change; a day-old one is looked up again
MEMORY_SECONDS = 600.0  # how long a container trusts a name it looked up


def new_stop_claim(audit_id: str, by: str, now: datetime) -> dict[str, Any]:
    """A stop's claim on its channel, under way."""
    return {
        "auditId": audit_id,
        "by": by,
        "claimedAt": iso_time(now),
        "holdUntil": iso_time(now + STOP_LEASE),
        "outcome": "pending",
    }


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

    def claim_stop(self, channel_arn: str, claim: Mapping[str, Any], now: datetime) -> Set:
        """The write (for a transaction) that makes `claim` (`new_stop_claim`) the channel's,
        unless another stop holds it (`stop_holder`)."""
        return Set(
            self.table,
            {"channelArn": channel_arn},
            {"stopClaim": dict(claim)},
            "attribute_not_exists(stopClaim) OR stopClaim.holdUntil < :now"
            " OR (#live = :true AND liveAt > stopClaim.claimedAt)",
            {":now": iso_time(now), ":true": True},
            {"#live": "live"},
        )

    def finish_stop(
        self, channel_arn: str, claim: Mapping[str, Any], outcome: str, now: datetime
    ) -> bool:
        """The stop is done: its claim holds the channel until it is live again (STOP_HOLD
        at most), or is released when the stop failed. False if the claim was lost."""
        key, mine = {"channelArn": channel_arn}, {":id": claim["auditId"]}
        condition = "stopClaim.auditId = :id"
        if outcome not in (STOPPED, ALREADY_OFFLINE):
            return self.table.update(
                key, {}, remove=("stopClaim",), condition=condition, values=mine
            )
        done = {**claim, "outcome": outcome, "holdUntil": iso_time(now + STOP_HOLD)}
        return self.table.update(key, {"stopClaim": done}, condition=condition, values=mine)

    @staticmethod
    def stop_holder(channel: Mapping[str, Any], now: datetime) -> dict[str, Any] | None:
        """The stop that holds the channel now (the claim's rule above), or None."""
        claim = channel.get("stopClaim")
        if not claim or claim["holdUntil"] < iso_time(now):
            return None
        if channel.get("live") is True and channel.get("liveAt", "") > claim["claimedAt"]:
            return None
        return claim

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

    def set_name(
        self, channel_arn: str, name: str, at: datetime, tags: Mapping[str, str] | None = None
    ) -> None:
        changes: dict[str, Any] = {"name": name, "nameCheckedAt": iso_time(at)}
        if tags is not None:
            changes["tags"] = dict(tags)
        self.table.update({"channelArn": channel_arn}, changes)

    def note_failure_notice(self, channel_arn: str, at: datetime) -> None:
        """The room was told of this channel's failed frames at `at`."""
        self.table.update({"channelArn": channel_arn}, {"failureNoticeAt": iso_time(at)})

    def page(
        self, limit: int, start: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        return self.table.scan(limit, start)


class ChannelNames:
    """Channel names and IVS tags from IVS (GetChannel, one call for both), remembered in the
    channel's item (a day) and in memory (MEMORY_SECONDS)."""

    def __init__(self, ivs, store: ChannelStore, clock) -> None:
        self._ivs = ivs
        self._store = store
        self._clock = clock
        self._memory: dict[str, tuple[str, dict[str, str], float]] = {}

    def name(self, channel_arn: str, known: Mapping[str, Any] | None = None) -> str:
        """The channel's name ("" when IVS cannot say: a name is never worth a failure)."""
        return self._known(channel_arn, known)[0]

    def tags(self, channel_arn: str) -> dict[str, str]:
        """The channel's IVS tags ({} when IVS cannot say)."""
        return self._known(channel_arn, None)[1]

    def _known(self, channel_arn: str, known: Mapping[str, Any] | None) -> tuple[str, dict]:
        remembered = self._memory.get(channel_arn)
        if remembered and time.monotonic() - remembered[2] < MEMORY_SECONDS:
            return remembered[0], remembered[1]
        now = self._clock()
        item = known if known is not None else self._store.get(channel_arn)
        checked = item.get("nameCheckedAt")
        if checked and now - parse_time(checked) < NAME_FRESH_FOR and "tags" in item:
            name, tags = item.get("name", ""), dict(item["tags"])
        else:
            channel = self._look_up(channel_arn)
            if channel is not None:
                self._store.set_name(channel_arn, channel.get("name", ""), now, channel["tags"])
            channel = channel or {}
            name = channel.get("name") or item.get("name", "")
            tags = channel.get("tags", item.get("tags", {}))
        self._memory[channel_arn] = (name, tags, time.monotonic())
        return name, tags

    def _look_up(self, channel_arn: str) -> dict[str, Any] | None:
        try:
            channel = self._ivs.get_channel(arn=channel_arn)["channel"]
        except (ClientError, BotoCoreError) as error:
            logger.warning("channel name unknown", extra={"error": str(error)})
            return None
        return {"name": channel.get("name", ""), "tags": dict(channel.get("tags") or {})}
