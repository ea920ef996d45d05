"""Reading incidents: the moderators' queue, a time window, and the statistics.

Access patterns (README, "Data layout"): the queue is the `active` index (open,
acknowledged and escalated incidents) plus the `byResolvedDay` index for those resolved in
the last 24 hours; a time window reads `byOpenedDay` (or `byChannel` for one channel), a
day at a time. The indexes hold keys only; the incidents come from BatchGetItem. Every
request reads a bounded number of pages, and a cursor carries its query, re-checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core import times
from chalicelib.core.cursors import (
    cursor_contents,
    cursor_query,
    encode_cursor,
    part,
    read_cursor,
)
from chalicelib.core.errors import BadRequest
from chalicelib.core.schema import OneOf
from chalicelib.core.times import client_day, client_time, iso_time, parse_time, time_window
from chalicelib.core.validation import channel_arn, limit, one_of_list
from chalicelib.incidents.model import ACKNOWLEDGED, ESCALATED, OPEN, RESOLVED, SEVERITY_RANK
from chalicelib.incidents.store import IncidentStore
from chalicelib.rules.taxonomy import TOP_LEVEL

STATES = (OPEN, ACKNOWLEDGED, RESOLVED)
RECENTLY = timedelta(hours=24)  # resolved incidents the queue still shows
MAX_WINDOW = timedelta(days=31)
MAX_QUEUE = 500  # incidents one queue read gathers at most (then `truncated`)
MAX_PAGES = 40  # index pages one request reads at most
DEFAULT_LIMIT, MAX_LIMIT = 100, 200
# What this route's cursors hold (`IncidentQuery.cursor`): its query, the day, the start key.
_CURSOR_PARTS = {"q": part("query", dict), "d": part("day", str, None), "k": part("key", dict)}
_CURSOR_QUERY, _CURSOR_FILTERS = ("state", "from", "to"), ("channelArn", "category")


@dataclass(frozen=True)
class IncidentQuery:
    states: tuple[str, ...]
    channel_arn: str | None
    category: str | None
    start: datetime | None  # a window on openedAt; None: the queue
    end: datetime | None
    limit: int
    day: str | None = None  # a window: the day being read (all channels)
    after: dict[str, Any] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str], now: datetime) -> IncidentQuery:
        """A query from GET /incidents' parameters (`validation.query_params`)."""
        size = limit(params.get("limit"), default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        if "cursor" in params:
            if set(params) - {"cursor", "limit"}:
                raise BadRequest("a cursor carries its query: send it with limit only")
            return _decode(params["cursor"], size, now)
        states = one_of_list(params["state"], "state", STATES) if "state" in params else STATES
        channel = channel_arn(params["channelArn"]) if "channelArn" in params else None
        category = (
            OneOf(TOP_LEVEL).parse(params["category"], "category")
            if ("category" in params)
            else None
        )
        if "from" not in params and "to" not in params:
            return cls(states, channel, category, None, None, size)
        start, end = time_window(
            client_time(params["from"], "from") if "from" in params else None,
            client_time(params["to"], "to") if "to" in params else None,
            now=now,
            default_span=timedelta(days=1),
            max_span=MAX_WINDOW,
        )
        return cls(states, channel, category, start, end, size, None if channel else times.day(end))

    def matches(self, incident: Mapping[str, Any]) -> bool:
        return (
            incident["state"] in self.states
            and (self.channel_arn is None or incident["channelArn"] == self.channel_arn)
            and (self.category is None or self.category in incident.get("categories", {}))
        )

    def cursor(self, day: str | None, after: Mapping[str, Any]) -> str:
        params = {"state": ",".join(self.states), "from": iso_time(self.start)}
        params["to"] = iso_time(self.end)
        if self.channel_arn is not None:
            params["channelArn"] = self.channel_arn
        if self.category is not None:
            params["category"] = self.category
        return encode_cursor({"q": params, "d": day, "k": dict(after)})


def queue(store: IncidentStore, query: IncidentQuery, now: datetime) -> dict[str, Any]:
    """The moderators' queue: active incidents, then those resolved in the last 24 hours."""
    ids: list[str] = []
    truncated = False
    since = iso_time(now - RECENTLY)
    reads = [("active", ("activeQueue", "active"), ("openedAt", "0", "~"))]
    for day in (times.day(now), times.day(now - RECENTLY)):
        reads.append(("byResolvedDay", ("resolvedDay", day), ("resolvedAt", since, "~")))
    pages = 0
    for index, partition, sort in reads:
        after = None
        while pages < MAX_PAGES and len(ids) < MAX_QUEUE:
            found, after = store.index_page(
                index, partition, sort, limit=MAX_QUEUE - len(ids), start=after
            )
            ids += found
            pages += 1
            if not after:
                break
        truncated = truncated or bool(after)
    incidents = [item for item in store.many(ids) if query.matches(item)]
    incidents.sort(key=_queue_order)
    return {"items": incidents[: query.limit], "truncated": truncated, "nextCursor": None}


def _queue_order(incident: Mapping[str, Any]) -> tuple:
    """Unresolved first (most severe, then oldest), then escalated, then newest resolved."""
    if incident["state"] != RESOLVED:
        return (0, -SEVERITY_RANK[incident["severity"]], incident["openedAt"])
    if incident.get("resolution") == ESCALATED:
        return (1, -SEVERITY_RANK[incident["severity"]], incident["openedAt"])
    return (2, "", _descending(incident.get("resolvedAt", "")))


def window(store: IncidentStore, query: IncidentQuery) -> dict[str, Any]:
    """Incidents opened in a time window, newest first, a page at a time."""
    lower, upper = iso_time(query.start), iso_time(query.end)
    ids: list[str] = []
    day, after, done = query.day, query.after, False
    for _ in range(MAX_PAGES):
        if len(ids) >= query.limit:
            break
        if query.channel_arn is not None:
            index, partition = "byChannel", ("channelArn", query.channel_arn)
        else:
            index, partition = "byOpenedDay", ("openedDay", day)
        found, after = store.index_page(
            index, partition, ("openedAt", lower, upper), limit=query.limit - len(ids), start=after
        )
        ids += found
        if after is None:
            if query.channel_arn is not None or day <= lower[:10]:
                done = True
                break
            day = times.day(parse_time(f"{day}T00:00:00Z") - timedelta(days=1))
    found_items = {item["incidentId"]: item for item in store.many(ids)}
    items = [found_items[i] for i in ids if i in found_items and query.matches(found_items[i])]
    cursor = None if done else query.cursor(day, after or {})
    return {"items": items, "truncated": False, "nextCursor": cursor}


def _descending(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


def _decode(raw: str, size: int, now: datetime) -> IncidentQuery:
    """A cursor's query, checked again as a new one; where it stopped, inside that query."""
    state = read_cursor(raw, _CURSOR_PARTS)
    with cursor_contents():
        params = cursor_query(state["q"], _CURSOR_QUERY, _CURSOR_FILTERS)
        day, after = state["d"], state["k"]
        query = IncidentQuery.from_params({**params, "limit": str(size)}, now)
        if query.start is None or query.end is None:
            raise BadRequest("it holds no window")
        lower, upper = iso_time(query.start), iso_time(query.end)
        if query.channel_arn is None:
            if not lower[:10] <= client_day(day, "its day").isoformat() <= upper[:10]:
                raise BadRequest("its day is outside the window")
            partition = {"openedDay": day}
        elif day is not None:
            raise BadRequest("a channel's incidents are not read by day")
        else:
            partition = {"channelArn": query.channel_arn}
        # Where DynamoDB stopped must lie in the query's own partition and window.
        if after and (
            set(after) != {"incidentId", "openedAt", *partition}
            or any(after[name] != value for name, value in partition.items())
            or not all(isinstance(value, str) and len(value) <= 200 for value in after.values())
            or not lower <= after["openedAt"] <= upper
        ):
            raise BadRequest("where it stopped is outside its query")
    return replace(query, day=day, after=after or None)
