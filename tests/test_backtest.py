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


# --- through the API: POST /policies/backtest -------------------------------------------------

ARENA = {"alert": {"Violence": 60}, "appliesTo": {"namePatterns": ["arena-*"]}}


def frame_record(i: int, decision: str, confidence: float | None, **more) -> dict:
    """A frame of CHANNEL (arena-shooter) as the live path records it, minutes ago."""
    from datetime import UTC, datetime, timedelta

    from chalicelib.core.times import iso_time

    at = iso_time(datetime.now(UTC) - timedelta(minutes=30 - i))
    item = {
        "channelArn": CHANNEL,
        "sortKey": f"{at}#d{i:03d}",
        "kind": "frame",
        "decisionId": f"d{i:03d}",
        "recordingId": more.pop("recording", "Rec0AbCdEfGh"),
        "frameTime": at,
        "decision": decision,
        "contentTypes": [],
        "labels": []
        if confidence is None
        else [{"name": "Violence", "parent": "", "level": 1, "confidence": confidence}],
        **more,
    }
    return item


def seed_frames(items: list[dict]) -> None:
    from support import DECISIONS_TABLE

    client = boto3.client("dynamodb")
    for item in items:
        client.put_item(TableName=DECISIONS_TABLE, Item=to_dynamo(item))


def backtest(client, body: dict):
    import json

    from tokens import role_token

    headers = {"Authorization": f"Bearer {role_token('admin')}", "Content-Type": "application/json"}
    return client.http.post("/policies/backtest", headers=headers, body=json.dumps(body))


@pytest.fixture
def logged(client, jwks):
    """Frames of arena-shooter under the stage default (*=80): what a draft of 60 flips."""
    seed_frames(
        [
            frame_record(0, "clean", 70),
            frame_record(1, "clean", 65, recording="Rec1"),
            frame_record(2, "alert", 95),
            frame_record(3, "clean", 55),
            frame_record(4, "clean", None, skipped=True, reusedDecisionId="d003"),
            frame_record(5, "unscannable", None),
            frame_record(6, "superseded", None),
            frame_record(7, "alert", 85, watchlisted=True),
        ]
    )
    return client


def test_a_draft_backtested_over_the_log_says_what_would_flip_and_what_it_cannot_know(logged):
    response = backtest(logged, {"name": "arena", "draft": ARENA, "hours": 6})

    assert response.status_code == 200, response.body
    body = response.json_body
    assert (body["frames"], body["recomputed"]) == (8, 5)
    assert body["notRecomputable"] == {
        "skipped": 1,
        "sampled": 0,
        "unscannable": 1,
        "failed": 0,
        "stale": 0,
        "superseded": 1,
    }
    assert body["flips"] == {"clean->alert": 2}
    [channel] = body["byChannel"]
    assert (channel["channelArn"], channel["name"], channel["frames"]) == (
        CHANNEL,
        "arena-shooter",
        8,
    )
    assert channel["incidents"] == {"current": 1, "draft": 2}  # Rec1 would open one too
    assert channel["autoStops"] == {"current": 0, "draft": 0}
    assert {e["decisionId"] for e in body["examples"]} == {"d000", "d001"}
    assert body["examples"][0]["label"] == "Violence"
    assert (body["cursor"], body["capped"]) == (None, False)
    honesty = " ".join(body["honesty"])
    assert "1 frame was skipped as near-duplicates" in honesty
    assert "1 frame was decided under the watchlist" in honesty
    assert "estimated per recording" in honesty


def test_a_draft_governing_no_channel_says_so(logged):
    draft = {"alert": {"Violence": 60}, "appliesTo": {"namePatterns": ["kids-*"]}}

    body = backtest(logged, {"name": "kids", "draft": draft}).json_body

    assert (body["frames"], body["byChannel"]) == (0, [])
    assert any("would govern no channel" in line for line in body["honesty"])


def test_a_long_backtest_is_read_in_bounded_requests_with_a_cursor(logged, app_module, monkeypatch):
    from history_items import counted_queries

    from chalicelib.policies import backtest_run

    monkeypatch.setattr(backtest_run, "ITEMS_PER_PAGE", 1)  # one frame a page: 8 frames
    body = {"name": "arena", "draft": ARENA, "hours": 6}
    answers, cursor = [], None
    for _ in range(10):
        with counted_queries(app_module.aws_client("dynamodb")) as queries:
            answer = backtest(logged, {**body, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.body
        assert len(queries) <= 8
        answers.append(answer.json_body)
        cursor = answer.json_body["cursor"]
        if cursor is None:
            break

    assert len(answers) >= 2
    frames = [a["frames"] for a in answers]
    assert frames == sorted(frames) and frames[0] < 8  # totals so far, growing
    assert answers[-1]["frames"] == 8 and answers[-1]["flips"] == {"clean->alert": 2}
    again = backtest(logged, {**body, "cursor": answers[0]["cursor"]}).json_body
    assert again["frames"] == answers[1]["frames"]  # the same cursor: the same step


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"draft": {"alert": {"Violence": 50}}}, "cursor: it continues a backtest of another"),
        ({"hours": 5}, "cursor: it continues a backtest of another"),
        ({"cursor": "0" * 32}, "cursor: this backtest has expired"),
        ({"cursor": "not-ours"}, "cursor: not a backtest's cursor"),
    ],
)
def test_a_cursor_continues_only_its_own_backtest(logged, monkeypatch, change, words):
    from chalicelib.policies import backtest_run

    monkeypatch.setattr(backtest_run, "ITEMS_PER_PAGE", 1)
    body = {"name": "arena", "draft": ARENA, "hours": 6}
    cursor = backtest(logged, body).json_body["cursor"]

    response = backtest(logged, {**body, "cursor": cursor, **change})

    assert response.status_code == 400
    assert response.json_body["Message"].startswith(words), response.json_body


