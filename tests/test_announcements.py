"""STREAM_MODERATION schema version 2: strings only, never over 1 KB, whatever the content."""

from __future__ import annotations

import json

from chalicelib.room.announcements import (
    FRAMES_FAILED,
    INCIDENT_OPENED,
    MAX_ATTRIBUTES_BYTES,
    attributes_size,
    channel_event,
    incident_event,
)
from hypothesis import given, settings
from hypothesis import strategies as st

CHANNEL_ARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234"
AT = "2026-11-22T10:00:12.000Z"
INCIDENT = {
    "incidentId": "4f0df78fb85ef34ceff88692",
    "version": 3,
    "channelArn": CHANNEL_ARN,
    "channelName": "arena-shooter",
    "sessionId": "Rec0AbCdEfGh",
    "state": "open",
    "severity": "high",
    "topLabel": "Weapon Violence",
    "topCategory": "Violence",
    "topConfidence": 96.4,
    "frameCount": 12,
    "openedAt": AT,
    "firstFrameTime": AT,
    "lastFrameTime": AT,
    "latestFrameKey": (
        "ivs/v1/123456789012/AbCdEfGh1234/2026/11/21/9/58/Rec0AbCdEfGh/media/thumbnails/thumb12.jpg"
    ),
    "categories": {
        "Violence": {"label": "Weapon Violence", "confidence": 96.4},
        "Drugs & Tobacco": {"label": "Smoking", "confidence": 81.0},
    },
    "contentTypes": ["Animated"],
}
# Identifying fields: never shortened nor dropped.
CORE = ("schemaVersion", "type", "eventTime", "incidentId", "incidentVersion", "channelArn")

# An IVS channel ARN is at most 128 characters (the IVS API model); keys parse to that.
long_arns = st.text(alphabet="abcdefABCDEF0123456789-", min_size=1, max_size=84).map(
    lambda channel_id: f"arn:aws:ivs:us-west-2:123456789012:channel/{channel_id}"
)
free_text = st.text(max_size=1500)
categories = st.dictionaries(
    free_text,
    st.fixed_dictionaries({"label": free_text, "confidence": st.floats(0, 100, allow_nan=False)}),
    max_size=12,
)


def test_a_typical_incident_event_keeps_every_field():
    attributes = incident_event(INCIDENT_OPENED, INCIDENT, at=AT, actor="maria", note="seen")

    assert attributes["schemaVersion"] == "2"
    assert attributes["type"] == "incident-opened"
    assert attributes["incidentVersion"] == "3"
    assert attributes["channelName"] == "arena-shooter"
    assert attributes["frameCount"] == "12"
    assert attributes["actor"] == "maria"
    assert attributes["note"] == "seen"
    assert json.loads(attributes["categories"]) == [
        ["Violence", "Weapon Violence", 96.4],
        ["Drugs & Tobacco", "Smoking", 81.0],
    ]
    assert attributes_size(attributes) <= MAX_ATTRIBUTES_BYTES


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    arn=long_arns,
    name=free_text,
    top=free_text,
    note=free_text,
    actor=st.text(max_size=200),
    found=categories,
    key=free_text,
    kinds=st.lists(free_text, max_size=5),
)
def test_any_incident_fits_in_one_kilobyte_of_strings(
    arn, name, top, note, actor, found, key, kinds
):
    incident = {
        **INCIDENT,
        "channelArn": arn,
        "channelName": name,
        "topLabel": top,
        "categories": found,
        "latestFrameKey": key,
        "contentTypes": kinds,
    }

    attributes = incident_event(INCIDENT_OPENED, incident, at=AT, actor=actor, note=note)

    assert attributes_size(attributes) <= MAX_ATTRIBUTES_BYTES
    assert all(isinstance(v, str) for v in attributes.values())
    assert attributes["channelArn"] == arn
    assert all(name in attributes for name in CORE)
    attributes["categories"] = attributes.get("categories", "[]")
    kept = json.loads(attributes["categories"])  # whatever is kept is still valid JSON
    assert len(kept) <= len(found)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(arn=long_arns, name=free_text, error=st.text(max_size=5000), key=free_text)
def test_any_failure_notice_fits(arn, name, error, key):
    attributes = channel_event(
        FRAMES_FAILED, arn, at=AT, channel_name=name, error=error, latestFrameKey=key, attempts=3
    )

    assert attributes_size(attributes) <= MAX_ATTRIBUTES_BYTES
    assert attributes["channelArn"] == arn
    assert attributes["type"] == "frames-failed"


def test_a_lone_surrogate_is_replaced_not_sent():
    attributes = incident_event(INCIDENT_OPENED, INCIDENT, at=AT, note="bad \ud800 text")

    assert attributes["note"].encode("utf-8") == b"bad ? text"  # SendEvent takes UTF-8
