"""What `make deploy` decides and writes on its own: concurrency caps, the stage's entry in
.chalice/config.json, and the checks on it (Stubbers answer Lambda; no AWS)."""

from __future__ import annotations

import json
import pathlib
import shutil

import boto3
import pytest
from botocore.stub import Stubber

from scripts.deploy import naming, operations
from scripts.deploy.naming import Refusal
from scripts.deploy.settings import OUTPUT_SETTINGS, ProjectConfig, placeholder

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUTS = {
    "RecordingBucket": "ivs-moderation-prod-210987654321-eu-west-1",
    "DecisionsTable": "ivs-moderation-prod-decisions",
    "IdempotencyTable": "ivs-moderation-prod-idempotency",
    "IncidentsTable": "ivs-moderation-prod-incidents",
    "ChannelsTable": "ivs-moderation-prod-channels",
    "FailedFramesQueueName": "ivs-moderation-prod-failed-frames",
    "ModerationRoomArn": "arn:aws:ivschat:eu-west-1:210987654321:room/AbCdEfGh1234",
    "UserPoolId": "eu-west-1_AbC123xyz",
    "AppClientId": "1example23456789",
    "ModeratorsGroup": "moderators",
    "TriageGroup": "triage",
    "AdminsGroup": "admins",
    "ThumbnailStorage": "SEQUENTIAL",
    "ChatTable": "ivs-moderation-prod-chat",
    "PoliciesTable": "ivs-moderation-prod-policies",
    "ChatMessagesQueueName": "ivs-moderation-prod-chat-messages",
    "ChatMessagesQueueUrl": "https://sqs.eu-west-1.amazonaws.com/210987654321/ivs-moderation-prod-chat-messages",
    "AlertTopicArn": "arn:aws:sns:eu-west-1:210987654321:ivs-moderation-prod-alerts",
}


@pytest.fixture
def config(tmp_path) -> ProjectConfig:
    (tmp_path / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    return ProjectConfig(tmp_path)


def lambda_with(concurrency: int, unreserved: int, ours: int = 0):
    client = boto3.client(
        "lambda", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(client)
    stub.add_response(
        "get_account_settings",
        {
            "AccountLimit": {
                "ConcurrentExecutions": concurrency,
                "UnreservedConcurrentExecutions": unreserved,
            }
        },
    )
    for function in naming.FUNCTIONS:
        name = naming.function_name("prod", function)
        if ours:
            stub.add_response(
                "get_function_concurrency",
                {"ReservedConcurrentExecutions": operations.RESERVED_CONCURRENCY[function]},
                {"FunctionName": name},
            )
        else:
            stub.add_client_error(
                "get_function_concurrency", "ResourceNotFoundException", http_status_code=404
            )
    stub.activate()
    return client


def test_GIVEN_an_account_with_room_WHEN_planned_THEN_every_function_is_capped():
    caps, why_not = operations.affordable_concurrency(lambda_with(1000, 1000), "prod")

    assert caps == operations.RESERVED_CONCURRENCY and why_not == ""


def test_GIVEN_a_new_account_with_10_concurrent_executions_THEN_no_caps_and_it_says_why():
    caps, why_not = operations.affordable_concurrency(lambda_with(10, 10), "prod")

    assert caps == {}
    assert "concurrency in this account is 10" in why_not and "Service Quotas" in why_not


def test_GIVEN_caps_reserved_before_WHEN_planned_again_THEN_they_count_as_available():
    wanted = sum(operations.RESERVED_CONCURRENCY.values())
    limit = wanted + operations.UNRESERVED_MINIMUM  # all reserved, exactly Lambda's minimum left

    caps, _ = operations.affordable_concurrency(lambda_with(limit, limit - wanted, ours=1), "prod")

    assert caps == operations.RESERVED_CONCURRENCY


def test_GIVEN_outputs_WHEN_recorded_and_forgotten_THEN_the_operators_settings_stay(config):
    before = config.stage("prod")
    documents = {function: {"Version": "2012-10-17"} for function in naming.FUNCTIONS}

    config.record("prod", OUTPUTS, documents, {"moderate_thumbnail": 20})

    entry = config.stage("prod")
    assert {name: entry["environment_variables"][name] for name in OUTPUT_SETTINGS.values()} == {
        setting: OUTPUTS[output] for output, setting in OUTPUT_SETTINGS.items()
    }
    assert entry["environment_variables"]["AUTO_STOP_THRESHOLDS"] == "Explicit=95; Violence=97"
    assert entry["lambda_functions"]["moderate_thumbnail"] == {
        "iam_policy_file": "policy-prod-moderate_thumbnail.json",
        "reserved_concurrency": 20,
    }
    assert (config.directory / "policy-prod-api_handler.json").exists()

    config.forget("prod")

    assert config.stage("prod") == before
    assert not list(config.directory.glob("policy-prod-*.json"))


def test_GIVEN_an_adapter_chosen_on_the_command_line_WHEN_recorded_THEN_it_is_the_stages_setting(
    config,
):
    adapter = "arn:aws:rekognition:eu-west-1:210987654321:project/mod/version/v1/1700000000000"

    config.record("prod", OUTPUTS, {}, {}, {"MODERATION_ADAPTER_ARN": adapter})
    config.forget("prod")  # what the stack named goes; what the operator chose stays

    assert config.environment("prod")["MODERATION_ADAPTER_ARN"] == adapter


def test_GIVEN_a_stage_recorded_in_another_account_WHEN_checked_THEN_refused(config):
    config.record("prod", OUTPUTS, {}, {})

    with pytest.raises(Refusal, match="stage prod is deployed in account 210987654321, eu-west-1"):
        config.check("prod", "999988887777", "eu-west-1")
    config.check("prod", "210987654321", "eu-west-1")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("ivs-recordings-dev-111122223333", "example account 111122223333"),
        ("arn:aws:ivschat:us-west-2:123456789012:room/DevModerators1", "123456789012"),
        ("maria@example.com", "example.com"),
        ("<bucket>", "<bucket>"),
        ("REPLACE_ME", "REPLACE_ME"),
    ],
)
def test_GIVEN_an_example_value_THEN_it_is_a_placeholder(value, says):
    assert says in placeholder(value)


@pytest.mark.parametrize(
    "value",
    ["ivs-moderation-prod-210987654321-eu-west-1", "maria@moderation.org", "*=80; Explicit=70"],
)
def test_GIVEN_a_real_value_THEN_it_is_not_a_placeholder(value):
    assert placeholder(value) is None


def test_GIVEN_the_repository_THEN_no_stage_holds_a_placeholder():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())

    for stage in config["stages"]:
        if stage != naming.LOCAL_STAGE:  # the local stack's, on its own stand-ins
            ProjectConfig(ROOT).check(stage)