def test_a_backtest_stops_at_its_cap(logged, monkeypatch):
    from chalicelib.policies import backtest_run

    monkeypatch.setattr(backtest_run, "MAX_FRAMES", 3)

    body = backtest(logged, {"name": "arena", "draft": ARENA}).json_body

    assert (body["frames"], body["capped"], body["cursor"]) == (3, True, None)
    assert any("stopped at 3 frames" in line for line in body["honesty"])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "arena", "draft": {"alert": {"Weaponz": 5}}}, "alert.Weaponz: "),
        ({"name": "arena", "draft": ARENA, "hours": 169}, "hours must be"),
        ({"name": "arena"}, "draft is required"),
        ({"name": "watchlist", "draft": {"alert": {}}}, "name: the watchlist policy is laid"),
        ({"name": "default", "draft": {"alert": {}}}, None),  # the stage's own, as a draft
    ],
)
def test_a_backtest_refused_names_the_field(logged, body, words):
    response = backtest(logged, body)

    if words is None:
        assert response.status_code == 200, response.body
    else:
        assert response.status_code == 400
        assert response.json_body["Message"].startswith(words), response.json_body


# --- the live moderator path, then the backtest of the same policy ------------------------


def test_frames_moderated_live_backtest_to_the_same_decisions_and_a_stricter_draft_flips(
    client, jwks, rekognition
):
    """Frames decided by the thumbnail handler (Rekognition stubbed: confidences with more
    digits than the log keeps, content types, a watchlisted channel), then backtested with
    the policy that decided them: every frame recomputes to its live decision."""
    from datetime import UTC, datetime, timedelta

    from support import CHANNEL_ARN, POLICIES_TABLE, decisions, detect_params, thumbnail_key
    from support import written as write

    from chalicelib import dependencies
    from chalicelib.policies.store import PolicyStore

    raw = {
        "alert": {"Violence": 80},
        "contentTypes": {"Animated": {"alert": {"Violence": 70}}},
        "frameSkipping": False,
    }
    store = PolicyStore(boto3.client("dynamodb"), POLICIES_TABLE)
    now = datetime.now(UTC)
    store.save("arena", PolicyDocument.parse(raw, "arena"), expected_version=0, by="ana", at=now)
    store.assign(CHANNEL_ARN, "arena", by="ana", at=now)
    answers = [
        ([("Violence", 79.99951)], []),
        ([("Violence", 75.5123)], [("Animated", 88.1234)]),
        ([("Violence", 61.0)], []),
        ([("Violence", 65.25)], []),  # watchlisted by then: the watchlist's 60 decides
    ]
    for n, (labels, kinds) in enumerate(answers):
        if n == 3:
            store.put_watch(CHANNEL_ARN, hours=1, reason="warned", by="tom", at=now)
            dependencies.policy_book().invalidate()
        response = {
            "ModerationLabels": [rekognition_label(name, c) for name, c in labels],
            "ModerationModelVersion": "7.0",
            "ContentTypes": [{"Name": k, "Confidence": c} for k, c in kinds],
        }
        rekognition.add_response("detect_moderation_labels", response, detect_params())
        at = now - timedelta(minutes=10 - n)
        event = write(
            thumbnail_key(n + 1), sequencer=f"00{n:04d}", time=at.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        client.lambda_.invoke("moderate_thumbnail", event)
    live = {item["decisionId"]: item["decision"] for item in decisions() if item["kind"] == "frame"}
    assert sorted(live.values()) == ["alert", "alert", "alert", "clean"]
    assert [i.get("watchlisted") for i in decisions() if i.get("policy") == "arena"].count(
        True
    ) == 1

    same = backtest(client, {"name": "arena", "draft": raw, "hours": 1}).json_body
    stricter = {**raw, "alert": {"Violence": 60}}
    flipped = backtest(client, {"name": "arena", "draft": stricter, "hours": 1}).json_body

    assert (same["frames"], same["recomputed"], same["flips"]) == (4, 4, {})
    assert flipped["flips"] == {"clean->alert": 1}
    [example] = flipped["examples"]
    assert live[example["decisionId"]] == "clean" and example["confidence"] == 61.0
