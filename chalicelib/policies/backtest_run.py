"""Reading the decision log for a backtest, bounded (docs/policies.md, "Backtest").

One request reads at most PAGES_PER_REQUEST pages (Queries of one channel's partition, newest
first, over the window) so that, with the policy book's own three Queries when it refreshes,
a request stays within the API's MAX_QUERIES_PER_REQUEST. The backtest's state between its
requests — the channels it counts (fixed by its first request), where reading stopped, the
counts so far — is kept in POLICIES_TABLE (`pk` "backtest", one item per step, expiring after
STATE_TTL); the cursor names that item, so the same cursor sent again continues from the same
point and counts nothing twice. A cursor is of one backtest: the same name, draft and hours.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.dynamo import Table
from chalicelib.core.errors import BadRequest
from chalicelib.core.times import iso_time, parse_time
from chalicelib.decisions.store import DecisionStore
from chalicelib.policies.backtest import Evaluates, Tally, honesty
from chalicelib.policies.defaults import overlay
from chalicelib.policies.model import PolicyDocument

BOOK_QUERIES = 3  # heads, channel assignments, watchlist (policies/book.py)
MAX_QUERIES_PER_REQUEST = 8  # as GET /decisions (decisions/history.py)
PAGES_PER_REQUEST = MAX_QUERIES_PER_REQUEST - BOOK_QUERIES
ITEMS_PER_PAGE = 1000
MAX_FRAMES = 20_000
MAX_HOURS = 168
STATE_TTL = timedelta(hours=1)
STATE_PK = "backtest"
_CURSOR = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Draft:
    """What one backtest asks: the draft's compiled policies and what the answer needs."""

    name: str
    document: Mapping[str, Any]  # as sent (its fingerprint ties the cursor to it)
    hours: int
    policy: Evaluates
    watched: Evaluates  # the watchlist's overlay of the draft
    needs_content_types: bool = False
    lowest_threshold: float | None = None

    @classmethod
    def of(
        cls, name: str, raw: Mapping[str, Any], hours: int, document: PolicyDocument, watch
    ) -> Draft:
        """The draft `document` (validated), the watchlist policy `watch` laid over it."""
        maps = [document.rules, *document.content_types.values()]
        thresholds = [
            v for rules in maps for v in (*rules.alert.values(), *rules.auto_stop.values())
        ]
        return cls(
            name=name,
            document=raw,
            hours=hours,
            policy=document.compile(),
            watched=overlay(document, watch).compile(),
            needs_content_types=bool(document.content_types),
            lowest_threshold=min(thresholds) if thresholds else None,
        )

    @property
    def fingerprint(self) -> str:
        text = json.dumps([self.name, self.document, self.hours], sort_keys=True)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Backtests:
    """Backtests over one deployment's decision log."""

    def __init__(
        self,
        *,
        decisions: DecisionStore,
        states: Table,
        clock: Callable[[], datetime],
        min_confidence: float,
    ) -> None:
        self._decisions = decisions
        self._states = states
        self._clock = clock
        self._min_confidence = min_confidence

    def run(
        self,
        draft: Draft,
        cursor: str | None,
        governed: Callable[[], Sequence[tuple[str, str]]],
    ) -> dict[str, Any]:
        """One request's worth of the backtest: the counts so far, and a cursor until done.
        `governed` names the channels the draft would govern, (ARN, name): asked once."""
        if cursor is None:
            end = self._clock()
            state = {
                "fingerprint": draft.fingerprint,
                "start": iso_time(end - timedelta(hours=draft.hours)),
                "end": iso_time(end),
                "channels": [[arn, name] for arn, name in governed()],
                "at": 0,
                "after": None,
                "tally": Tally().state(),
            }
        else:
            state = self._state(cursor, draft)
        tally = Tally.from_state(state["tally"])
        names = dict((arn, name) for arn, name in state["channels"])
        at, after = int(state["at"]), state["after"]
        lower, upper = state["start"], state["end"] + "~"  # sort keys are `<time>#<id>`
        capped = False
        for _ in range(PAGES_PER_REQUEST):
            if at >= len(state["channels"]) or capped:
                break
            arn = state["channels"][at][0]
            items, last = self._decisions.query(
                channel_arn=arn, day=None, lower=lower, upper=upper, limit=ITEMS_PER_PAGE,
                start=after,
            )  # fmt: skip
            for item in items:
                if item.get("kind") != "frame":
                    continue
                if tally.frames >= MAX_FRAMES:
                    capped = True
                    break
                tally.count(
                    item,
                    draft.policy,
                    draft.watched,
                    name=names.get(arn, ""),
                    needs_content_types=draft.needs_content_types,
                )
            if capped:
                break
            if last:
                after = _start_key(last)
            else:
                at, after = at + 1, None
        if not capped and tally.frames >= MAX_FRAMES and at < len(state["channels"]):
            capped = True
        done = capped or at >= len(state["channels"])
        answer = tally.answer()
        lines = honesty(
            tally, min_confidence=self._min_confidence, lowest_threshold=draft.lowest_threshold
        )
        if capped:
            lines.append(
                f"The backtest stopped at {MAX_FRAMES:,} frames: the counts are of the newest "
                "frames of the channels read so far; a shorter window reads them all."
            )
        if not state["channels"]:
            lines.append(f"The draft would govern no channel the service knows: {draft.name}.")
        next_cursor = None
        if not done:
            next_cursor = self._save({**state, "at": at, "after": after, "tally": tally.state()})
        return {
            **answer,
            "honesty": lines,
            "cursor": next_cursor,
            "capped": capped,
            "window": {"from": state["start"], "to": state["end"]},
            "channels": {
                "counted": len(state["channels"]),
                "done": min(at, len(state["channels"])),
            },
        }

    def _state(self, cursor: str, draft: Draft) -> dict[str, Any]:
        if not isinstance(cursor, str) or not _CURSOR.match(cursor):
            raise BadRequest("cursor: not a backtest's cursor (send the one the last answer gave)")
        item = self._states.get({"pk": STATE_PK, "sk": cursor})
        now = self._clock()
        if item is None or parse_time(item["savedAt"]) + STATE_TTL < now:
            raise BadRequest("cursor: this backtest has expired: start it again without a cursor")
        state = json.loads(item["state"])
        if state["fingerprint"] != draft.fingerprint:
            raise BadRequest(
                "cursor: it continues a backtest of another name, draft or hours: send the same "
                "ones, or start again without a cursor"
            )
        return state

    def _save(self, state: Mapping[str, Any]) -> str:
        cursor = secrets.token_hex(16)
        now = self._clock()
        self._states.put(
            {
                "pk": STATE_PK,
                "sk": cursor,
                "state": json.dumps(state, separators=(",", ":")),
                "savedAt": iso_time(now),
                "expiresAt": int((now + STATE_TTL).timestamp()),
            }
        )
        return cursor


def _start_key(last: Mapping[str, Any]) -> dict[str, str]:
    return {"channelArn": str(last["channelArn"]), "sortKey": str(last["sortKey"])}
