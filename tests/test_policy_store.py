"""The policies table (docs/policies.md, "Stored and versioned"), on moto: saves are versioned
and conditional on the version the editor saw, restores and deletes are versions too, and
channel assignments and watchlist changes are audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from support import CHANNEL_ARN, POLICIES_TABLE

from chalicelib.policies.model import PolicyDocument, PolicyInvalid
from chalicelib.policies.store import PolicyConflict, PolicyNotFound, PolicyStore

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
KIDS = PolicyDocument.parse({"alert": {"*": 60, "Weapons": 50}}, "kids")
STRICTER = PolicyDocument.parse({"alert": {"*": 60, "Weapons": 40}}, "kids")


@pytest.fixture
def store(aws) -> PolicyStore:
    return PolicyStore(boto3.client("dynamodb"), POLICIES_TABLE)


def test_a_save_writes_the_head_and_an_immutable_version_with_its_diff(store):
    first = store.save("kids", KIDS, expected_version=0, by="ana", at=T0, comment="new")
    second = store.save("kids", STRICTER, expected_version=1, by="ben", at=T0 + timedelta(1))

    assert (first["version"], second["version"]) == (1, 2)
    assert store.head("kids") == {
        "pk": "policy",
        "sk": "kids",
        "name": "kids",
        "version": 2,
        "document": STRICTER.to_json(),
        "savedAt": "2026-12-05T12:00:00.000Z",
        "savedBy": "ben",
    }
    versions = store.versions("kids")
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["diff"] == [{"path": "alert.Weapons", "before": 50, "after": 40}]
    assert versions[1]["comment"] == "new" and versions[1]["savedBy"] == "ana"
    assert store.version("kids", 1)["document"] == KIDS.to_json()
    assert [h["name"] for h in store.heads()] == ["kids"]


def test_a_save_over_a_version_the_editor_did_not_see_is_refused_naming_who_saved(store):
    store.save("kids", KIDS, expected_version=0, by="ana", at=T0)
    store.save("kids", STRICTER, expected_version=1, by="ben", at=T0)

    with pytest.raises(PolicyConflict, match=r"kids was saved by ben at .* \(version 2\)"):
        store.save("kids", KIDS, expected_version=1, by="cy", at=T0)
    store.save("other", KIDS, expected_version=0, by="ana", at=T0)
    with pytest.raises(PolicyConflict, match="other was saved by ana"):
        store.save("other", KIDS, expected_version=0, by="cy", at=T0)  # both thought it new
    assert store.head("kids")["version"] == 2
    assert store.head("kids")["document"] == STRICTER.to_json()


def test_restoring_a_version_saves_its_document_as_a_new_version(store):
    store.save("kids", KIDS, expected_version=0, by="ana", at=T0)
    store.save("kids", STRICTER, expected_version=1, by="ben", at=T0)

    head = store.restore("kids", 1, expected_version=2, by="cy", at=T0)

    assert head["version"] == 3 and head["document"] == KIDS.to_json()
    assert store.versions("kids")[0]["restoredFrom"] == 1
    with pytest.raises(PolicyNotFound):
        store.restore("kids", 9, expected_version=3, by="cy", at=T0)


def test_deleting_writes_a_last_version_and_a_new_policy_of_that_name_goes_on_after_it(store):
    store.save("kids", KIDS, expected_version=0, by="ana", at=T0)
    with pytest.raises(PolicyConflict):
        store.delete("kids", expected_version=2, by="ben", at=T0)

    assert store.delete("kids", expected_version=1, by="ben", at=T0) == 2

    assert store.head("kids") is None and store.heads() == []
    assert store.versions("kids")[0]["deleted"] is True
    assert store.save("kids", STRICTER, expected_version=0, by="cy", at=T0)["version"] == 3
    with pytest.raises(PolicyNotFound):
        store.delete("nothing", expected_version=1, by="ben", at=T0)


def test_the_stage_default_cannot_be_saved(store):
    with pytest.raises(PolicyInvalid, match=r"^name: default is the stage's own"):
        store.save("default", KIDS, expected_version=0, by="ana", at=T0)


def test_setting_a_channels_policy_is_audited(store):
    store.assign(CHANNEL_ARN, "kids", by="ana", at=T0)
    store.assign(CHANNEL_ARN, None, by="ben", at=T0 + timedelta(minutes=1))

    assert store.assignment(CHANNEL_ARN) is None
    lines, _ = store.log()
    assert [(line["who"], line["before"], line["after"]) for line in lines] == [
        ("ben", {"policy": "kids", "setAt": "2026-12-04T12:00:00.000Z", "setBy": "ana"}, None),
        ("ana", None, {"policy": "kids", "setAt": "2026-12-04T12:00:00.000Z", "setBy": "ana"}),
    ]
    store.assign(CHANNEL_ARN, "kids", by="ana", at=T0)
    assert store.assignments() == [
        {
            "channelArn": CHANNEL_ARN,
            "policy": "kids",
            "setAt": "2026-12-04T12:00:00.000Z",
            "setBy": "ana",
        }
    ]


def test_a_watchlist_entry_holds_until_its_end_even_before_ttl_deletes_it(store):
    entry = store.put_watch(
        CHANNEL_ARN, hours=24, reason="stopped", by="ana", at=T0, incident_id="i1"
    )

    assert entry["until"] == "2026-12-05T12:00:00.000Z" and entry["incidentId"] == "i1"
    assert store.watch(CHANNEL_ARN, T0 + timedelta(hours=23))["reason"] == "stopped"
    assert store.watch(CHANNEL_ARN, T0 + timedelta(hours=24)) is None
    assert [w["channelArn"] for w in store.watches(T0)] == [CHANNEL_ARN]
    assert store.watches(T0 + timedelta(hours=25)) == []
    item = (
        boto3.resource("dynamodb")
        .Table(POLICIES_TABLE)
        .get_item(Key={"pk": "watch", "sk": CHANNEL_ARN})["Item"]
    )
    assert item["expiresAt"] == int((T0 + timedelta(hours=24)).timestamp())


def test_a_shorter_watch_never_shortens_one_in_force_and_removal_is_audited(store):
    store.put_watch(CHANNEL_ARN, hours=48, reason="stopped", by="ana", at=T0)
    entry = store.put_watch(CHANNEL_ARN, hours=1, reason="warned", by="ben", at=T0)

    assert entry["until"] == "2026-12-06T12:00:00.000Z"  # not T0 + 1 h
    later = T0 + timedelta(minutes=1)
    assert store.delete_watch(CHANNEL_ARN, by="cy", at=later)["reason"] == "warned"
    assert store.delete_watch(CHANNEL_ARN, by="cy", at=later) is None
    lines, _ = store.log()
    assert [(line["what"], line["who"]) for line in lines][:1] == [("watchlist", "cy")]
    assert len(lines) == 3
