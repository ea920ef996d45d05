"""GET /decisions: the decision log, newest first, by channel or for all channels.

A channel's history is a Query on its partition and holds every item. The history of all
channels reads the sparse ``byDay`` index one UTC day at a time: only what is listed
across channels carries ``day`` (flagged, unscannable and failed frames, stops,
incidents), so clean and superseded frames are listed per channel only.

Filters (`kind`, `decision`) are applied to what each Query returns, so one request reads
at most MAX_QUERIES_PER_REQUEST pages of at most ITEMS_PER_QUERY items: a page may hold
fewer than `limit` items (even none) and still end with a cursor to continue.

The cursor carries the whole query (channel, window, filters, day, and where reading
stopped), so the next page is the same query whatever the clock says. It comes back
from a client, so everything in it is validated again as a new query would be: it can
neither widen the window, nor reach another channel or day, nor hold a key DynamoDB
would reject.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import times, validation
from chalicelib.core.cursors import cursor_contents, encode_cursor, part, read_cursor
from chalicelib.core.errors import BadRequest, aws_error
from chalicelib.core.ivs import parse_thumbnail_key
from chalicelib.core.times import iso_time, time_window
from chalicelib.core.validation import channel_arn, one_of_list, shown
from chalicelib.decisions.store import DecisionStore

DEFAULT_WINDOW = timedelta(hours=24)
MAX_ALL_CHANNELS_WINDOW = timedelta(days=31)
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# The work one request may do, however selective its filters or long its window.
MAX_QUERIES_PER_REQUEST = 8
ITEMS_PER_QUERY = 200

KINDS = ("frame", "stop", "incident")
DECISIONS = ("clean", "alert", "auto-stop", "unscannable", "failed", "superseded", "sampled")
DEFAULT_DECISIONS = ("alert", "auto-stop", "unscannable", "failed")
PER_CHANNEL_DECISIONS = frozenset({"clean", "superseded", "sampled"})  # frames without `day`

PARAMS = ("channelArn", "from", "to", "kind", "decision", "limit", "cursor")
_QUERY_PARAMS = {"channelArn", "from", "to", "kind", "decision"}
_CURSOR_VERSION = 2
# What this route's cursors hold (`cursor`), each part of its JSON type.
_CURSOR_PARTS = {
    "v": part("version", int),
    "c": part("channel", str, None),
    "s": part("start", str),
    "e": part("end", str),
    "kind": part("kind", list),
    "decision": part("decision", list),
    "d": part("day", str, None),
    "k": part("start key", dict, None),
}
MAX_SORT_KEY_CHARS = 128
# Decision-log attributes that are storage details, not history.
_INTERNAL = {"sortKey", "day", "expiresAt", "bucket"}


@dataclass(frozen=True)
class HistoryQuery:
    channel_arn: str | None
    start: datetime
    end: datetime
    limit: int
    kinds: tuple[str, ...] = KINDS
    decisions: tuple[str, ...] = DEFAULT_DECISIONS
    day: str | None = None  # all channels: the UTC day being read
    after: dict[str, str] | None = None  # where reading stopped (DynamoDB's start key)

    @classmethod
    def from_params(cls, params: Mapping[str, str] | None, now: datetime) -> HistoryQuery:
        """The query that `params` (a request's validated query string) ask for."""
        params = dict(params or {})
        unknown = sorted(set(params) - set(PARAMS))
        if unknown:
            raise BadRequest(f"unknown parameter(s): {', '.join(map(shown, unknown))}")
        limit = validation.limit(params.get("limit"), default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        if "cursor" in params:
            if _QUERY_PARAMS & set(params):
                raise BadRequest("a cursor carries its query: send it with limit only")
            return cls.from_cursor(params["cursor"], limit)
        channel = channel_arn(params["channelArn"]) if "channelArn" in params else None
        start, end = _window(
            channel,
            times.client_time(params["from"], "from") if "from" in params else None,
            times.client_time(params["to"], "to") if "to" in params else None,
            now,
        )
        # `decision` alone asks for frames; `kind` alone for those kinds (frames flagged);
        # both for those kinds, their frames with those decisions.
        decisions = DEFAULT_DECISIONS
        kinds = KINDS
        if "decision" in params:
            decisions = one_of_list(params["decision"], "decision", DECISIONS)
            kinds = ("frame",)
        if "kind" in params:
            kinds = one_of_list(params["kind"], "kind", KINDS)
        _check_filters(channel, kinds, decisions, explicit="decision" in params)
        return cls(
            channel, start, end, limit, kinds, decisions, None if channel else _day_of(end), None
        )

    @classmethod
    def from_cursor(cls, raw: str, limit: int) -> HistoryQuery:
        """The query a cursor continues, every part of it validated again."""
        state = read_cursor(raw, _CURSOR_PARTS)
        with cursor_contents():
            if state["v"] != _CURSOR_VERSION:
                raise BadRequest("not this version's cursor")
            channel = None if state["c"] is None else channel_arn(state["c"], "channel")
            end = times.client_time(state["e"], "end")
            start, end = _window(channel, times.client_time(state["s"], "start"), end, now=end)
            kinds = _filter(state["kind"], "kind", KINDS)
            decisions = _filter(state["decision"], "decision", DECISIONS)
            _check_filters(channel, kinds, decisions, explicit=False)
            if channel is not None:
                if state["d"] is not None:
                    raise BadRequest("a channel's history is not read by day")
                reading = None
            else:
                reading = times.client_day(state["d"], "day")
                if not start.date() <= reading <= end.date():
                    raise BadRequest("the day is outside the window")
            query = cls(channel, start, end, limit, kinds, decisions, _day_of(reading))
            if state["k"] is not None:
                query = replace(query, after=query.start_key(state["k"]))
        return query

    @property
    def bounds(self) -> tuple[str, str]:
        """The sortKey range of the window (sort keys are `<time>#<id>`)."""
        return iso_time(self.start), iso_time(self.end) + "~"

    def start_key(self, key: Any) -> dict[str, str]:
        """`key`, a start key from a cursor, if it lies in this query's partition and window."""
        names = {"channelArn", "sortKey"} if self.channel_arn else {"day", "channelArn", "sortKey"}
        if not isinstance(key, dict) or set(key) != names:
            raise BadRequest(f"the start key must hold {', '.join(sorted(names))}")
        if self.channel_arn is not None and key["channelArn"] != self.channel_arn:
            raise BadRequest("the start key is in another channel")
        channel_arn(key["channelArn"], "the start key's channelArn")
        if self.channel_arn is None and key["day"] != self.day:
            raise BadRequest("the start key is in another day")
        sort_key = key["sortKey"]
        lower, upper = self.bounds
        if not (
            isinstance(sort_key, str)
            and len(sort_key) <= MAX_SORT_KEY_CHARS
            and sort_key.isascii()
            and sort_key.isprintable()
            and lower <= sort_key <= upper
            and (self.day is None or sort_key.startswith(self.day))
        ):
            raise BadRequest("the start key is outside the window")
        return dict(key)

    def cursor(self, day: str | None, after: Mapping[str, Any] | None) -> str:
        return encode_cursor(
            {
                "v": _CURSOR_VERSION,
                "c": self.channel_arn,
                "s": iso_time(self.start),
                "e": iso_time(self.end),
                "kind": list(self.kinds),
                "decision": list(self.decisions),
                "d": day,
                "k": dict(after) if after else None,
            }
        )

    def matches(self, item: Mapping[str, Any]) -> bool:
        kind = item.get("kind")
        if kind not in self.kinds:
            return False
        return kind != "frame" or item.get("decision") in self.decisions

    def key_of(self, item: Mapping[str, Any]) -> dict[str, str]:
        """The start key that resumes reading just after `item`."""
        key = {"channelArn": item["channelArn"], "sortKey": item["sortKey"]}
        if self.channel_arn is None:
            key["day"] = item["day"]
        return key


def list_decisions(
    query: HistoryQuery,
    store: DecisionStore,
    presign: Callable[[str], dict[str, str]],
) -> dict[str, Any]:
    """One page of history; `presign` makes a frame's link from its thumbnail key."""
    lower, upper = query.bounds
    first_day = lower[:10]
    items: list[dict[str, Any]] = []
    day, after = query.day, query.after
    for attempt in range(MAX_QUERIES_PER_REQUEST):
        # As many items as the page still needs, then more each time filters leave it short.
        wanted = min(ITEMS_PER_QUERY, (query.limit - len(items)) * 2**attempt)
        try:
            page, last = store.query(
                channel_arn=query.channel_arn,
                day=day,
                lower=lower,
                upper=upper,
                limit=wanted,
                start=after,
            )
        except (ClientError, BotoCoreError, UnicodeError) as error:
            raise aws_error(error, "the decision log") from error
        for position, item in enumerate(page, 1):
            if not query.matches(item):
                continue
            items.append(item)
            if len(items) == query.limit:
                if position == len(page) and not last and _last_partition(query, day, first_day):
                    return _page(items, None, presign)
                # resume right after the last item listed
                return _page(items, query.cursor(day, query.key_of(item)), presign)
        if last:
            after = last
        elif _last_partition(query, day, first_day):
            return _page(items, None, presign)
        else:  # this day is done: the one before
            day, after = _day_of(date.fromisoformat(day) - timedelta(days=1)), None
    return _page(items, query.cursor(day, after), presign)


def _last_partition(query: HistoryQuery, day: str | None, first_day: str) -> bool:
    return query.channel_arn is not None or day is None or day <= first_day


def _page(items, next_cursor, presign) -> dict[str, Any]:
    return {"items": [_public(item, presign) for item in items], "nextCursor": next_cursor}


def _public(item: Mapping[str, Any], presign: Callable[[str], dict[str, str]]) -> dict:
    public = {k: v for k, v in item.items() if k not in _INTERNAL}
    key = item.get("thumbnailKey")
    if item.get("kind") == "frame" and isinstance(key, str) and parse_thumbnail_key(key, "any"):
        public.update(presign(key))
    return public


def _window(
    channel: str | None, start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    return time_window(
        start,
        end,
        now=now,
        default_span=DEFAULT_WINDOW,
        max_span=None if channel else MAX_ALL_CHANNELS_WINDOW,
        span_hint=" for all channels: name a channelArn",
    )


def _filter(value: Any, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise BadRequest(f"{name} must be a list of {', '.join(allowed)}")
    return one_of_list(",".join(value), name, allowed)


def _check_filters(
    channel: str | None, kinds: tuple[str, ...], decisions: tuple[str, ...], *, explicit: bool
) -> None:
    if explicit and "frame" not in kinds:
        raise BadRequest("decision filters frames: add frame to kind, or leave decision out")
    if channel is None and PER_CHANNEL_DECISIONS & set(decisions):
        listed = ", ".join(sorted(PER_CHANNEL_DECISIONS & set(decisions)))
        raise BadRequest(f"{listed} frames are listed per channel: name a channelArn")


def _day_of(value: datetime | date | None) -> str | None:
    return None if value is None else times.day(value)
