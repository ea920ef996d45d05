"""`make deploy` end to end on stand-ins of an empty AWS account, then channels and destroy.

`python -m scripts.deploy` runs in this process against moto in server mode and the
repository's emulator (tests/deploy_standins.py), with a copy of the project so that what
it writes (.chalice/config.json, the policies, .chalice/deployed/) stays in a temporary
directory. A new stage, `qa`, that .chalice/config.json does not know.

Ran for real, on moto: the credential and region checks (STS); the resources stack through
moto's CloudFormation (bucket with its encryption, the four tables, both queues, the log
groups, the SNS topic, API Gateway's logs role); the recorded settings and the generated
policies; `chalice deploy` itself (IAM roles with those policies, the four Lambda functions
with their reserved concurrency, the EventBridge rules, the SQS event source, the REST API
and its stage); the retries and on-failure destination, the API stage's throttling and
access logs; the second stack update that invites the first moderator; re-running;
pointing IVS channels at the recording configuration; chat: the chat queue and its
consumer, chat logging's subscription to chat_log_received and its permission, viewer
rooms attached to the review handler (`chat-rooms`, on the emulator's rooms and logging
configurations) and detached; `chalice delete` and the stack's deletion (the rooms
detached first), the kept data and its deletion.
Stand-ins (tests/deploy_standins.py): the chat room and logging configuration (on the
emulator), the user pool and its client, group and moderator, the alarms, the alarm
subscription, the bucket policy and API Gateway's account setting are created by the test
from the template's own properties, because moto's CloudFormation skips those types; the
recording configuration is an ARN only (its deletion answered by the stand-in); Lambda's
account limit is a fixed answer; moto's API Gateway is handed Chalice's Swagger 2.0 paths
as OpenAPI 3.
Not checked here: moto's CloudFormation applies the bucket's encryption but not its
versioning, EventBridge notifications, lifecycle, public access block or ownership, nor the
tables' point-in-time recovery and TTL; tests/test_deploy.py checks those in the template
(and cfn-lint and checkov with it).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from dataclasses import dataclass

import boto3
import pytest
import requests
from deploy_standins import (
    UNSUPPORTED,
    CloudFormationStandIn,
    answer_account_settings,
    emulator,
    moto_server,
)

from chalicelib.core.config import Settings
from scripts.deploy import naming, operations, policies, templates
from scripts.deploy.cli import main
from scripts.deploy.settings import OUTPUT_SETTINGS

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGION = "us-west-2"
ACCOUNT = "210987654321"  # not one of the documentation's accounts: the deploy refuses those
STAGE = "qa"
MODERATOR = "ana@moderation.test"
STACK = naming.resources_stack(STAGE)


@dataclass
class Account:
    moto: str
    chat: str
    project: pathlib.Path
    standin: CloudFormationStandIn
    session: boto3.Session
    plain: boto3.Session
    lines: list[str]

    def run(self, *argv: str) -> int:
        self.lines.clear()
        return main([*argv, "--project-dir", str(self.project)], self.session, self.lines.append)

    def client(self, service: str):
        return self.plain.client(service)

    def config(self) -> dict:
        return json.loads((self.project / ".chalice" / "config.json").read_text())


def project_copy(destination: pathlib.Path) -> pathlib.Path:
    """The project's Chalice files; Chalice's build cache is shared (no rebuild, no download)."""
    shutil.copytree(
        ROOT / "chalicelib",
        destination / "chalicelib",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("app.py", "requirements.txt"):
        shutil.copy(ROOT / name, destination / name)
    (destination / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", destination / ".chalice" / "config.json")
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(exist_ok=True)
    (destination / ".chalice" / "deployments").symlink_to(cache)
    return destination


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            patch.delenv(name)
    patch.setenv("AWS_ACCESS_KEY_ID", "standin")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "standin")
    patch.setenv("AWS_DEFAULT_REGION", REGION)
    patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    patch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    try:
        with moto_server() as moto, emulator(moto, REGION, ACCOUNT) as chat:
            # Everything on moto but IVS chat; chalice (a subprocess) inherits these too.
            patch.setenv("AWS_ENDPOINT_URL", moto)
            patch.setenv("AWS_ENDPOINT_URL_IVSCHAT", chat)
            session, plain = boto3.Session(), boto3.Session()
            standin = CloudFormationStandIn(session, plain, chat)
            answer_account_settings(session)
            project = project_copy(tmp_path_factory.mktemp("project"))
            yield Account(moto, chat, project, standin, session, plain, [])
            requests.post(f"{moto}/moto-api/reset", timeout=10)
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def deployed(account):
    status = account.run("deploy", "--stage", STAGE, "--moderator-email", MODERATOR)
    return status, list(account.lines)


def stack_outputs(account: Account) -> dict[str, str]:
    [stack] = account.session.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


# --- a new stage, from nothing -----------------------------------------------------------


def test_GIVEN_an_empty_account_WHEN_deployed_THEN_it_says_where_the_dashboard_is(deployed):
    status, lines = deployed
    text = "\n".join(lines)

    assert status == 0, text
    for step in range(1, 6):
        assert f"[{step}/5]" in text
    assert "Dashboard:  https://" in text and ".execute-api.us-west-2.amazonaws.com/api/" in text
    assert f"Moderator:  ana <{MODERATOR}>" in text
    assert f"make channels STAGE={STAGE}" in text


def test_GIVEN_a_deployed_stage_THEN_its_resources_stack_exists(account, deployed):
    cloudformation = account.client("cloudformation")
    [stack] = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    names = templates.retained_names(STAGE, ACCOUNT, REGION)
    bucket = names["RecordingBucket"][1]

    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    assert parameters["ThumbnailIntervalSeconds"] == "5"
    assert parameters["ThumbnailStorage"] == "SEQUENTIAL"
    encryption = account.client("s3").get_bucket_encryption(Bucket=bucket)
    [rule] = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    tables = set(account.client("dynamodb").list_tables()["TableNames"])
    assert {
        f"ivs-moderation-{STAGE}-{t}" for t in ("decisions", "idempotency", "incidents", "channels")
    } <= tables
    queue = account.client("sqs").get_queue_url(QueueName=f"ivs-moderation-{STAGE}-failed-frames")
    attributes = account.client("sqs").get_queue_attributes(
        QueueUrl=queue["QueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 5
    # What moto's CloudFormation skips was created from the template by the stand-in:
    assert {
        logical_id
        for logical_id, resource in templates.resources_template()["Resources"].items()
        if resource["Type"] in UNSUPPORTED
    } == set(account.standin.created)


def test_GIVEN_a_deployed_stage_THEN_its_settings_are_the_stacks_outputs(account, deployed):
    outputs = stack_outputs(account)
    entry = account.config()["stages"][STAGE]
    variables = {**account.config()["environment_variables"], **entry["environment_variables"]}

    assert {setting: variables[setting] for setting in OUTPUT_SETTINGS.values()} == {
        setting: outputs[output] for output, setting in OUTPUT_SETTINGS.items()
    }
    settings = Settings.from_env(variables)  # every setting the app requires, valid
    assert settings.account == ACCOUNT and settings.region == REGION
    assert entry["api_gateway_stage"] == "api"


def test_GIVEN_a_deployed_stage_THEN_each_function_has_its_generated_policy(account, deployed):
    outputs = stack_outputs(account)
    expected = policies.concrete(policies.Deployment(STAGE, ACCOUNT, REGION, outputs))
    iam = account.client("iam")
    lambda_ = account.client("lambda")
    entry = account.config()["stages"][STAGE]

    for function in naming.FUNCTIONS:
        file = account.project / ".chalice" / naming.policy_file(STAGE, function)
        assert json.loads(file.read_text()) == expected[function]
        assert entry["lambda_functions"][function]["iam_policy_file"] == file.name
        configuration = lambda_.get_function(FunctionName=naming.function_name(STAGE, function))
        role = configuration["Configuration"]["Role"].rsplit("/", 1)[1]
        [policy_name] = iam.list_role_policies(RoleName=role)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
        assert document == expected[function], function
        assert (
            configuration["Concurrency"]["ReservedConcurrentExecutions"]
            == (operations.RESERVED_CONCURRENCY[function])
        )


def test_GIVEN_a_deployed_stage_THEN_frames_given_up_on_go_to_the_failed_frames_queue(
    account, deployed
):
    outputs = stack_outputs(account)
    lambda_ = account.client("lambda")

    thumbnail = lambda_.get_function_event_invoke_config(
        FunctionName=naming.function_name(STAGE, "moderate_thumbnail")
    )
    stream_state = lambda_.get_function_event_invoke_config(
        FunctionName=naming.function_name(STAGE, "stream_state_changed")
    )
    consumer = lambda_.get_function(
        FunctionName=naming.function_name(STAGE, "record_failed_frames")
    )["Configuration"]["FunctionArn"]
    [mapping] = [
        mapping
        for mapping in lambda_.list_event_source_mappings()["EventSourceMappings"]
        if mapping["FunctionArn"] == consumer
    ]

    assert thumbnail["MaximumRetryAttempts"] == 2
    assert thumbnail["MaximumEventAgeInSeconds"] == operations.MAX_EVENT_AGE_SECONDS
    assert (
        thumbnail["DestinationConfig"]["OnFailure"]["Destination"]
        == outputs["FailedFramesQueueArn"]
    )
    assert stream_state["MaximumRetryAttempts"] == 2
    assert mapping["EventSourceArn"] == outputs["FailedFramesQueueArn"]


def test_GIVEN_a_deployed_stage_THEN_the_rule_hears_its_buckets_thumbnails(account, deployed):
    outputs = stack_outputs(account)
    events = account.client("events")
    patterns = [
        json.loads(r["EventPattern"]) for r in events.list_rules()["Rules"] if "EventPattern" in r
    ]

    assert {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [outputs["RecordingBucket"]]},
            "object": {"key": [{"suffix": ".jpg"}]},
        },
    } in patterns


def test_GIVEN_a_deployed_stage_THEN_the_api_is_throttled_and_logged(account, deployed):
    outputs = stack_outputs(account)
    deployed_file = account.project / ".chalice" / "deployed" / f"{STAGE}.json"
    [api] = [
        r for r in json.loads(deployed_file.read_text())["resources"] if r["name"] == "rest_api"
    ]

    stage = account.client("apigateway").get_stage(restApiId=api["rest_api_id"], stageName="api")

    settings = stage["methodSettings"]["*/*"]
    assert settings["throttlingRateLimit"] == operations.THROTTLE_RATE
    assert settings["throttlingBurstLimit"] == operations.THROTTLE_BURST
    assert stage["accessLogSettings"] == {
        "destinationArn": outputs["ApiAccessLogGroupArn"],
        "format": operations.ACCESS_LOG_FORMAT,
    }
    assert (
        account.client("apigateway")
        .get_account()["cloudwatchRoleArn"]
        .startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    )


def test_GIVEN_a_deployed_stage_THEN_the_first_moderator_is_invited_to_the_dashboard(
    account, deployed
):
    outputs = stack_outputs(account)
    idp = account.client("cognito-idp")
    dashboard = next(line for line in deployed[1] if "Dashboard:" in line).split()[-1]

    user = idp.admin_get_user(UserPoolId=outputs["UserPoolId"], Username="ana")
    groups = idp.admin_list_groups_for_user(UserPoolId=outputs["UserPoolId"], Username="ana")
    pool = idp.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]
    client = idp.describe_user_pool_client(
        UserPoolId=outputs["UserPoolId"], ClientId=outputs["AppClientId"]
    )["UserPoolClient"]

    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email"] == MODERATOR
    assert [g["GroupName"] for g in groups["Groups"]] == ["moderators"]
    invitation = pool["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailMessage"]
    assert dashboard in invitation and "{####}" in invitation
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
    ]
    assert "ClientSecret" not in client


def test_GIVEN_a_deployed_stage_WHEN_deployed_again_THEN_it_is_updated_in_place(account, deployed):
    before = account.config()
    outputs = stack_outputs(account)

    status = account.run("deploy", "--stage", STAGE)

    assert status == 0, "\n".join(account.lines)
    assert account.config() == before
    assert stack_outputs(account) == outputs
    assert any(f"{MODERATOR}> was invited before" in line for line in account.lines)


def test_GIVEN_a_deployed_stage_WHEN_the_first_moderator_is_changed_THEN_refused(
    account, deployed, capsys
):
    status = account.run("deploy", "--stage", STAGE, "--moderator-email", "bo@moderation.test")

    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: the stage's first moderator is ana@moderation.test")


def test_GIVEN_an_adapter_of_another_account_WHEN_deployed_THEN_refused(account, deployed, capsys):
    adapter = "arn:aws:rekognition:us-west-2:999988887777:project/mod/version/v1/1700000000000"

    status = account.run("deploy", "--stage", STAGE, "--adapter-arn", adapter)

    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: the adapter {adapter} is not in {ACCOUNT}, {REGION}")


def test_GIVEN_channels_WHEN_attached_THEN_ivs_records_them_to_the_stage(account, deployed):
    ivs = account.client("ivs")
    arns = [ivs.create_channel(name=f"arena-{n}")["channel"]["arn"] for n in range(2)]
    recording = stack_outputs(account)["RecordingConfigurationArn"]

    status = account.run("channels", "--stage", STAGE, arns[0])
    again = account.run("channels", "--stage", STAGE, "--all")

    assert status == 0 and again == 0, "\n".join(account.lines)
    assert [ivs.get_channel(arn=arn)["channel"]["recordingConfigurationArn"] for arn in arns] == [
        recording,
        recording,
    ]
    assert any("arena-0: already recorded by this stage" in line for line in account.lines)


def test_GIVEN_recorded_channels_WHEN_the_interval_changes_THEN_they_move_to_the_new_configuration(
    account, deployed
):
    ivs = account.client("ivs")
    arn = ivs.create_channel(name="arena-moving")["channel"]["arn"]
    assert account.run("channels", "--stage", STAGE, arn) == 0
    before = stack_outputs(account)["RecordingConfigurationArn"]

    status = account.run("deploy", "--stage", STAGE, "--interval", "10")

    after = stack_outputs(account)["RecordingConfigurationArn"]
    assert status == 0, "\n".join(account.lines)
    assert after != before  # IVS cannot change a configuration: CloudFormation replaces it
    assert ivs.get_channel(arn=arn)["channel"]["recordingConfigurationArn"] == after
    assert any("the recording configuration was replaced" in line for line in account.lines)
    assert account.standin.deleted_recording_configurations == [before]

    # WHEN deployed again without INTERVAL THEN the stage keeps its 10 seconds
    assert account.run("deploy", "--stage", STAGE) == 0, "\n".join(account.lines)
    [stack] = account.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["ThumbnailIntervalSeconds"] == "10"
    assert stack_outputs(account)["RecordingConfigurationArn"] == after


def test_GIVEN_a_deployed_stage_WHEN_a_moderator_is_invited_THEN_they_are_in_the_group(
    account, deployed
):
    pool = stack_outputs(account)["UserPoolId"]
    idp = account.client("cognito-idp")

    status = account.run("moderator", "--stage", STAGE, "--email", "jon@moderation.test")

    assert status == 0, "\n".join(account.lines)
    groups = idp.admin_list_groups_for_user(UserPoolId=pool, Username="jon")["Groups"]
    assert [group["GroupName"] for group in groups] == ["moderators"]
    assert any("/api/" in line for line in account.lines)  # they are sent the address


def test_GIVEN_a_deployed_stage_WHEN_invited_with_a_role_THEN_they_are_in_its_group(
    account, deployed
):
    pool = stack_outputs(account)["UserPoolId"]
    idp = account.client("cognito-idp")

    for name, role in (("tom", "triage"), ("lee", "admin")):
        argv = ["--email", f"{name}@moderation.test", "--role", role]
        assert account.run("moderator", "--stage", STAGE, *argv) == 0, "\n".join(account.lines)
    assert any(
        line.startswith("Invited lee <lee@moderation.test> as admin (group admins)")
        for line in account.lines
    )
    with pytest.raises(SystemExit) as bad:  # argparse: the roles are the only choices
        account.run("moderator", "--stage", STAGE, "--email", "x@moderation.test", "--role", "x")

    def groups(name: str) -> list[str]:
        found = idp.admin_list_groups_for_user(UserPoolId=pool, Username=name)["Groups"]
        return [group["GroupName"] for group in found]

    assert (groups("tom"), groups("lee")) == (["triage"], ["admins"])
    assert bad.value.code == 2
    recorded = account.config()["stages"][STAGE]["environment_variables"]
    assert (recorded["TRIAGE_GROUP"], recorded["ADMINS_GROUP"]) == ("triage", "admins")


def test_GIVEN_a_checkout_without_chalices_record_WHEN_deployed_or_destroyed_THEN_refused(
    account, deployed, capsys
):
    record = account.project / ".chalice" / "deployed" / f"{STAGE}.json"
    kept = record.read_text()
    record.unlink()
    try:
        for argv in (["deploy", "--stage", STAGE], ["destroy", "--stage", STAGE, "--yes"]):
            assert account.run(*argv) == 2
            [line] = capsys.readouterr().err.splitlines()
            assert line.startswith(f"error: stage {STAGE}'s functions exist"), line
            assert f".chalice/deployed/{STAGE}.json" in line
    finally:
        record.write_text(kept)


def test_GIVEN_a_stage_not_deployed_WHEN_its_channels_are_attached_THEN_refused(
    account, deployed, capsys
):
    status = account.run("channels", "--stage", "nope", "--all")

    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: stage nope is not deployed in account 210987654321")


# --- chat moderation -------------------------------------------------------------------


def function_arn(account: Account, function: str) -> str:
    name = naming.function_name(STAGE, function)
    return account.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def statements(account: Account, function: str) -> dict[str, dict]:
    policy = account.client("lambda").get_policy(FunctionName=function_arn(account, function))
    return {statement["Sid"]: statement for statement in json.loads(policy["Policy"])["Statement"]}


def test_GIVEN_a_deployed_stage_THEN_the_chat_queue_outlasts_its_consumer_and_has_a_dlq(
    account, deployed
):
    outputs = stack_outputs(account)
    sqs, lambda_ = account.client("sqs"), account.client("lambda")
    attributes = sqs.get_queue_attributes(
        QueueUrl=outputs["ChatMessagesQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    consumer = lambda_.get_function(
        FunctionName=naming.function_name(STAGE, "moderate_chat_messages")
    )["Configuration"]
    [mapping] = [
        mapping
        for mapping in lambda_.list_event_source_mappings()["EventSourceMappings"]
        if mapping["FunctionArn"] == consumer["FunctionArn"]
    ]

    assert attributes["QueueArn"] == outputs["ChatMessagesQueueArn"]
    assert int(attributes["VisibilityTimeout"]) >= 6 * consumer["Timeout"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 5
    assert redrive["deadLetterTargetArn"].endswith(f"ivs-moderation-{STAGE}-chat-messages-dlq")
    assert mapping["EventSourceArn"] == outputs["ChatMessagesQueueArn"]
    assert mapping["BatchSize"] == 10
    alarms = account.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert f"ivs-moderation-{STAGE}-chat-messages-dead-letters" in [a["AlarmName"] for a in alarms]


def test_GIVEN_a_deployed_stage_THEN_chat_logging_reaches_chat_log_received(account, deployed):
    outputs = stack_outputs(account)
    group = outputs["ChatLogGroupName"]
    logs = account.client("logs")
    chat = account.plain.client("ivschat", endpoint_url=account.chat)

    [subscription] = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    configuration = chat.get_logging_configuration(
        identifier=outputs["ChatLoggingConfigurationArn"]
    )
    [described] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]

    assert subscription["destinationArn"] == function_arn(account, "chat_log_received")
    assert subscription["filterPattern"] == operations.CHAT_LOG_FILTER
    granted = statements(account, "chat_log_received")[operations.CHAT_LOG_PERMISSION]
    assert granted["Principal"] == {"Service": "logs.amazonaws.com"}
    assert granted["Condition"]["ArnLike"] == {"AWS:SourceArn": f"{outputs['ChatLogGroupArn']}:*"}
    assert configuration["destinationConfiguration"] == {"cloudWatchLogs": {"logGroupName": group}}
    assert described["retentionInDays"] == 30


def test_GIVEN_a_deployed_stage_THEN_the_review_handler_is_sized_for_its_200_ms(account, deployed):
    review = account.client("lambda").get_function(
        FunctionName=naming.function_name(STAGE, "review_chat_message")
    )["Configuration"]
    variables = account.config()["stages"][STAGE]["environment_variables"]

    assert review["MemorySize"] == 256
    assert (
        review["Environment"]["Variables"]["CHAT_MESSAGES_QUEUE_URL"]
        == (stack_outputs(account)["ChatMessagesQueueUrl"])
    )
    assert variables["CHAT_ALLOWED_HOSTS"] == ""  # none until the operator names some


@pytest.fixture(scope="module")
def viewer_rooms(account, deployed) -> list[str]:
    chat = account.plain.client("ivschat", endpoint_url=account.chat)
    return [chat.create_room(name=f"arena-{n}-chat")["arn"] for n in range(3)]


def room(account: Account, arn: str) -> dict:
    return account.plain.client("ivschat", endpoint_url=account.chat).get_room(identifier=arn)


def test_GIVEN_viewer_rooms_WHEN_attached_THEN_they_are_reviewed_and_logged_by_the_stage(
    account, viewer_rooms
):
    chat = account.plain.client("ivschat", endpoint_url=account.chat)
    theirs = chat.create_logging_configuration(
        name="platform-archive",
        destinationConfiguration={"cloudWatchLogs": {"logGroupName": "platform-archive"}},
    )["arn"]
    first = viewer_rooms[0]
    chat.update_room(identifier=first, loggingConfigurationIdentifiers=[theirs])
    channel = account.client("ivs").create_channel(name="arena-chat")["channel"]["arn"]
    outputs = stack_outputs(account)
    review = function_arn(account, "review_chat_message")

    status = account.run("chat-rooms", "--stage", STAGE, first, "--channel", channel)
    again = account.run("chat-rooms", "--stage", STAGE, first, "--channel", channel)

    assert status == 0 and again == 0, "\n".join(account.lines)
    attached = room(account, first)
    assert attached["messageReviewHandler"] == {"uri": review, "fallbackResult": "ALLOW"}
    assert attached["loggingConfigurationIdentifiers"] == [
        theirs,
        outputs["ChatLoggingConfigurationArn"],
    ]
    assert attached["tags"]["moderation-channel"] == channel
    granted = statements(account, "review_chat_message")
    [sid] = [sid for sid in granted if sid.startswith("ivschat-room-")]
    assert granted[sid]["Principal"] == {"Service": "ivschat.amazonaws.com"}
    assert granted[sid]["Condition"]["ArnLike"] == {"AWS:SourceArn": first}

    # WHEN every room is attached, child-safe THEN all but the moderators' room are
    status = account.run("chat-rooms", "--stage", STAGE, "--all", "--fallback", "DENY")

    assert status == 0, "\n".join(account.lines)
    for arn in viewer_rooms:
        assert room(account, arn)["messageReviewHandler"]["fallbackResult"] == "DENY"
    assert "messageReviewHandler" not in room(account, outputs["ModerationRoomArn"])
    rooms_granted = [sid for sid in statements(account, "review_chat_message") if "room" in sid]
    assert len(rooms_granted) == len(viewer_rooms)

    # WHEN one is detached THEN the stage's handler, logging and permission go; theirs stay
    status = account.run("chat-rooms", "--stage", STAGE, first, "--detach")

    assert status == 0, "\n".join(account.lines)
    detached = room(account, first)
    assert "messageReviewHandler" not in detached
    assert detached["loggingConfigurationIdentifiers"] == [theirs]
    assert sid not in statements(account, "review_chat_message")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["arn:aws:ivschat:us-west-2:999988887777:room/AbCd1234"],
            "arn:aws:ivschat:us-west-2:999988887777:room/AbCd1234 is in 999988887777, us-west-2",
        ),
        (
            [f"arn:aws:ivschat:eu-west-1:{ACCOUNT}:room/AbCd1234"],
            f"arn:aws:ivschat:eu-west-1:{ACCOUNT}:room/AbCd1234 is in {ACCOUNT}, eu-west-1",
        ),
        ([f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/Nope1234"], "no room arn:aws:ivschat:"),
        (["room/AbCd1234"], "'room/AbCd1234' is not an IVS chat room ARN"),
        (["--all", "--channel", "x"], "CHANNEL names one room's channel"),
        ([], "name the rooms"),
    ],
)
def test_GIVEN_rooms_the_stage_cannot_take_WHEN_attached_THEN_refused_in_one_line(
    account, viewer_rooms, capsys, argv, says
):
    capsys.readouterr()

    status = account.run("chat-rooms", "--stage", STAGE, *argv)

    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {says}"), line


def test_GIVEN_a_room_reviewed_by_another_function_WHEN_attached_THEN_refused_unless_forced(
    account, viewer_rooms, capsys
):
    chat = account.plain.client("ivschat", endpoint_url=account.chat)
    other = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:platform-review"
    arn = chat.create_room(name="legacy-chat", messageReviewHandler={"uri": other})["arn"]
    capsys.readouterr()

    refused = account.run("chat-rooms", "--stage", STAGE, arn)
    [line] = capsys.readouterr().err.splitlines()
    mixed = account.run("chat-rooms", "--stage", STAGE, viewer_rooms[1], arn)
    capsys.readouterr()
    forced = account.run("chat-rooms", "--stage", STAGE, arn, "--force")

    assert refused == 2 and line.startswith("error: room legacy-chat has another review handler")
    assert mixed == 2  # every room is checked before any is changed: the first is as it was
    assert room(account, viewer_rooms[1])["messageReviewHandler"]["fallbackResult"] == "DENY"
    assert room(account, arn)["messageReviewHandler"]["uri"] == function_arn(
        account, "review_chat_message"
    )
    assert forced == 0, "\n".join(account.lines)


def test_GIVEN_a_stage_not_deployed_WHEN_rooms_are_attached_THEN_refused(account, deployed, capsys):
    status = account.run("chat-rooms", "--stage", "nope", "--all")

    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: stage nope is not deployed in account 210987654321")


# --- removing it (last: the stage is gone after these) ----------------------------------


def test_GIVEN_a_deployed_stage_WHEN_destroyed_THEN_all_but_the_data_is_gone_until_asked(
    account, deployed, capsys
):
    names = templates.retained_names(STAGE, ACCOUNT, REGION)
    decision_log = {names["DecisionsTable"][1], names["IncidentsTable"][1]}
    bucket = names["RecordingBucket"][1]
    ivs = account.client("ivs")
    cloudformation = account.client("cloudformation")

    chat = account.plain.client("ivschat", endpoint_url=account.chat)
    attached = [r["arn"] for r in chat.list_rooms()["rooms"] if r.get("messageReviewHandler")]

    status = account.run("destroy", "--stage", STAGE, "--yes")

    assert status == 0, "\n".join(account.lines)
    assert attached  # the chat tests' rooms, with the stage's handler until now
    for arn in attached:
        after = chat.get_room(identifier=arn)
        assert "messageReviewHandler" not in after, arn
        assert after["loggingConfigurationIdentifiers"] == [], arn
    channels = [ivs.get_channel(arn=c["arn"])["channel"] for c in ivs.list_channels()["channels"]]
    assert not any(channel.get("recordingConfigurationArn") for channel in channels)
    assert account.client("lambda").list_functions()["Functions"] == []
    assert all(
        s["StackStatus"] == "DELETE_COMPLETE" for s in cloudformation.describe_stacks()["Stacks"]
    )
    assert STAGE not in account.config()["stages"]
    assert not list((account.project / ".chalice").glob(f"policy-{STAGE}-*.json"))
    tables = set(account.client("dynamodb").list_tables()["TableNames"])
    assert decision_log <= tables
    assert f"ivs-moderation-{STAGE}-channels" not in tables
    account.client("s3").head_bucket(Bucket=bucket)

    # WHEN the stage is deployed again THEN the kept data is in the way, and it says so
    capsys.readouterr()
    status = account.run("deploy", "--stage", STAGE, "--moderator-email", MODERATOR)

    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: stage {STAGE}'s data from an earlier deployment is still here")
    assert f"make destroy STAGE={STAGE} DELETE_DATA=yes" in line

    # WHEN destroyed with DELETE_DATA THEN the data is gone too
    status = account.run("destroy", "--stage", STAGE, "--yes", "--delete-data")

    assert status == 0, "\n".join(account.lines)
    assert not decision_log & set(account.client("dynamodb").list_tables()["TableNames"])
    assert bucket not in [b["Name"] for b in account.client("s3").list_buckets()["Buckets"]]


# --- refusals, in one line, before anything is touched --------------------------------


def run_command(*argv: str, env: dict[str, str] | None = None, cwd=ROOT):
    """`python -m scripts.deploy` as an operator runs it; no AWS endpoint reachable."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    base.update(
        AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true", AWS_ENDPOINT_URL="http://127.0.0.1:9",
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "scripts.deploy", *argv],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refused(result, starts: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {starts}"), line


CREDENTIALS = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
REGION_ONLY = {"AWS_DEFAULT_REGION": "us-west-2"}
DEPLOY_QA = ["deploy", "--stage", "qa", "--moderator-email", MODERATOR]
LONG = "a-very-long-stage-name-indeed"


@pytest.mark.parametrize(
    ("argv", "env", "says"),
    [
        (DEPLOY_QA, REGION_ONLY, "no AWS credentials"),
        (DEPLOY_QA, CREDENTIALS, "no AWS region"),
        (["destroy", "--stage", "qa"], CREDENTIALS, "no AWS region"),
        (["deploy", "--stage", "QA"], {}, "STAGE='QA' is not a stage name"),
        (["deploy", "--stage", "local"], {}, "the local stage is the local stack's"),
        (
            ["deploy", "--stage", "qa", "--moderator-email", "maria@example.com"],
            {},
            "MODERATOR_EMAIL='maria@example.com' contains the placeholder",
        ),
        (["deploy", "--stage", "qa", "--interval", "90"], {}, "INTERVAL=90"),
        (
            ["deploy", "--stage", "qa", "--chat-allowed-hosts", "cdn.platform.test; http://x"],
            {},
            "CHAT_ALLOWED_HOSTS: 'http://x' is not a host name",
        ),
        (
            ["package", "--stage", "qa", "--chat-allowed-hosts", "images.example.com"],
            {},
            "CHAT_ALLOWED_HOSTS: 'images.example.com' contains the placeholder",
        ),
        (["package", "--stage", LONG], {}, f"STAGE='{LONG}' is not a stage name"),
        (["channels", "--stage", "qa", "--region", "us-west-2"], CREDENTIALS, "could not reach"),
    ],
)
def test_GIVEN_what_an_operator_can_fix_WHEN_run_THEN_refused_in_one_line(argv, env, says):
    assert_refused(run_command(*argv, env=env), says)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("RECORDING_BUCKET", "ivs-recordings-qa-111122223333"),
        ("MODERATION_ROOM_ARN", "arn:aws:ivschat:us-west-2:123456789012:room/ProdModerators1"),
        ("COGNITO_USER_POOL_ID", "<your user pool id>"),
    ],
)
def test_GIVEN_a_placeholder_in_the_stage_settings_WHEN_deployed_or_packaged_THEN_refused(
    tmp_path, setting, value
):
    project = tmp_path
    (project / ".chalice").mkdir()
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config["stages"]["qa"] = {"environment_variables": {setting: value}}
    (project / ".chalice" / "config.json").write_text(json.dumps(config))

    for command in ("deploy", "package"):
        result = run_command(command, "--stage", "qa", "--project-dir", str(project))
        assert_refused(result, f"config.json: stage qa's {setting} ")
