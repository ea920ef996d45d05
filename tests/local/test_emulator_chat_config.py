"""The emulator's ivschat operations a deploy makes: UpdateRoom, logging configurations, tags.

Driven by boto3's ivschat client over real HTTP; requests are validated against botocore's
model, errors answered with ivschat's codes and members.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from local_servers import serve_app
from support import ACCOUNT, REGION

from local.emulator import create_app

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
HANDLER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:review_chat_message"


def ivschat_client(url: str, config: Config = NO_RETRIES):
    return boto3.client(
        "ivschat",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with serve_app(create_app(REGION, ACCOUNT, "http://127.0.0.1:9")) as url:
        yield url


@pytest.fixture(scope="module")
def ivschat(emulator: str):
    return ivschat_client(emulator)


def error_of(call, **kwargs) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response


def logging_configuration(ivschat, group: str = "/ivs/chat", **extra) -> dict:
    return ivschat.create_logging_configuration(
        destinationConfiguration={"cloudWatchLogs": {"logGroupName": group}}, **extra
    )


def test_update_room_changes_the_settings_given_and_keeps_the_others(ivschat):
    # GIVEN a room with a name and default settings
    room = ivschat.create_room(name="arena")
    # WHEN its rate, length and review handler are updated
    updated = ivschat.update_room(
        identifier=room["arn"],
        maximumMessageRatePerSecond=5,
        maximumMessageLength=200,
        messageReviewHandler={"uri": HANDLER},
    )
    # THEN GetRoom shows them, the name kept, the fallback ALLOW by default
    got = ivschat.get_room(identifier=room["arn"])
    for answer in (updated, got):
        assert answer["name"] == "arena"
        assert answer["maximumMessageRatePerSecond"] == 5
        assert answer["maximumMessageLength"] == 200
        assert answer["messageReviewHandler"] == {"uri": HANDLER, "fallbackResult": "ALLOW"}
    assert got["updateTime"] >= got["createTime"]
    # AND an empty uri detaches the handler
    ivschat.update_room(identifier=room["arn"], messageReviewHandler={"uri": ""})
    assert "messageReviewHandler" not in ivschat.get_room(identifier=room["arn"])
    handler_rooms = ivschat.list_rooms(messageReviewHandlerUri=HANDLER)["rooms"]
    assert room["arn"] not in [listed["arn"] for listed in handler_rooms]


@pytest.mark.parametrize(
    "settings",
    [
        {"maximumMessageRatePerSecond": 101},
        {"maximumMessageLength": 501},
        {"messageReviewHandler": {"uri": "arn:aws:s3:::not-a-function"}},
        {"messageReviewHandler": {"uri": HANDLER, "fallbackResult": "MAYBE"}},
    ],
)
def test_update_room_is_validated_by_the_model(ivschat, settings):
    # GIVEN a room, WHEN an update breaks the model's constraints, THEN ValidationException
    room = ivschat.create_room()["arn"]
    code, status, response = error_of(ivschat.update_room, identifier=room, **settings)
    assert (code, status) == ("ValidationException", 400)
    assert response["reason"] == "FIELD_VALIDATION_FAILED"


def test_update_room_of_an_unknown_room_is_resource_not_found(ivschat):
    arn = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/Nope12345678"
    code, status, response = error_of(ivschat.update_room, identifier=arn, name="x")
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert response["resourceId"] == "Nope12345678"


def test_logging_configurations_are_created_read_listed_updated_and_deleted(ivschat):
    # WHEN a CloudWatch Logs configuration is created
    created = logging_configuration(ivschat, "/ivs/chat/arena", name="arena-logs", tags={"a": "b"})
    # THEN it has IVS's ARN, an ACTIVE state and what was given
    config_id = created["id"]
    assert created["arn"] == f"arn:aws:ivschat:{REGION}:{ACCOUNT}:logging-configuration/{config_id}"
    assert created["state"] == "ACTIVE"
    assert created["destinationConfiguration"] == {
        "cloudWatchLogs": {"logGroupName": "/ivs/chat/arena"}
    }
    got = ivschat.get_logging_configuration(identifier=created["arn"])
    assert (got["name"], got["tags"]) == ("arena-logs", {"a": "b"})
    listed = ivschat.list_logging_configurations()["loggingConfigurations"]
    assert created["arn"] in [summary["arn"] for summary in listed]
    # AND it can be updated, then deleted
    ivschat.update_logging_configuration(identifier=created["arn"], name="renamed")
    assert ivschat.get_logging_configuration(identifier=created["arn"])["name"] == "renamed"
    ivschat.delete_logging_configuration(identifier=created["arn"])
    code, status, _ = error_of(ivschat.get_logging_configuration, identifier=created["arn"])
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_a_logging_configuration_has_exactly_one_destination(emulator):
    # GIVEN a client that does not check the union itself (botocore would refuse it)
    unchecked = ivschat_client(emulator, NO_RETRIES.merge(Config(parameter_validation=False)))
    destinations = {"cloudWatchLogs": {"logGroupName": "g"}, "s3": {"bucketName": "bucket-b"}}
    # WHEN two destinations are given, THEN ValidationException
    code, status, _ = error_of(
        unchecked.create_logging_configuration, destinationConfiguration=destinations
    )
    assert (code, status) == ("ValidationException", 400)


def test_rooms_name_up_to_3_existing_logging_configurations(ivschat):
    # GIVEN four logging configurations
    arns = [logging_configuration(ivschat)["arn"] for _ in range(4)]
    # WHEN a room is given three of them, THEN GetRoom lists them and ListRooms filters by one
    room = ivschat.create_room(loggingConfigurationIdentifiers=arns[:3])["arn"]
    assert ivschat.get_room(identifier=room)["loggingConfigurationIdentifiers"] == arns[:3]
    filtered = ivschat.list_rooms(loggingConfigurationIdentifier=arns[1])["rooms"]
    assert [summary["arn"] for summary in filtered] == [room]
    # AND four are refused, and so is an unknown configuration
    code, _, _ = error_of(
        ivschat.update_room, identifier=room, loggingConfigurationIdentifiers=arns
    )
    assert code == "ValidationException"
    unknown = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:logging-configuration/Unknown12345"
    code, status, _ = error_of(
        ivschat.update_room, identifier=room, loggingConfigurationIdentifiers=[unknown]
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, _ = error_of(ivschat.create_room, loggingConfigurationIdentifiers=[unknown])
    assert code == "ResourceNotFoundException"
    for arn in arns:
        ivschat.delete_logging_configuration(identifier=arn)


def test_an_account_has_at_most_10_logging_configurations():
    # GIVEN a fresh emulator with ten configurations
    with serve_app(create_app(REGION, ACCOUNT, "http://127.0.0.1:9")) as url:
        ivschat = ivschat_client(url)
        for _ in range(10):
            logging_configuration(ivschat)
        # WHEN an eleventh is created, THEN the quota answers
        code, status, response = error_of(
            ivschat.create_logging_configuration,
            destinationConfiguration={"cloudWatchLogs": {"logGroupName": "g"}},
        )
    assert (code, status, response["limit"]) == ("ServiceQuotaExceededException", 402, 10)


def test_tags_on_rooms_are_created_listed_added_and_removed(ivschat):
    # GIVEN a room created with a tag naming its channel
    channel = f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/AbCdEfGh1234"
    room = ivschat.create_room(tags={"moderation-channel": channel})["arn"]
    # THEN GetRoom and ListTagsForResource return it
    assert ivschat.get_room(identifier=room)["tags"] == {"moderation-channel": channel}
    assert ivschat.list_tags_for_resource(resourceArn=room)["tags"] == {
        "moderation-channel": channel
    }
    # WHEN tags are added and one removed
    ivschat.tag_resource(resourceArn=room, tags={"team": "safety", "tier": "gold"})
    ivschat.untag_resource(resourceArn=room, tagKeys=["tier", "absent key"])
    # THEN the rest remain
    assert ivschat.get_room(identifier=room)["tags"] == {
        "moderation-channel": channel,
        "team": "safety",
    }


def test_tags_on_logging_configurations_and_unknown_resources(ivschat):
    config = logging_configuration(ivschat)["arn"]
    ivschat.tag_resource(resourceArn=config, tags={"k": "v"})
    assert ivschat.list_tags_for_resource(resourceArn=config)["tags"] == {"k": "v"}
    assert ivschat.get_logging_configuration(identifier=config)["tags"] == {"k": "v"}
    ivschat.delete_logging_configuration(identifier=config)
    code, status, _ = error_of(ivschat.list_tags_for_resource, resourceArn=config)
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_tag_values_and_counts_are_validated_by_the_model(ivschat):
    room = ivschat.create_room()["arn"]
    code, _, _ = error_of(ivschat.tag_resource, resourceArn=room, tags={"k": "v" * 257})
    assert code == "ValidationException"
    many = {f"k{index}": "v" for index in range(51)}
    code, _, _ = error_of(ivschat.tag_resource, resourceArn=room, tags=many)
    assert code == "ValidationException"
