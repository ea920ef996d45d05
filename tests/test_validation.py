"""chalicelib/core/validation.py, the checks every route shares: whatever a client sends, a helper
returns a clean value or raises an ApiError (400, 413, 415), never anything else."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.api.requests import json_body
from chalicelib.core.cursors import (
    cursor_contents,
    cursor_query,
    decode_cursor,
    encode_cursor,
    part,
    read_cursor,
)
from chalicelib.core.errors import ApiError, BadRequest
from chalicelib.core.schema import Boolean, ChannelArn, Integer, ListOf, OneOf, Text, Time, fields
from chalicelib.core.times import EARLIEST, LATEST, time_window
from chalicelib.core.times import client_time as iso_time
from chalicelib.core.validation import clean_text, identifier, one_of_list, whole_number

FAST = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
NEAR_ISO = st.from_regex(
    r"\A[0-9٠-٩]{1,5}-[0-9]{1,2}-[0-9]{1,2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,12})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?\Z"
)


class FakeRequest:
    """What json_body reads of a Chalice request."""

    def __init__(self, body: bytes, content_type: str | None = "application/json") -> None:
        self.raw_body = body
        self.headers = {"content-type": content_type} if content_type else {}


@FAST
@given(st.one_of(ANY_TEXT, NEAR_ISO))
def test_iso_time_is_a_time_within_the_bounds_or_a_400(raw):
    try:
        value = iso_time(raw, "from")
    except BadRequest as error:
        assert error.message.startswith("from ")
        return
    assert value.tzinfo is UTC
    assert EARLIEST <= value <= LATEST
    assert raw.isascii()


@FAST
@given(
    st.datetimes(
        min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(None)
    ),
    st.integers(-(24 * 60 - 1), 24 * 60 - 1),
)
def test_iso_time_reads_what_isoformat_writes(moment, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    aware = moment.replace(tzinfo=zone)

    assert iso_time(aware.isoformat(), "at") == aware.astimezone(UTC)


BOUNDED_TIMES = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None),
    max_value=LATEST.replace(tzinfo=None),
    timezones=st.just(UTC),
)


@FAST
@given(
    st.one_of(st.none(), BOUNDED_TIMES),
    st.one_of(st.none(), BOUNDED_TIMES),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)),
    st.one_of(st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))),
)
def test_a_time_window_never_overflows_and_keeps_its_span(start, end, default_span, max_span):
    now = datetime(2026, 11, 21, tzinfo=UTC)
    try:
        low, high = time_window(start, end, now=now, default_span=default_span, max_span=max_span)
    except BadRequest:
        return
    assert low <= high
    assert max_span is None or high - low <= max_span


@FAST
@given(ANY_TEXT, st.booleans())
def test_clean_text_has_no_control_characters_nor_surrogates(value, multiline):
    try:
        text = clean_text(value, "note", max_chars=40, multiline=multiline)
    except BadRequest as error:
        assert error.message.startswith("note ")
        return
    text.encode("utf-8")  # no unpaired surrogate
    allowed = {"\n", "\r", "\t"} if multiline else set()
    assert all(unicodedata.category(c) != "Cc" or c in allowed for c in text)
    assert len(text) <= 40


@FAST
@given(st.one_of(ANY_TEXT, st.integers(-(10**30), 10**30).map(str)))
def test_whole_numbers_are_ascii_digits_in_range(raw):
    try:
        value = whole_number(raw, "limit", minimum=1, maximum=100)
    except BadRequest as error:
        assert error.message == "limit must be a whole number from 1 to 100"
        return
    assert raw.isascii() and raw.isdigit() and 1 <= value <= 100


@FAST
@given(
    st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
    st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", None]),
)
def test_a_body_is_an_object_or_a_clear_error(raw, content_type):
    try:
        body = json_body(FakeRequest(raw, content_type), required=False)
    except ApiError as error:
        assert error.status_code in (400, 413, 415)
        assert error.message
        return
    assert body is None or isinstance(body, dict)


def test_a_body_over_the_limit_is_413_and_nested_too_deep_is_400():
    with pytest.raises(ApiError) as too_large:
        json_body(FakeRequest(b" " * (16 * 1024 + 1)))
    with pytest.raises(BadRequest) as too_deep:
        json_body(FakeRequest(b'{"a": [[[[[[[[[]]]]]]]]]}'))

    assert too_large.value.status_code == 413
    assert "nested too deeply" in too_deep.value.message
    assert json_body(FakeRequest(b'{"a": [[[[[[[]]]]]]]}')) == {"a": [[[[[[[]]]]]]]}


@FAST
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    )
)
def test_a_cursor_holds_what_was_put_in_it(state):
    assert decode_cursor(encode_cursor(state)) == state


@FAST
@given(ANY_TEXT)
def test_any_other_cursor_is_a_400(raw):
    try:
        state = decode_cursor(raw)
    except BadRequest as error:
        assert error.message == "cursor is not one this API returned"
        return
    assert isinstance(state, dict)


# The parts a route's cursors hold, as history.py and queries.py declare theirs.
PARTS = {"v": part("version", int), "q": part("query", dict), "d": part("day", str, None)}
A_CURSOR = {"v": 2, "q": {"state": "open", "from": "x"}, "d": None}
JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


def refused(read) -> str:
    with pytest.raises(BadRequest) as error:
        read()
    assert error.value.status_code == 400
    assert error.value.message.startswith("cursor is not one this API returned ("), error.value
    return error.value.message


def test_a_cursor_with_exactly_its_parts_is_read_back():
    assert read_cursor(encode_cursor(A_CURSOR), PARTS) == A_CURSOR
    assert read_cursor(encode_cursor({**A_CURSOR, "d": "2026-11-21"}), PARTS)["d"] == "2026-11-21"


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ({**A_CURSOR, "admin": True}, "it holds admin"),
        ({**A_CURSOR, "limit": 10**9}, "it holds limit"),
        ({**A_CURSOR, "cursor": encode_cursor(A_CURSOR)}, "it holds cursor"),
        ({"v": 2, "q": {}}, "it lacks d"),
        ({"q": {}, "d": None, "x": 1}, "it holds x; it lacks v"),
        ({**A_CURSOR, "v": "2"}, "its version must be a whole number"),
        ({**A_CURSOR, "v": True}, "its version must be a whole number"),  # bool is no int here
        ({**A_CURSOR, "v": 2.0}, "its version must be a whole number"),
        ({**A_CURSOR, "q": ["state"]}, "its query must be an object"),
        ({**A_CURSOR, "d": 20261121}, "its day must be text or null"),
    ],
)
def test_a_cursor_with_other_parts_or_types_is_a_400(state, words):
    assert words in refused(lambda: read_cursor(encode_cursor(state), PARTS))


@FAST
@given(st.dictionaries(st.sampled_from(["v", "q", "d", "k", "admin"]), JSON_VALUES, max_size=5))
def test_only_a_state_of_its_parts_and_types_is_read(state):
    try:
        assert read_cursor(encode_cursor(state), PARTS) == state
    except BadRequest as error:
        assert error.message.startswith("cursor is not one this API returned")
        return
    assert set(state) == set(PARTS)
    assert type(state["v"]) is int and isinstance(state["q"], dict)
    assert state["d"] is None or isinstance(state["d"], str)


def test_a_cursors_query_holds_only_the_parameters_its_route_put_in_it():
    query = {"state": "open", "from": "x", "channelArn": "y"}
    assert cursor_query(query, ("state", "from"), ("channelArn", "category")) == query
    for params, words in [
        ({**query, "admin": "true"}, "it holds admin"),
        ({**query, "limit": str(10**9)}, "its query holds limit"),
        ({**query, "limit": "2"}, "its query holds limit"),  # the limit comes with each request
        ({"cursor": encode_cursor(A_CURSOR)}, "its query holds cursor"),
        ({"state": "open"}, "it lacks from"),
        ({**query, "from": ["x"]}, "its query's from must be a string"),
        ({**query, "from": "x\u0000"}, "control characters"),
        ({**query, "from": "x" * 3000}, "longer than 2048"),
        ("state=open", "its query must be an object"),
    ]:

        def read(params=params):
            with cursor_contents():
                cursor_query(params, ("state", "from"), ("channelArn", "category"))

        assert words in refused(read), params


SPEC = {
    "resolution": OneOf(("fixed", "false-positive")),
    "note": Text(500, multiline=True),
    "labels": ListOf(Text(64), max_items=5),
    "notify": Boolean(),
    "priority": Integer(1, 5),
    "at": Time(),
    "channelArn": ChannelArn(),
}


def test_declared_fields_are_parsed_by_type():
    body = {
        "resolution": "fixed",
        "note": " Weapon was a toy \n",
        "labels": ["toy", "toy", "prop"],
        "notify": False,
        "priority": 2,
        "at": "2026-11-21T10:00:00+01:00",
        "channelArn": "arn:aws:ivs:us-west-2:123456789012:channel/AbCd",
    }

    assert fields(body, SPEC, required=["resolution"]) == {
        **body,
        "note": "Weapon was a toy",
        "labels": ["toy", "prop"],
        "at": datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "resolution is required"),
        ({"resolution": "fixed", "extra": 1}, "unknown field(s): extra"),
        ({"resolution": "broken"}, "resolution must be one of fixed, false-positive"),
        ({"resolution": "fixed", "priority": True}, "priority must be a whole number from 1 to 5"),
        ({"resolution": "fixed", "priority": 2.0}, "priority must be a whole number"),
        ({"resolution": "fixed", "notify": 0}, "notify must be true or false"),
        ({"resolution": "fixed", "labels": "toy"}, "labels must be a list"),
        ({"resolution": "fixed", "labels": ["ok", 3]}, "labels[1] must be a string"),
        ({"resolution": "fixed", "labels": ["x"] * 6}, "labels has more than 5 items"),
        ({"resolution": "fixed", "labels": ["x" * 65]}, "labels[0] is longer than 64"),
        ({"resolution": "fixed", "note": "a\x00b"}, "note must not contain control characters"),
        ({"resolution": "fixed", "at": "2026-11-21T10:00:00"}, "at must say its time zone"),
    ],
)
def test_declared_fields_refuse_what_they_do_not_declare(body, message):
    with pytest.raises(BadRequest) as error:
        fields(body, SPEC, required=["resolution"])

    assert message in error.value.message


def test_comma_lists_are_values_of_the_enum_in_its_order():
    assert one_of_list("stop, frame,stop", "kind", ("frame", "stop", "incident")) == (
        "frame",
        "stop",
    )
    for raw in ("", "frame,", "Frame", "frame;stop"):
        with pytest.raises(BadRequest):
            one_of_list(raw, "kind", ("frame", "stop", "incident"))


def test_identifiers_are_short_ascii_words():
    assert identifier("5f1c0e8a9b2d4c6e8f0a1b2c", "id") == "5f1c0e8a9b2d4c6e8f0a1b2c"
    for raw in ("", "a" * 65, "../etc", "id\n", "١٢", "a b", None, 7):
        with pytest.raises(BadRequest):
            identifier(raw, "id")
