"""IVS key parsing, the policy and the settings that configure it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core.config import ConfigError, Settings
from chalicelib.core.ivs import parse_channel_arn, parse_thumbnail_key, thumbnail_event_pattern
from chalicelib.rules.policy import (
    AUTO_STOP,
    CLEAN,
    Label,
    Policy,
    parse_categories,
    parse_thresholds,
)
from chalicelib.rules.taxonomy import PARENT, TOP_LEVEL, top_level_category

PREFIX = "ivs/v1/123456789012/AbCdEfGh1234/2026/1/5/3/7/Rec0AbCdEfGh"


def test_sequential_thumbnail_key_names_channel_recording_and_frame():
    thumbnail = parse_thumbnail_key(f"{PREFIX}/media/thumbnails/thumb41.jpg", "eu-west-1")

    assert thumbnail is not None
    assert thumbnail.channel_arn == "arn:aws:ivs:eu-west-1:123456789012:channel/AbCdEfGh1234"
    assert thumbnail.recording_id == "Rec0AbCdEfGh"
    assert thumbnail.sequence == 41
    assert thumbnail.recording_started_at == datetime(2026, 1, 5, 3, 7, tzinfo=UTC)


def test_latest_thumbnail_key_has_no_sequence():
    thumbnail = parse_thumbnail_key(f"{PREFIX}/media/latest_thumbnail/thumb.jpg", "us-east-1")

    assert thumbnail is not None
    assert thumbnail.sequence is None


@pytest.mark.parametrize(
    "key",
    [
        f"{PREFIX}/media/hls/720p30/thumb1.jpg",
        f"{PREFIX}/media/thumbnails/thumb1.png",
        f"{PREFIX}/events/recording-started.json",
        "ivs/v1/12345/AbCdEfGh1234/2026/1/5/3/7/Rec0AbCdEfGh/media/thumbnails/thumb1.jpg",
        "ivs/v1/123456789012/AbCdEfGh1234/2026/1/32/3/7/Rec0AbCdEfGh/media/thumbnails/thumb1.jpg",
        f"prefix/{PREFIX}/media/thumbnails/thumb1.jpg",
    ],
)
def test_other_keys_are_not_thumbnails(key):
    assert parse_thumbnail_key(key, "us-west-2") is None


def test_channel_arn_round_trip():
    assert parse_channel_arn("arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234") == {
        "region": "us-west-2",
        "account": "123456789012",
        "channel": "AbCdEfGh1234",
    }
    assert parse_channel_arn("arn:aws:ivschat:us-west-2:123456789012:room/x") is None


def test_event_pattern_needs_a_bucket():
    with pytest.raises(ValueError, match="recording bucket is required"):
        thumbnail_event_pattern("")


def test_every_label_of_the_taxonomy_counts_for_a_top_level_category():
    assert len(TOP_LEVEL) == 10
    for name in PARENT:
        assert top_level_category(name) in TOP_LEVEL, name
    assert top_level_category("Weapon Violence", "Graphic Violence") == "Violence"
    # A label the table does not know yet counts for its parent
    assert top_level_category("Brand New Label", "Violence") == "Violence"


def test_a_child_label_counts_for_its_parent_category():
    policy = Policy(alert=parse_thresholds("Violence=90"))

    verdict = policy.evaluate([Label("Weapon Violence", "Graphic Violence", 3, 91.0)])

    assert verdict.decision == "alert"
    assert verdict.flagged_categories == ("Violence",)


def test_auto_stop_wins_over_alert_and_unlisted_categories_use_the_default():
    policy = Policy(
        alert=parse_thresholds("*=80; Alcohol=99"),
        auto_stop=parse_thresholds("Explicit=95"),
    )

    assert policy.evaluate([Label("Alcoholic Beverages", "Alcohol", 2, 98.0)]).decision == CLEAN
    assert policy.evaluate([Label("Gambling", "", 1, 81.0)]).decision == "alert"
    verdict = policy.evaluate(
        [Label("Explicit", "", 1, 97.0), Label("Explicit Nudity", "Explicit", 2, 97.0)]
    )
    assert verdict.decision == AUTO_STOP
    assert verdict.top_label == Label("Explicit Nudity", "Explicit", 2, 97.0)


def test_default_policy_alerts_at_80_and_never_stops():
    policy = Policy()

    assert policy.evaluate([Label("Hate Symbols", "", 1, 80.0)]).decision == "alert"
    assert policy.evaluate([Label("Hate Symbols", "", 1, 79.99)]).decision == CLEAN
    assert policy.evaluate([Label("Explicit", "", 1, 100.0)]).decision == "alert"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Violence", "is not CATEGORY=CONFIDENCE"),
        ("Violence=high", "'high' is not a number"),
        ("Violence=101", "outside 0-100"),
        ("Violence=80; Violence=90", "given twice"),
        ("Beer=80", "unknown category 'Beer'"),
    ],
)
def test_bad_thresholds_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_thresholds(text)


def test_ignored_categories_accept_categories_of_any_level_but_not_the_wildcard():
    assert parse_categories("Alcohol;\nSwimwear or Underwear; Weapon Violence") == {
        "Alcohol",
        "Swimwear or Underwear",
        "Weapon Violence",
    }
    with pytest.raises(ValueError, match="unknown category"):
        parse_categories("*")


VALID = {
    "RECORDING_BUCKET": "my-recordings",
    "DECISIONS_TABLE": "decisions",
    "IDEMPOTENCY_TABLE": "idempotency",
    "INCIDENTS_TABLE": "incidents",
    "CHANNELS_TABLE": "channels",
    "POLICIES_TABLE": "policies",
    "MODERATION_ROOM_ARN": "arn:aws:ivschat:us-west-2:123456789012:room/Moderators01",
    "COGNITO_USER_POOL_ID": "us-west-2_AbCdEf123",
    "COGNITO_APP_CLIENT_IDS": "1example23456789, 2example23456789",
}


def test_settings_defaults():
    settings = Settings.from_env(VALID)

    assert settings.min_confidence == 50
    assert settings.policy == Policy()
    assert settings.revoke_stream_key_on_auto_stop is False
    assert settings.decision_ttl_days == 30
    assert settings.app_client_ids == ("1example23456789", "2example23456789")
    assert settings.role_groups["moderator"] == "moderators"
    assert settings.jwks_url == (
        "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf123/.well-known/jwks.json"
    )
    assert settings.chat_messaging_endpoint == "wss://edge.ivschat.us-west-2.amazonaws.com"
    assert settings.chat_token_minutes == 60
    assert settings.dashboard_origins == ()
    assert (settings.region, settings.account) == ("us-west-2", "123456789012")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RECORDING_BUCKET", "", "RECORDING_BUCKET is not set"),
        ("RECORDING_BUCKET", "Not_A_Bucket", "RECORDING_BUCKET='Not_A_Bucket' is not"),
        ("MODERATION_ROOM_ARN", "arn:aws:ivs:us-west-2:123456789012:channel/x", "MODERATION_ROOM"),
        ("MIN_CONFIDENCE", "fifty", "MIN_CONFIDENCE='fifty' is not a number"),
        ("MIN_CONFIDENCE", "120", "MIN_CONFIDENCE='120' must be between 0 and 100"),
        ("AUTO_STOP_REVOKE_STREAM_KEY", "maybe", "AUTO_STOP_REVOKE_STREAM_KEY='maybe'"),
        ("DECISION_TTL_DAYS", "1.5", "DECISION_TTL_DAYS='1.5' is not a whole number"),
        ("IGNORED_CATEGORIES", "Beer", "IGNORED_CATEGORIES: unknown category 'Beer'"),
        ("COGNITO_USER_POOL_ID", "", "COGNITO_USER_POOL_ID is not set"),
        ("COGNITO_USER_POOL_ID", "AbCdEf123", "COGNITO_USER_POOL_ID='AbCdEf123' is not"),
        ("CHAT_TOKEN_MINUTES", "181", "CHAT_TOKEN_MINUTES='181' must be between 1 and 180"),
        ("DASHBOARD_ORIGINS", "moderators.example.com", "DASHBOARD_ORIGINS="),
        ("COGNITO_JWKS_URL", "not a url", "COGNITO_JWKS_URL='not a url' is not a URL"),
        ("ESCALATION_TEAMS", " ; ", "ESCALATION_TEAMS must name 1 to 20 different teams"),
        ("ESCALATION_TEAMS", "Legal; legal", "ESCALATION_TEAMS must name 1 to 20 different"),
        ("ESCALATION_TEAMS", "x" * 101, "ESCALATION_TEAMS: 'xxxx"),
        ("ESCALATION_TEAMS", "Legal\x07", "ESCALATION_TEAMS: 'Legal"),
    ],
)
def test_a_bad_setting_is_named_in_the_error(name, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**VALID, name: value})
