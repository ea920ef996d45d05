"""The policy book: what a function knows of the policies, and which one applies to a channel.

A function keeps the book (every policy's head, every channel assignment, the watchlist:
three Queries, paged) for POLICY_REFRESH_SECONDS, then reads it again on the next frame: a
saved change decides every frame received after at most that long (docs/policies.md, "Apply
time"; tests/test_policy_book.py measures it).

**A frame never fails for want of a policy.** When reading the book fails, the last book read
stays in use (logged, metric `PolicyBookStale`) and the read is tried again after
RETRY_SECONDS; a function that never read one decides by the stage default (`default`, from
its variables). A stored document that no longer validates is left out (logged) as if it did
not exist. So the worst a policies table outage does is to keep deciding as before it.

`resolve(channel_arn, name, tags, now)` is the contract's order: the policy set on the
channel; else the policies whose `appliesTo` matches (highest priority first, a tag match
before a name match, then by name); else the stage default. A watchlisted channel then gets
the `watchlist` policy laid over it (`defaults.overlay`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.config import Settings
from chalicelib.policies.assignments import watch_active
from chalicelib.policies.defaults import default_watchlist, overlay, stage_default
from chalicelib.policies.model import DEFAULT, WATCHLIST, PolicyDocument, PolicyInvalid
from chalicelib.policies.store import PolicyStore
from chalicelib.rules.policy import Policy

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5  # after a failed read, the last book serves this long before a new try
STAGE_DEFAULT = "the stage default"
SET_ON_CHANNEL = "set on the channel"


@dataclass(frozen=True)
class Applied:
    """The policy that decides a channel's frames now, and why."""

    name: str
    version: int
    why: str
    policy: Policy  # the compiled rules (the watchlist overlay included)
    watch: Mapping[str, Any] | None  # {until, reason, ...} when the channel is watchlisted
    frame_skipping: bool
    min_interval: int  # minFrameIntervalSeconds (0: every frame is analysed)
    chat_toxicity: Mapping[str, float] | None  # None: the stage's CHAT_TOXICITY_THRESHOLDS
    document: PolicyDocument  # the effective document


@dataclass(frozen=True)
class Head:
    name: str
    version: int
    document: PolicyDocument


@dataclass(frozen=True)
class Book:
    """One read of the policies table."""

    heads: Mapping[str, Head] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)  # channel ARN -> policy name
    watches: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # ARN -> entry

    def with_draft(self, name: str, document: PolicyDocument) -> Book:
        """This book with `document` saved as `name` (a backtest's "if it were saved")."""
        version = self.heads[name].version + 1 if name in self.heads else 1
        return replace(self, heads={**self.heads, name: Head(name, version, document)})


class PolicyBook:
    def __init__(
        self,
        store: PolicyStore,
        default: PolicyDocument,
        *,
        refresh_seconds: int,
        clock: Callable[[], datetime],
        metrics=None,
    ) -> None:
        self.store = store
        self.default = default
        self.refresh = timedelta(seconds=refresh_seconds)
        self._clock = clock
        self._metrics = metrics
        self._book: Book | None = None
        self._next_read: datetime | None = None
        self._lock = threading.Lock()

    @classmethod
    def of_stage(cls, store: PolicyStore, settings: Settings, *, clock, metrics=None) -> PolicyBook:
        """The stage's book: its default from its variables, kept POLICY_REFRESH_SECONDS."""
        return cls(
            store,
            stage_default(settings),
            refresh_seconds=settings.policy_refresh_seconds,
            clock=clock,
            metrics=metrics,
        )

    def book(self) -> Book:
        """The book, read again once it is older than POLICY_REFRESH_SECONDS."""
        now = self._clock()
        with self._lock:
            if self._next_read is None or now >= self._next_read:
                self._read(now)
            return self._book or Book()

    def invalidate(self) -> None:
        """Read the book again on the next call (after this container saved a change)."""
        with self._lock:
            self._next_read = None

    def _read(self, now: datetime) -> None:
        try:
            self._book = Book(
                heads=_heads(self.store.heads()),
                channels={a["channelArn"]: a["policy"] for a in self.store.assignments()},
                watches={w["channelArn"]: w for w in self.store.watches(now)},
            )
            self._next_read = now + self.refresh
        except (ClientError, BotoCoreError) as error:
            fallback = "the last book read" if self._book else "the stage default"
            logger.error("policy book not read: %s decides", fallback, extra={"error": str(error)})
            if self._metrics is not None:
                self._metrics.add_metric(name="PolicyBookStale", unit="Count", value=1)
            self._next_read = now + min(self.refresh, timedelta(seconds=RETRY_SECONDS))

    def watchlist(self, book: Book | None = None) -> PolicyDocument:
        """The `watchlist` policy: the one an admin saved, else the stage's."""
        head = (book or self.book()).heads.get(WATCHLIST)
        return head.document if head else default_watchlist(self.default)

    def resolve(
        self,
        channel_arn: str,
        name: str,
        tags: Mapping[str, str],
        now: datetime,
        *,
        book: Book | None = None,
    ) -> Applied:
        """The policy that applies to this channel now (the module's docstring says how)."""
        book = book or self.book()
        head, why = self._base(book, channel_arn, name, tags)
        document = head.document
        watch = book.watches.get(channel_arn)
        if not watch_active(watch, now):
            watch = None
        else:
            document = overlay(document, self.watchlist(book))
        return Applied(
            name=head.name,
            version=head.version,
            why=why,
            policy=document.compile(),
            watch=watch,
            frame_skipping=document.frame_skipping,
            min_interval=document.min_frame_interval_seconds,
            chat_toxicity=document.chat_toxicity,
            document=document,
        )

    def _base(
        self, book: Book, channel_arn: str, name: str, tags: Mapping[str, str]
    ) -> tuple[Head, str]:
        default = Head(DEFAULT, 0, self.default)
        assigned = book.channels.get(channel_arn)
        if assigned == DEFAULT:
            return default, SET_ON_CHANNEL
        if assigned in book.heads:
            return book.heads[assigned], SET_ON_CHANNEL
        matches = []
        for head in book.heads.values():
            applies = head.document.applies_to
            why = applies.match(name, tags) if applies and head.name != WATCHLIST else None
            if why is not None:
                rank = (-applies.priority, not why.startswith("tag "), head.name)
                matches.append((rank, head, f"{why} (priority {applies.priority})"))
        if matches:
            _, head, why = min(matches, key=lambda match: match[0])
            return head, why
        return default, STAGE_DEFAULT


def _heads(items: list[dict[str, Any]]) -> dict[str, Head]:
    heads = {}
    for item in items:
        try:
            document = PolicyDocument.parse(item["document"], item["name"])
        except (PolicyInvalid, ValueError, KeyError, TypeError) as error:
            logger.error(
                "stored policy left out", extra={"policy": item.get("sk"), "error": str(error)}
            )
            continue
        heads[item["name"]] = Head(item["name"], int(item["version"]), document)
    return heads
