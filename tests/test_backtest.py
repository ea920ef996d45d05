"""The backtest (docs/policies.md, "Backtest"): a draft recomputed over the decision log.

The property at its heart: for any frame, what the backtest recomputes from the frame's
record is what the live code decided of the same Rekognition answer — one implementation
(the draft's compiled `Policy.evaluate`), not two. The live path is run as it runs: the
answer parsed by `detect_moderation_labels` (a Stubber behind it), decided, recorded by
`decision_fields`, written to and read back from DynamoDB's wire format.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.core.detection import detect_moderation_labels
from chalicelib.core.dynamo import from_dynamo, to_dynamo
from chalicelib.frames.record import decision_fields
from chalicelib.policies.backtest import Tally, draft_verdict, why_not
from chalicelib.policies.defaults import overlay
from chalicelib.policies.model import PolicyDocument
from chalicelib.rules.taxonomy import PARENT, TOP_LEVEL, category_level

CHANNEL = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234"
NAMES = sorted([*TOP_LEVEL, *PARENT])

# --- strategies -------------------------------------------------------------------------

CONFIDENCES = st.one_of(
    st.floats(50, 100, allow_nan=False),
    st.sampled_from([50.0, 59.9995, 60.0, 60.0004, 79.99951, 80.0, 90.0, 100.0]),
)
THRESHOLDS = st.one_of(st.integers(0, 100).map(float), st.sampled_from([59.9995, 60.0005, 80.0]))
CATEGORIES = st.sampled_from(["*", *NAMES])


def rekognition_label(name: str, confidence: float) -> dict:
    parent = PARENT.get(name, "")
    return {
        "Name": name,
        "ParentName": parent,
        "TaxonomyLevel": category_level(name),
        "Confidence": confidence,
    }


ANSWERS = st.builds(
    lambda labels, kinds: {
        "ModerationLabels": [rekognition_label(n, c) for n, c in labels],
        "ModerationModelVersion": "7.0",
        "ContentTypes": [{"Name": k, "Confidence": c} for k, c in kinds],
    },
    st.lists(st.tuples(st.sampled_from(NAMES), CONFIDENCES), max_size=6, unique_by=lambda t: t[0]),
    st.lists(
        st.tuples(st.sampled_from(["Animated", "Illustrated"]), st.floats(0, 100)),
        max_size=2,
        unique_by=lambda t: t[0],
    ),
)
RULES = st.fixed_dictionaries(
    {"alert": st.dictionaries(CATEGORIES, THRESHOLDS, max_size=5)},
    optional={
        "autoStop": st.dictionaries(CATEGORIES, THRESHOLDS, max_size=4),
        "ignored": st.lists(st.sampled_from(NAMES), max_size=3, unique=True),
    },
)
DOCUMENTS = st.builds(
    lambda rules, kinds: {**rules, **({"contentTypes": kinds} if kinds else {})},
    RULES,
    st.dictionaries(st.sampled_from(["Animated", "Illustrated"]), RULES, max_size=2),
)


def live_record(answer: dict, policy, watchlisted: bool) -> dict:
    """What the live path records of a frame Rekognition answered `answer` about."""
    client = boto3.client("rekognition", region_name="us-west-2")
    with Stubber(client) as stub:
        stub.add_response("detect_moderation_labels", answer)
        detection = detect_moderation_labels(client, b"jpeg", 50.0)
    verdict = policy.evaluate(detection.labels, detection.content_types)
    item = {
        "channelArn": CHANNEL,
        "sortKey": "2026-11-21T10:00:12.000Z#d1",
        "kind": "frame",
        "decisionId": "d1",
        "recordingId": "Rec0AbCdEfGh",
        "frameTime": "2026-11-21T10:00:12.000Z",
        **decision_fields(verdict, detection, ""),
        **({"watchlisted": True} if watchlisted else {}),
    }
    return from_dynamo(to_dynamo(item)), verdict  # as DynamoDB keeps it


@settings(
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(answer=ANSWERS, raw=DOCUMENTS, watch=RULES, watchlisted=st.booleans())
def test_the_backtest_decides_each_recorded_frame_as_the_live_code_decided_it(
    answer, raw, watch, watchlisted
):
    draft = PolicyDocument.parse(raw, "kids")
    watched = overlay(draft, PolicyDocument.parse(watch, "watchlist"))
    live_policy = (watched if watchlisted else draft).compile()
    record, live = live_record(answer, live_policy, watchlisted)

    assert why_not(record) is None
    again = draft_verdict(record, draft.compile(), watched.compile())
    assert again.decision == live.decision
    assert again.top_label == live.top_label
    tally = Tally()
    assert tally.count(record, draft.compile(), watched.compile()) == live.decision
    assert tally.flips == {}  # recorded by the same policy: nothing flips


def test_a_label_at_a_threshold_decides_the_same_after_the_log_rounded_it():
    """Rekognition's confidences have more digits than the log keeps: decided as kept."""
    answer = {
        "ModerationLabels": [rekognition_label("Violence", 79.99951)],
        "ModerationModelVersion": "7.0",
    }
    policy = PolicyDocument.parse({"alert": {"Violence": 80}}).compile()

    record, live = live_record(answer, policy, False)

    assert live.decision == "alert" == draft_verdict(record, policy, policy).decision


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"decision": "clean", "skipped": True, "labels": []}, "skipped"),
        ({"decision": "sampled", "coveredBy": "d0"}, "sampled"),
        ({"decision": "unscannable"}, "unscannable"),
        ({"decision": "failed"}, "failed"),
        ({"decision": "superseded"}, "superseded"),
        ({"decision": "alert"}, "stale"),  # no labels kept
        ({"decision": "clean", "labels": []}, None),
    ],
)
def test_frames_that_cannot_be_recomputed_are_named(record, reason):
    assert why_not(record) == reason


def test_flips_incidents_and_stops_are_counted_per_recording_on_both_sides():
    strict = PolicyDocument.parse({"alert": {"*": 50}, "autoStop": {"Violence": 90}}).compile()

    def frame(i, recording, decision, confidence):
        return {
            "channelArn": CHANNEL,
            "kind": "frame",
            "decisionId": f"d{i}",
            "recordingId": recording,
            "frameTime": f"2026-11-21T10:00:{i:02d}.000Z",
            "decision": decision,
            "labels": [{"name": "Violence", "parent": "", "level": 1, "confidence": confidence}],
        }

    tally = Tally()
    for i, (recording, decision, confidence) in enumerate(
        [("r1", "clean", 60), ("r1", "clean", 70), ("r2", "alert", 95), ("r3", "clean", 40)]
    ):
        tally.count(frame(i, recording, decision, confidence), strict, strict, name="arena")
    answer = tally.answer()

    assert answer["frames"] == answer["recomputed"] == 4
    assert answer["flips"] == {"clean->alert": 2, "alert->auto-stop": 1}
    [channel] = answer["byChannel"]
    assert channel["incidents"] == {"current": 1, "draft": 2}  # r2; r1 and r2
    assert channel["autoStops"] == {"current": 0, "draft": 1}
    assert [e["flip"] for e in answer["examples"]] == ["clean->alert"] * 2 + ["alert->auto-stop"]
    assert Tally.from_state(tally.state()).answer() == answer  # kept between requests
