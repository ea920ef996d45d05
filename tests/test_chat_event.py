"""The STREAM_MODERATION attributes: schema version 1, strings only, never over 1 KB."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.chat import MAX_ATTRIBUTES_BYTES, attributes_size, event_attributes
from chalicelib.policy import Label

FIELDS = {
    "decisionId": "5f1c0e8a9b2d4c6e8f0a1b2c",
    "decision": "alert",
    "action": "none",
    "streamKeysRevoked": "0",
    "channelArn": "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234",
    "recordingId": "Rec0AbCdEfGh",
    "thumbnailKey": (
        "ivs/v1/123456789012/AbCdEfGh1234/2026/11/21/9/58/Rec0AbCdEfGh/media/thumbnails/thumb12.jpg"
    ),
    "frameTime": "2026-11-21T10:00:12.000Z",
    "topLabel": "Graphic Violence",
    "topCategory": "Violence",
    "topConfidence": "96.40",
    "modelVersion": "7.0",
}

labels = st.builds(
    Label,
    name=st.text(min_size=1, max_size=300),
    parent=st.text(max_size=300),
    level=st.integers(min_value=1, max_value=3),
    confidence=st.floats(min_value=0, max_value=100, allow_nan=False),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(labels, max_size=60), st.text(max_size=2000), st.text(max_size=400))
def test_any_labels_fit_in_one_kilobyte_of_string_attributes(label_list, top_label, top_category):
    attributes = event_attributes(
        {**FIELDS, "topLabel": top_label, "topCategory": top_category}, label_list
    )

    assert attributes_size(attributes) <= MAX_ATTRIBUTES_BYTES
    assert all(isinstance(v, str) for v in attributes.values())
    # The fields a moderator acts on are never dropped, only the label list is trimmed
    for name in ("channelArn", "decisionId", "decision", "frameTime", "topConfidence"):
        assert attributes[name] == FIELDS[name]
    kept = json.loads(attributes["labels"])
    assert attributes["labelCount"] == str(len(label_list))
    assert len(kept) <= len(label_list)
    # Strongest labels are the ones kept
    strongest = sorted(label_list, key=lambda label: -label.confidence)
    if kept:
        assert kept[0][2] == round(strongest[0].confidence, 2)


def test_a_typical_frame_keeps_every_label():
    found = [
        Label("Violence", "", 1, 96.4),
        Label("Graphic Violence", "Violence", 2, 96.4),
        Label("Weapon Violence", "Graphic Violence", 3, 95.1),
    ]

    attributes = event_attributes(FIELDS, found)

    assert json.loads(attributes["labels"]) == [
        ["Graphic Violence", "Violence", 96.4],
        ["Violence", "", 96.4],
        ["Weapon Violence", "Graphic Violence", 95.1],
    ]
    assert attributes["schemaVersion"] == "1"


def test_many_labels_are_trimmed_weakest_first():
    found = [Label(f"Label number {i}", "Violence", 2, 50 + i * 0.5) for i in range(60)]

    attributes = event_attributes(FIELDS, found)

    kept = json.loads(attributes["labels"])
    assert 0 < len(kept) < 60
    assert attributes["labelCount"] == "60"
    assert [name for name, _, _ in kept] == [
        f"Label number {i}" for i in range(59, 59 - len(kept), -1)
    ]
    assert attributes_size(attributes) <= MAX_ATTRIBUTES_BYTES


def test_multibyte_text_is_measured_in_bytes():
    top = "暴力" * 400  # 2,400 bytes of UTF-8

    attributes = event_attributes({**FIELDS, "topLabel": top}, [])

    assert attributes_size(attributes) <= MAX_ATTRIBUTES_BYTES
    assert attributes["topLabel"].endswith("…")
    assert attributes["topLabel"].startswith("暴力")
