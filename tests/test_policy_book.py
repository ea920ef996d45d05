"""Which policy applies to a channel (docs/policies.md): the resolution order, the watchlist
overlay, the apply time (a saved change reaches a warm container within POLICY_REFRESH_SECONDS,
and not before: the bound is real), and a failing table never failing a frame."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import CHANNEL_ARN, POLICIES_TABLE

from chalicelib.policies.book import STAGE_DEFAULT, Book, Head, PolicyBook
from chalicelib.policies.model import PolicyDocument
from chalicelib.policies.store import PolicyStore
from chalicelib.rules.policy import ALERT, CLEAN, Label

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
DEFAULT = PolicyDocument.parse({"alert": {"*": 80}, "autoStop": {"Explicit": 95}}, "default")
OTHER_ARN = CHANNEL_ARN.replace("AbCdEfGh1234", "ZyXwVuTs9876")


def doc(alert: float = 80, **applies) -> PolicyDocument:
    raw = {"alert": {"*": alert}}
    if applies:
        raw["appliesTo"] = applies
    return PolicyDocument.parse(raw, "p")


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Metrics:
    def __init__(self) -> None:
        self.counted: list[str] = []

    def add_metric(self, name: str, unit, value) -> None:
        self.counted.append(name)


def book_of(*heads: tuple[str, PolicyDocument], channels=None, watches=None) -> Book:
    return Book(
        heads={name: Head(name, 1, document) for name, document in heads},
        channels=channels or {},
        watches=watches or {},
    )


def resolver(clock=None, store=None, metrics=None) -> PolicyBook:
    return PolicyBook(store, DEFAULT, refresh_seconds=30, clock=clock or Clock(), metrics=metrics)


def test_the_policy_set_on_a_channel_wins_over_tags_names_and_the_default():
    book = book_of(
        ("kids", doc(50, tags={"moderation-policy": "kids"}, priority=1000)),
        ("lax", doc(95)),
        channels={CHANNEL_ARN: "lax"},
    )

    applied = resolver().resolve(
        CHANNEL_ARN, "kids-1", {"moderation-policy": "kids"}, T0, book=book
    )

    assert (applied.name, applied.why) == ("lax", "set on the channel")
    other = resolver().resolve(OTHER_ARN, "x", {"moderation-policy": "kids"}, T0, book=book)
    assert (other.name, other.why) == ("kids", "tag moderation-policy=kids (priority 1000)")


def test_higher_priority_first_then_a_tag_before_a_name_then_by_name():
    book = book_of(
        ("by-name", doc(60, namePatterns=["kids-*"], priority=10)),
        ("by-tag", doc(70, tags={"audience": "kids"}, priority=10)),
        ("low", doc(40, tags={"audience": "kids"}, priority=1)),
        ("also-by-name", doc(60, namePatterns=["kids-?"], priority=10)),
    )
    resolve = resolver().resolve

    assert resolve(CHANNEL_ARN, "kids-1", {"audience": "kids"}, T0, book=book).name == "by-tag"
    applied = resolve(CHANNEL_ARN, "kids-1", {}, T0, book=book)
    assert (applied.name, applied.why) == ("also-by-name", "name kids-? (priority 10)")
    assert resolve(CHANNEL_ARN, "KIDS-1", {}, T0, book=book).name == "default"  # case-sensitive
    unmatched = resolve(CHANNEL_ARN, "adults", {"audience": "adults"}, T0, book=book)
    assert (unmatched.name, unmatched.version, unmatched.why) == ("default", 0, STAGE_DEFAULT)
    assert unmatched.policy == DEFAULT.compile()


def test_a_channel_set_on_a_deleted_policy_falls_back_to_the_rule():
    book = book_of(("kids", doc(50, namePatterns=["kids-*"])), channels={CHANNEL_ARN: "gone"})

    assert resolver().resolve(CHANNEL_ARN, "kids-1", {}, T0, book=book).name == "kids"


names = st.sampled_from(["a", "b", "c", "d", "e"])
tag_sets = st.dictionaries(st.sampled_from(["k1", "k2"]), st.just("v1") | st.just("v2"), max_size=2)
channel_tags = st.fixed_dictionaries({"k1": st.just("v1")}, optional={"k2": st.just("v1")})
policies = st.dictionaries(
    names,
    st.tuples(
        tag_sets,
        st.lists(st.sampled_from(["kids-*", "*-1", "adults", "*"]), max_size=2),
        st.integers(0, 3),
    ),
    max_size=5,
)


@given(
    defined=policies,
    assigned=st.one_of(st.none(), names, st.just("default")),
    name=st.sampled_from(["kids-1", "adults", "other"]),
    tags=channel_tags | tag_sets,
)
@settings(max_examples=300)
def test_resolution_follows_the_documented_order(defined, assigned, name, tags):
    heads = []
    for policy, (wanted, patterns, priority) in defined.items():
        heads.append((policy, doc(50, tags=wanted, namePatterns=patterns, priority=priority)))
    book = book_of(*heads, channels={CHANNEL_ARN: assigned} if assigned else {})

    applied = resolver().resolve(CHANNEL_ARN, name, tags, T0, book=book)

    # The oracle, written from docs/policies.md: set on the channel; else every match,
    # (priority desc, tag before name, name asc); else the stage default.
    if assigned == "default" or assigned in defined:
        assert (applied.name, applied.why) == (assigned, "set on the channel")
        return
    import fnmatch

    def how(policy):
        wanted, patterns, priority = defined[policy]
        if wanted and all(tags.get(k) == v for k, v in wanted.items()):
            return (priority, 1)
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return (priority, 0)
        return None

    matching = [p for p in defined if how(p) is not None]
    if not matching:
        assert applied.name == "default"
        return
    best = max(how(p) for p in matching)
    expected = min(p for p in matching if how(p) == best)
    assert applied.name == expected
    assert applied.why.endswith(f"(priority {best[0]})")


def test_a_watchlisted_channel_gets_the_watchlist_policy_laid_over_it():
    watch = {"until": "2026-12-05T12:00:00.000Z", "reason": "stopped by ana"}
    lax = PolicyDocument.parse({"alert": {"*": 90}, "minFrameIntervalSeconds": 60}, "lax")
    book = book_of(("lax", lax), channels={CHANNEL_ARN: "lax"}, watches={CHANNEL_ARN: watch})
    frame = [Label("Alcohol", "", 1, 70.0)]

    applied = resolver().resolve(CHANNEL_ARN, "bar", {}, T0, book=book)
    later = resolver().resolve(CHANNEL_ARN, "bar", {}, T0 + timedelta(days=1), book=book)

    assert (applied.name, applied.watch) == ("lax", watch)
    assert (applied.frame_skipping, applied.min_interval) == (False, 0)
    assert applied.policy.evaluate(frame).decision == ALERT  # the stage's watchlist: 80 - 20
    assert later.watch is None and later.min_interval == 60
    assert later.policy.evaluate(frame).decision == CLEAN


def test_an_admins_watchlist_policy_replaces_the_stages():
    watch = {"until": "2026-12-05T12:00:00.000Z", "reason": "warned"}
    book = book_of(
        ("watchlist", PolicyDocument.parse({"alert": {"*": 30}, "watchHours": 6}, "watchlist")),
        watches={CHANNEL_ARN: watch},
    )

    applied = resolver().resolve(CHANNEL_ARN, "bar", {}, T0, book=book)

    assert applied.document.rules.alert == {"*": 30.0}
    assert resolver().watchlist(book).watch_hours == 6


# Through the table: the apply time, and failures


@pytest.fixture
def store(aws) -> PolicyStore:
    return PolicyStore(boto3.client("dynamodb"), POLICIES_TABLE)


def test_a_saved_change_decides_within_the_refresh_time_and_not_before(store):
    clock = Clock()
    book = resolver(clock, store)
    store.save("kids", doc(60), expected_version=0, by="ana", at=T0)
    store.assign(CHANNEL_ARN, "kids", by="ana", at=T0)
    assert book.resolve(CHANNEL_ARN, "c", {}, clock()).version == 1  # read at T0

    store.save("kids", doc(40), expected_version=1, by="ana", at=T0)
    clock.at = T0 + timedelta(seconds=29.9)
    cached = book.resolve(CHANNEL_ARN, "c", {}, clock())
    clock.at = T0 + timedelta(seconds=30)
    fresh = book.resolve(CHANNEL_ARN, "c", {}, clock())

    assert cached.version == 1  # the bound is real: the container keeps its book until then
    assert fresh.version == 2 and fresh.document.rules.alert == {"*": 40.0}


def test_a_failing_table_keeps_the_last_book_and_without_one_the_stage_default(store):
    clock, metrics = Clock(), Metrics()
    book = resolver(clock, store, metrics)
    store.save("kids", doc(60), expected_version=0, by="ana", at=T0)
    store.assign(CHANNEL_ARN, "kids", by="ana", at=T0)
    assert book.resolve(CHANNEL_ARN, "c", {}, clock()).name == "kids"
    boto3.client("dynamodb").delete_table(TableName=POLICIES_TABLE)

    clock.at += timedelta(seconds=31)
    kept = book.resolve(CHANNEL_ARN, "c", {}, clock())
    never_read = resolver(clock, store, metrics).resolve(CHANNEL_ARN, "c", {}, clock())

    assert kept.name == "kids"
    assert (never_read.name, never_read.why) == ("default", STAGE_DEFAULT)
    assert metrics.counted == ["PolicyBookStale", "PolicyBookStale"]


def test_a_stored_document_that_no_longer_validates_is_left_out(store):
    store.save("kids", doc(60, namePatterns=["c*"]), expected_version=0, by="ana", at=T0)
    boto3.client("dynamodb").update_item(
        TableName=POLICIES_TABLE,
        Key={"pk": {"S": "policy"}, "sk": {"S": "kids"}},
        UpdateExpression="SET #d.alert = :bad",
        ExpressionAttributeNames={"#d": "document"},
        ExpressionAttributeValues={":bad": {"M": {"Weaponz": {"N": "5"}}}},
    )

    assert resolver(Clock(), store).resolve(CHANNEL_ARN, "c", {}, T0).name == "default"
