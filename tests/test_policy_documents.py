"""Policy documents (docs/policies.md): validation naming the field, compile, diff, the stage's
default and watchlist policies, and the watchlist overlay being the stricter of both."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import TEST_ENV as ENV

from chalicelib.core.config import Settings
from chalicelib.policies.defaults import default_watchlist, overlay, stage_default
from chalicelib.policies.model import PolicyDocument, PolicyInvalid, check_name, diff
from chalicelib.rules.policy import ALERT, AUTO_STOP, CLEAN, Label, Policy, parse_thresholds
from chalicelib.rules.taxonomy import PARENT, TOP_LEVEL, category_level

KIDS = {
    "description": "Children's channels: stricter on everything, stops on nudity",
    "alert": {"*": 60, "Weapons": 50},
    "autoStop": {"Explicit": 80, "Graphic Violence": 90},
    "ignored": ["Gambling"],
    "contentTypes": {
        "Animated": {"alert": {"Violence": 95}, "autoStop": {}, "ignored": ["Weapons"]}
    },
    "frameSkipping": True,
    "minFrameIntervalSeconds": 0,
    "chat": {"toxicity": {"*": 50, "PROFANITY": 30}},
    "appliesTo": {
        "tags": {"moderation-policy": "kids"},
        "namePatterns": ["kids-*"],
        "priority": 10,
    },
}


def label(name: str, confidence: float) -> Label:
    return Label(name, PARENT.get(name, ""), category_level(name), confidence)


def test_the_contracts_example_is_valid_and_round_trips():
    document = PolicyDocument.parse(KIDS, "kids")

    assert PolicyDocument.parse(document.to_json(), "kids") == document
    assert document.applies_to.priority == 10
    assert document.chat_toxicity == {"*": 50.0, "PROFANITY": 30.0}
    policy = document.compile()
    assert policy.evaluate([label("Explicit", 85)]).decision == AUTO_STOP
    assert policy.evaluate([label("Weapons", 55)]).decision == ALERT
    assert policy.evaluate([label("Weapons", 99)], [("Animated", 90)]).decision == CLEAN


def test_only_alert_is_required_and_the_rest_defaults():
    document = PolicyDocument.parse({"alert": {"*": 80}}, "lax")

    assert document.frame_skipping is True
    assert document.min_frame_interval_seconds == 0
    assert document.chat_toxicity is None and document.applies_to is None
    assert document.compile() == Policy()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alert": {"Weaponz": 50}}, "alert.Weaponz: unknown category 'Weaponz'"),
        (
            {"contentTypes": {"Animated": {"autoStop": {"Violence": 120}}}},
            "contentTypes.Animated.autoStop.Violence: confidence 120 is outside 0-100",
        ),
        ({"minFrameIntervalSeconds": 301}, "minFrameIntervalSeconds: must be an integer from 0"),
        ({"minFrameIntervalSeconds": True}, "minFrameIntervalSeconds: must be an integer"),
        ({"alert": {"*": "80"}}, "alert.\\*: confidence must be a number"),
        ({"alert": [1]}, "alert: must be an object"),
        ({"ignored": ["Gambling", "*"]}, "ignored.1: unknown category"),
        ({"ignored": "Gambling"}, "ignored: must be a list"),
        ({"contentTypes": {"Cartoon": {}}}, "contentTypes.Cartoon: not a content type"),
        ({"contentTypes": {"Animated": {"alerts": {}}}}, "contentTypes.Animated.alerts: unknown"),
        ({"frameSkipping": "yes"}, "frameSkipping: must be true or false"),
        ({"chat": {"toxicity": {"RUDE": 50}}}, "chat.toxicity.RUDE: not a Comprehend label"),
        ({"chat": {"blocked": []}}, "chat.blocked: unknown field"),
        ({"appliesTo": {"priority": 1001}}, "appliesTo.priority: must be an integer from 0 to"),
        ({"appliesTo": {"tags": {"k": 1}}}, "appliesTo.tags.k: must be an IVS tag"),
        ({"appliesTo": {"namePatterns": ["a"] * 11}}, "appliesTo.namePatterns: must be a list"),
        ({"appliesTo": {"names": []}}, "appliesTo.names: unknown field"),
        ({"description": "x" * 501}, "description: is longer than 500"),
        ({"description": "a\x00b"}, "description: must not contain control characters"),
        ({"watchHours": 24}, "watchHours: only the watchlist policy has it"),
        ({"alert": {f"x{i}": 1 for i in range(61)}}, "alert: at most 60 categories"),
        ({"thresholds": {}}, "thresholds: unknown field"),
    ],
)
def test_an_invalid_document_is_refused_naming_the_field(change, message):
    with pytest.raises(PolicyInvalid, match=f"^{message}") as refused:
        PolicyDocument.parse({**KIDS, **change}, "kids")

    assert refused.value.status_code == 400
    assert str(refused.value).startswith(refused.value.field + ": ")


def test_a_document_without_alert_or_not_an_object_is_refused():
    with pytest.raises(PolicyInvalid, match=r"^alert: is required"):
        PolicyDocument.parse({"autoStop": {}}, "kids")
    with pytest.raises(PolicyInvalid, match=r"^document: must be a JSON object"):
        PolicyDocument.parse([], "kids")


def test_the_watchlist_policy_has_watch_hours_and_no_applies_to():
    assert PolicyDocument.parse({"alert": {"*": 50}}, "watchlist").watch_hours == 24
    assert PolicyDocument.parse({"alert": {}, "watchHours": 48}, "watchlist").watch_hours == 48
    with pytest.raises(PolicyInvalid, match=r"^watchHours: must be an integer from 1 to 720"):
        PolicyDocument.parse({"alert": {}, "watchHours": 721}, "watchlist")
    with pytest.raises(PolicyInvalid, match=r"^appliesTo: "):
        PolicyDocument.parse({"alert": {}, "appliesTo": {}}, "watchlist")


@pytest.mark.parametrize("name", ["", "Kids", "-kids", "a" * 41, "kids_1", "default", 3])
def test_bad_names_are_refused(name):
    with pytest.raises(PolicyInvalid, match=r"^name: "):
        check_name(name)


def test_diff_lists_changed_fields_as_paths():
    after = {**KIDS, "alert": {"*": 60, "Weapons": 40}, "frameSkipping": False}
    del after["chat"]

    assert diff(KIDS, after) == [
        {"path": "alert.Weapons", "before": 50, "after": 40},
        {"path": "chat", "before": KIDS["chat"], "after": None},
        {"path": "frameSkipping", "before": True, "after": False},
    ]
    assert diff(None, {"alert": {"*": 80}}) == [
        {"path": "alert", "before": None, "after": {"*": 80}}
    ]
    assert diff(KIDS, KIDS) == []


def test_the_stage_default_is_built_from_the_stages_variables():
    settings = Settings.from_env(
        {
            **ENV,
            "ALERT_THRESHOLDS": "*=70; Weapons=60",
            "AUTO_STOP_THRESHOLDS": "Explicit=95",
            "IGNORED_CATEGORIES": "Gambling",
            "FRAME_SKIP_ENABLED": "false",
        }
    )

    default = stage_default(settings)
    watch = default_watchlist(default)

    assert default.compile() == settings.policy
    assert default.frame_skipping is False
    assert watch.rules.alert == {"*": 50.0, "Weapons": 40.0}
    assert watch.rules.auto_stop == {"Explicit": 75.0}
    assert watch.watch_hours == 24 and watch.frame_skipping is False
    assert PolicyDocument.parse(watch.to_json(), "watchlist") == watch


def test_overlay_takes_the_lower_threshold_and_ignores_only_what_both_ignore():
    base = PolicyDocument.parse(
        {
            "alert": {"*": 80, "Weapons": 50},
            "ignored": ["Violence", "Gambling"],
            "minFrameIntervalSeconds": 60,
        },
        "base",
    )
    watch = PolicyDocument.parse({"alert": {"*": 60}, "ignored": ["Weapons"]}, "watchlist")

    merged = overlay(base, watch)

    assert merged.rules.alert == {"*": 60.0, "Weapons": 50.0}
    assert merged.rules.ignored == ("Weapons",)
    assert (merged.frame_skipping, merged.min_frame_interval_seconds) == (False, 0)
    policy = merged.compile()
    assert policy.evaluate([label("Self-Harm", 65)]).decision == ALERT  # base ignored Violence
    assert policy.evaluate([label("Weapons", 99)]).decision == CLEAN  # both ignore Weapons


SEVERITY = {CLEAN: 0, ALERT: 1, AUTO_STOP: 2}
categories = st.sampled_from((*TOP_LEVEL, *PARENT, "*"))
confidence = st.integers(0, 100)
maps = st.dictionaries(categories, confidence, max_size=5)
documents = st.builds(
    lambda alert, stop, ignored, animated: PolicyDocument.parse(
        {
            "alert": alert,
            "autoStop": stop,
            "ignored": sorted(ignored),
            "contentTypes": {"Animated": {"alert": animated}},
        },
        "p",
    ),
    maps,
    maps,
    st.frozensets(st.sampled_from((*TOP_LEVEL, *PARENT)), max_size=3),
    maps,
)
answers = st.lists(
    st.builds(label, st.sampled_from((*TOP_LEVEL, *PARENT)), st.integers(0, 100)), max_size=8
)
kinds = st.lists(st.tuples(st.just("Animated"), st.sampled_from((40, 90))), max_size=1)


@given(base=documents, watch=documents, labels=answers, content=kinds)
def test_a_watchlisted_channel_is_decided_at_least_as_strictly_as_by_either_policy(
    base, watch, labels, content
):
    merged = overlay(base, watch).compile()

    decided = SEVERITY[merged.evaluate(labels, content).decision]

    assert decided >= SEVERITY[base.compile().evaluate(labels, content).decision]
    assert decided >= SEVERITY[watch.compile().evaluate(labels, content).decision]


def test_parse_thresholds_of_the_stage_accept_deeper_levels():
    assert parse_thresholds("Graphic Violence=90").by_category == {"Graphic Violence": 90.0}
