"""The policy's rules across taxonomy levels (docs/policies.md, "the most specific rule wins"),
content-type overlays, and the proof that a policy with L1 rules only decides as it always did."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core.detection import ContentType
from chalicelib.rules.policy import (
    ALERT,
    ANY_CATEGORY,
    AUTO_STOP,
    CLEAN,
    Label,
    Overlay,
    Policy,
    PolicyError,
    Thresholds,
    Verdict,
    parse_categories,
    parse_thresholds,
)
from chalicelib.rules.taxonomy import (
    PARENT,
    TOP_LEVEL,
    category_level,
    category_path,
    top_level_category,
)


def label(name: str, confidence: float) -> Label:
    """A label as Rekognition returns it: with its parent and level from the taxonomy."""
    return Label(name, PARENT.get(name, ""), category_level(name), confidence)


def test_a_label_path_runs_from_the_label_up_to_its_l1_category():
    assert category_path("Weapon Violence") == ("Weapon Violence", "Graphic Violence", "Violence")
    assert category_path("Violence") == ("Violence",)
    assert category_path("Brand New", "Weapons") == ("Brand New", "Weapons", "Violence")
    assert category_path("Brand New", "Also New") == ("Brand New", "Also New")
    assert [category_level(n) for n in ("Violence", "Weapons", "Weapon Violence")] == [1, 2, 3]
    for name in PARENT:
        assert category_path(name)[-1] == top_level_category(name) in TOP_LEVEL


def test_the_most_specific_rule_decides_a_label():
    policy = Policy(
        alert=parse_thresholds("*=95; Violence=90; Graphic Violence=70; Weapon Violence=50")
    )

    assert policy.evaluate([label("Weapon Violence", 55)]).decision == ALERT  # L3 rule
    assert policy.evaluate([label("Physical Violence", 75)]).decision == ALERT  # L2 rule
    assert policy.evaluate([label("Physical Violence", 65)]).decision == CLEAN
    assert policy.evaluate([label("Weapons", 85)]).decision == CLEAN  # L1 rule, 90
    assert policy.evaluate([label("Alcohol", 94)]).decision == CLEAN  # `*`


def test_the_contracts_example_a_parent_beside_a_deeper_ruled_label_is_covered():
    # docs/policies.md: with Weapons 60 and Violence 90, the Violence 92 beside Weapons 92 is
    # decided as Weapons.
    policy = Policy(alert=parse_thresholds("Weapons=60; Violence=90"))
    answer = [label("Violence", 92), label("Weapons", 92)]

    verdict = policy.evaluate(answer)

    assert verdict.decision == ALERT
    assert verdict.top_label == label("Weapons", 92)
    assert verdict.by_category == (label("Weapons", 92),)


def test_a_deeper_rule_that_does_not_trigger_keeps_its_parent_from_deciding():
    # Weapons are fine up to 95 here: the Violence label Rekognition adds above them must not
    # alert on its own at 90.
    policy = Policy(alert=parse_thresholds("Weapons=95; Violence=90"))

    assert policy.evaluate([label("Violence", 92), label("Weapons", 92)]).decision == CLEAN
    # Violence alone (no label below it) is decided by its own rule.
    assert policy.evaluate([label("Violence", 92)]).decision == ALERT
    # A sibling under another L2 category does not cover Violence's other labels.
    verdict = policy.evaluate([label("Violence", 92), label("Weapons", 92), label("Self-Harm", 91)])
    assert verdict.decision == ALERT
    assert verdict.top_label == label("Self-Harm", 91)


def test_alert_and_auto_stop_rules_at_different_levels():
    # The example: Weapons may alert while Graphic Violence stops.
    policy = Policy(
        alert=parse_thresholds("Weapons=70; *=90"),
        auto_stop=parse_thresholds("Graphic Violence=80"),
    )

    weapons = policy.evaluate([label("Violence", 75), label("Weapons", 75)])
    gore = policy.evaluate(
        [label("Violence", 85), label("Graphic Violence", 85), label("Blood & Gore", 85)]
    )

    assert weapons.decision == ALERT and weapons.top_label == label("Weapons", 75)
    assert gore.decision == AUTO_STOP
    assert policy.evaluate([label("Violence", 85)]).decision == CLEAN


def test_ignoring_a_category_ignores_everything_under_it_and_covers_its_parents():
    policy = Policy(alert=parse_thresholds("*=50"), ignored=parse_categories("Weapons"))

    assert policy.evaluate([label("Violence", 99), label("Weapons", 99)]).decision == CLEAN
    assert policy.evaluate([label("Violence", 99), label("Self-Harm", 99)]).decision == ALERT
    ignore_l2 = Policy(alert=parse_thresholds("*=50"), ignored=parse_categories("Graphic Violence"))
    assert (
        ignore_l2.evaluate([label("Weapon Violence", 99), label("Graphic Violence", 99)]).decision
        == CLEAN
    )


def test_a_label_is_read_back_from_the_decision_log_as_it_was():
    from chalicelib.frames.record import label_item

    original = Label("Weapon Violence", "Graphic Violence", 3, 91.25)

    assert Label.from_item(label_item(original)) == original


def test_parsing_accepts_categories_of_every_level():
    assert parse_thresholds("Weapon Violence=50; *=80").by_category == {
        "Weapon Violence": 50.0,
        ANY_CATEGORY: 80.0,
    }
    with pytest.raises(PolicyError, match="unknown category 'Weapon'"):
        parse_thresholds("Weapon=50")


# Content types


def test_a_content_type_overlay_replaces_the_categories_it_lists():
    policy = Policy(
        alert=parse_thresholds("*=60; Weapons=50"),
        content_types={
            "Animated": Overlay(
                alert=Thresholds({"Violence": 95.0}), ignored=frozenset({"Weapons"})
            )
        },
    )
    cartoon_gore = [label("Violence", 90), label("Graphic Violence", 90)]

    assert policy.evaluate(cartoon_gore).decision == ALERT
    assert policy.evaluate(cartoon_gore, [ContentType("Animated", 88.0)]).decision == CLEAN
    assert policy.evaluate(cartoon_gore, [("Animated", 49.9)]).decision == ALERT  # under 50
    # as the decision log records them (a backtest recomputes from these)
    recorded = [{"name": "Animated", "confidence": 88.0}]
    assert policy.evaluate(cartoon_gore, recorded).decision == CLEAN
    assert policy.evaluate([label("Weapons", 99)], [("Animated", 90)]).decision == CLEAN
    assert policy.evaluate([label("Alcohol", 70)], [("Animated", 90)]).decision == ALERT


def test_two_content_types_setting_one_category_the_stricter_wins():
    policy = Policy(
        alert=parse_thresholds("*=90"),
        content_types={
            "Animated": Overlay(alert=Thresholds({"Explicit": 70.0})),
            "Illustrated": Overlay(alert=Thresholds({"Explicit": 40.0})),
        },
    )
    kinds = [("Animated", 80.0), ("Illustrated", 80.0)]

    assert policy.evaluate([label("Explicit", 45)], kinds).decision == ALERT
    assert policy.evaluate([label("Explicit", 45)], kinds[:1]).decision == CLEAN
    assert policy.for_content(kinds).alert.by_category == {"*": 90.0, "Explicit": 40.0}


# L1-only policies decide exactly as before: the evaluate of the previous version is the oracle.


def previous_evaluate(policy: Policy, labels: list[Label]) -> Verdict:
    """Policy.evaluate as it was before levels (git show 0fd8718:chalicelib/rules/policy.py)."""

    def meets(lb: Label, thresholds: Thresholds) -> bool:
        threshold = thresholds.for_category(lb.category)
        return threshold is not None and lb.confidence >= threshold

    counted = [lb for lb in labels if lb.category not in policy.ignored]
    stopping = [lb for lb in counted if meets(lb, policy.auto_stop)]
    alerting = [lb for lb in counted if meets(lb, policy.alert)]
    if stopping:
        decision, reasons = AUTO_STOP, stopping
    elif alerting:
        decision, reasons = ALERT, alerting
    else:
        return Verdict(CLEAN, None)
    strength = lambda lb: (lb.confidence, lb.level)  # noqa: E731
    top = max(reasons, key=strength)
    strongest: dict[str, Label] = {}
    for lb in sorted({*stopping, *alerting}, key=strength, reverse=True):
        strongest.setdefault(lb.category, lb)
    return Verdict(decision, top, tuple(strongest.values()))


confidences = st.floats(0, 100, allow_nan=False).map(lambda c: round(c, 1))
l1_thresholds = st.dictionaries(st.sampled_from((*TOP_LEVEL, ANY_CATEGORY)), confidences).map(
    Thresholds
)
l1_policies = st.builds(
    Policy,
    alert=l1_thresholds,
    auto_stop=l1_thresholds,
    ignored=st.frozensets(st.sampled_from(TOP_LEVEL), max_size=4),
)
known_labels = st.builds(label, st.sampled_from((*TOP_LEVEL, *PARENT)), confidences)
unknown_labels = st.builds(
    Label,
    st.sampled_from(("Brand New", "Other New")),
    st.sampled_from((*TOP_LEVEL, "Weapons", "Unheard Of", "")),
    st.integers(1, 3),
    confidences,
)
answers = st.lists(st.one_of(known_labels, unknown_labels), max_size=12)


@settings(max_examples=400)
@given(policy=l1_policies, labels=answers)
def test_a_policy_with_l1_rules_only_decides_exactly_as_before(policy, labels):
    assert policy.evaluate(labels) == previous_evaluate(policy, labels)


@given(policy=l1_policies, labels=answers, kinds=st.lists(st.tuples(st.text(), confidences)))
def test_content_types_change_nothing_without_overlays(policy, labels, kinds):
    assert policy.evaluate(labels, kinds) == policy.evaluate(labels)


deep_thresholds = st.dictionaries(
    st.sampled_from((*TOP_LEVEL, *PARENT, ANY_CATEGORY)), confidences, max_size=8
).map(Thresholds)


@given(
    alert=deep_thresholds,
    labels=answers,
    name=st.sampled_from(tuple(PARENT)),
    confidence=confidences,
)
def test_a_rule_only_ever_decides_labels_on_its_own_path(alert, labels, name, confidence):
    # Adding a rule for a category changes nothing for an answer with no label under it.
    assume_outside = [lb for lb in labels if name not in lb.path]
    with_rule = Thresholds({**alert.by_category, name: confidence})

    assert Policy(alert=with_rule).evaluate(assume_outside) == Policy(alert=alert).evaluate(
        assume_outside
    )
