"""The templates, offline: the stage's resources stack, and what `make package` builds.

`python -m scripts.deploy package` runs once per stage per session, in a subprocess whose
environment has none of the app's settings (conftest.py puts test values in os.environ):
`ci`, a stage .chalice/config.json does not know (a new stage needs no edit), and `prod`,
whose thresholds are the operator's. The packaged SAM template is checked as written,
transformed to CloudFormation with aws-sam-translator as the SAM transform would, and both
are linted with cfn-lint, as are infra/resources.yaml, infra/tables.yaml and the stack
`make deploy` builds from them; checkov scans them all and may only find what
infra/checkov-exceptions.yaml accepts, with its reason. Nothing here talks to AWS.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import cfnlint.api
import pytest
import yaml
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from cfnlint.api import ManualArgs
from samtranslator.translator.transform import transform

from chalicelib.alerts.events import alert_pattern
from chalicelib.core.config import Settings
from scripts.deploy import naming, operations, policies, templates
from scripts.deploy.package import SENTINELS
from scripts.deploy.settings import OUTPUT_SETTINGS, RECORDED

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHALICE = pathlib.Path(sys.executable).parent / "chalice"
REGION = "us-west-2"
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = ("ci", "prod")
TABLES = yaml.safe_load((ROOT / "infra" / "tables.yaml").read_text())
RESOURCES = templates.resources_template()
EXCEPTIONS = yaml.safe_load((ROOT / "infra" / "checkov-exceptions.yaml").read_text())
CHECKOV_REQUIREMENTS = ROOT / "requirements-checkov.txt"
CHECKOV_VENV = ROOT / "build" / "tools" / "checkov"

FUNCTION = "ModerateThumbnail"  # Chalice's logical id for the `moderate_thumbnail` handler
# Where `chalice deploy` would have uploaded deployment.zip; any valid bucket name will do.
CODE_URI = "s3://ivs-moderation-artifacts/ivs-moderation/deployment.zip"


def scrubbed_env() -> dict[str, str]:
    """os.environ with fake credentials and without the app's settings or endpoint overrides."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in RECORDED and not name.startswith("AWS_")
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION
    )
    return env


def stage_environment(stage: str) -> dict[str, str]:
    """The operator's settings of the stage: the top-level ones, overridden by the stage's."""
    return {
        **CONFIG.get("environment_variables", {}),
        **CONFIG["stages"].get(stage, {}).get("environment_variables", {}),
    }


def thumbnail_pattern(bucket) -> dict:
    """The EventBridge pattern the rule must have, written out independently of the app."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [bucket]},
            "object": {"key": [{"suffix": ".jpg"}]},
        },
    }


def lint_findings(template: str) -> list[str]:
    """cfn-lint errors and warnings for a template (JSON or YAML text), one line each."""
    matches = cfnlint.api.lint(template, config=ManualArgs(regions=[REGION]))
    return [
        f"{match.rule.id} ({match.rule.severity}) {match}"
        for match in matches
        if match.rule.severity in ("error", "warning")
    ]


class NoManagedPolicies:
    """ManagedPolicyLoader stand-in: the template names no AWS managed policy that SAM must
    look up (the one it names is an ARN), so no IAM call."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="session", params=STAGES)
def stage(request) -> str:
    return request.param


_packaged: dict[str, pathlib.Path] = {}


@pytest.fixture(scope="session")
def package_dir(stage, tmp_path_factory) -> pathlib.Path:
    """build/<stage> of `python -m scripts.deploy package`, run once per stage per session."""
    if stage not in _packaged:  # pytest may set a parametrized session fixture up again
        out = tmp_path_factory.mktemp(f"package-{stage}")
        result = subprocess.run(
            [sys.executable, "-m", "scripts.deploy", "package", "--stage", stage, "--out", out],
            cwd=ROOT,
            env=scrubbed_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"package failed:\n{result.stdout}{result.stderr}"
        _packaged[stage] = out
    return _packaged[stage]


@pytest.fixture
def sam_template(package_dir) -> dict:
    """The stage's packaged SAM template, a copy of its own for each test."""
    return json.loads((package_dir / "sam.json").read_text())


def transformed(sam: dict, monkeypatch) -> dict:
    sam = copy.deepcopy(sam)
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = CODE_URI
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)  # the translator's pseudo parameters need it
    return transform(sam, {}, NoManagedPolicies())


@pytest.fixture
def cfn_template(sam_template, monkeypatch) -> dict:
    """The SAM template after the AWS::Serverless-2016-10-31 transform."""
    return transformed(sam_template, monkeypatch)


def function_properties(sam_template: dict, function: str = FUNCTION) -> dict:
    resource = sam_template["Resources"][function]
    assert resource["Type"] == "AWS::Serverless::Function"
    return resource["Properties"]


def reference(output: str):
    """How the template refers to what the resources stack outputs as `output`."""
    return RESOURCES["Outputs"][output]["Value"]


# --- the SAM template `make package` writes ------------------------------------------------


def test_GIVEN_a_stage_WHEN_packaged_THEN_function_is_triggered_by_jpgs_in_its_own_bucket(
    sam_template,
):
    events = function_properties(sam_template)["Events"]

    rules = [event for event in events.values() if event["Type"] == "CloudWatchEvent"]

    assert [rule["Properties"]["Pattern"] for rule in rules] == [
        thumbnail_pattern({"Ref": "RecordingBucket"})
    ]
    assert sam_template["Resources"]["RecordingBucket"]["Type"] == "AWS::S3::Bucket"


def test_GIVEN_requirements_WHEN_packaged_THEN_the_zip_holds_lambda_builds_of_them(package_dir):
    with zipfile.ZipFile(package_dir / "deployment.zip") as archive:
        names = set(archive.namelist())

    for needed in (
        "app.py",
        "chalicelib/frames/moderator.py",
        "chalicelib/dashboard/dashboard.js",
        "aws_lambda_powertools/__init__.py",
        "jwt/__init__.py",
        "PIL/__init__.py",
    ):
        assert needed in names, needed
    # Compiled parts built for Lambda's Python (3.12, x86_64 Linux), not skipped by Chalice
    assert "PIL/_imaging.cpython-312-x86_64-linux-gnu.so" in names
    assert "cryptography/hazmat/bindings/_rust.abi3.so" in names
    assert not any(name.startswith(("tests/", "local/", "bench/", "scripts/")) for name in names)


def test_GIVEN_a_stage_WHEN_packaged_THEN_functions_get_its_settings_and_its_resources(
    stage, sam_template
):
    operator = {k: v for k, v in stage_environment(stage).items() if k not in RECORDED}
    resources = {setting: reference(output) for output, setting in OUTPUT_SETTINGS.items()}

    for logical_id in naming.LOGICAL_IDS.values():
        variables = function_properties(sam_template, logical_id)["Environment"]["Variables"]
        assert {name: variables.get(name) for name in operator} == operator
        assert {name: variables.get(name) for name in resources} == resources
    assert not any(sentinel in json.dumps(sam_template) for sentinel in SENTINELS.values())


def test_GIVEN_a_stage_WHEN_packaged_THEN_each_function_has_its_own_role_and_generated_policy(
    stage, sam_template
):
    expected = policies.cloudformation(stage)

    for function, logical_id in naming.LOGICAL_IDS.items():
        role_ref = function_properties(sam_template, logical_id)["Role"]
        role_id = role_ref["Fn::GetAtt"][0]
        role = sam_template["Resources"][role_id]
        documents = [policy["PolicyDocument"] for policy in role["Properties"]["Policies"]]
        assert role["Type"] == "AWS::IAM::Role"
        assert role_ref == {"Fn::GetAtt": [role_id, "Arn"]}
        assert documents == [expected[function]], function
        assert "ManagedPolicyArns" not in role["Properties"]


def test_GIVEN_a_stage_WHEN_packaged_THEN_functions_are_named_capped_and_retried(
    stage, sam_template
):
    for function, logical_id in naming.LOGICAL_IDS.items():
        resource = sam_template["Resources"][logical_id]
        properties = resource["Properties"]
        assert properties["FunctionName"] == naming.function_name(stage, function)
        assert (
            properties["ReservedConcurrentExecutions"]
            == (operations.RESERVED_CONCURRENCY[function])
        )
        [log_group] = resource["DependsOn"]
        assert sam_template["Resources"][log_group]["Properties"]["LogGroupName"] == {
            "Fn::Sub": f"/aws/lambda/{naming.function_name('${Stage}', function)}"
        }
    thumbnail = function_properties(sam_template)["EventInvokeConfig"]
    assert thumbnail == {
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": operations.MAX_EVENT_AGE_SECONDS,
        "DestinationConfig": {
            "OnFailure": {
                "Type": "SQS",
                "Destination": {"Fn::GetAtt": ["FailedFramesQueue", "Arn"]},
            }
        },
    }
    [consumer] = function_properties(sam_template, "RecordFailedFrames")["Events"].values()
    assert consumer["Properties"]["Queue"] == {"Fn::GetAtt": ["FailedFramesQueue", "Arn"]}


def test_GIVEN_a_stage_WHEN_packaged_THEN_chat_logging_and_the_chat_queue_reach_their_functions(
    sam_template,
):
    resources = sam_template["Resources"]
    [consumer] = function_properties(sam_template, "ModerateChatMessages")["Events"].values()
    queue = resources["ChatMessagesQueue"]["Properties"]
    timeout = function_properties(sam_template, "ModerateChatMessages")["Timeout"]
    subscription = resources["ChatLogSubscription"]
    permission = resources[subscription["DependsOn"][0]]["Properties"]

    assert consumer["Properties"]["Queue"] == {"Fn::GetAtt": ["ChatMessagesQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert subscription["Properties"] == {
        "LogGroupName": {"Ref": "ChatLogGroup"},
        "FilterName": operations.CHAT_LOG_FILTER_NAME,
        "FilterPattern": operations.CHAT_LOG_FILTER,
        "DestinationArn": {"Fn::GetAtt": ["ChatLogReceived", "Arn"]},
    }
    assert permission["Principal"] == "logs.amazonaws.com"
    assert permission["FunctionName"] == {"Fn::GetAtt": ["ChatLogReceived", "Arn"]}
    log_group = reference("ChatLogGroupArn")["Fn::Sub"]
    assert permission["SourceArn"] == {"Fn::Sub": f"{log_group}:*"}
    assert function_properties(sam_template, "ReviewChatMessage")["MemorySize"] == 256


def test_GIVEN_the_chat_logging_configuration_THEN_it_writes_to_the_chat_log_group():
    configuration = RESOURCES["Resources"]["ChatLoggingConfiguration"]["Properties"]
    group = RESOURCES["Resources"]["ChatLogGroup"]["Properties"]

    assert configuration["DestinationConfiguration"] == {
        "CloudWatchLogs": {"LogGroupName": {"Ref": "ChatLogGroup"}}
    }
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_GIVEN_a_stage_WHEN_packaged_THEN_the_api_stage_is_throttled_and_logged(sam_template):
    api = sam_template["Resources"]["RestAPI"]["Properties"]

    assert api["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": operations.THROTTLE_RATE,
            "ThrottlingBurstLimit": operations.THROTTLE_BURST,
        }
    ]
    assert api["AccessLogSetting"] == {
        "DestinationArn": reference("ApiAccessLogGroupArn"),
        "Format": operations.ACCESS_LOG_FORMAT,
    }


def test_GIVEN_a_stage_WHEN_packaged_THEN_the_api_serves_the_moderator_routes(sam_template):
    [api] = [r for r in sam_template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]

    paths = api["Properties"]["DefinitionBody"]["paths"]

    assert {path: sorted(methods) for path, methods in paths.items()} == {
        "/stop-stream": ["options", "post"],
        "/chat-token": ["options", "post"],
        "/decisions": ["get", "options"],
        "/frames": ["get", "options"],
        "/export/decisions": ["get", "options"],
        "/incidents": ["get", "options"],
        "/incidents/{incident_id}": ["get", "options"],
        "/incidents/{incident_id}/acknowledge": ["options", "post"],
        "/incidents/{incident_id}/resolve": ["options", "post"],
        "/incidents/{incident_id}/reopen": ["options", "post"],
        "/incidents/{incident_id}/take-over": ["options", "post"],
        "/incidents/{incident_id}/assign": ["options", "post"],
        "/incidents/{incident_id}/release": ["options", "post"],
        "/incidents/{incident_id}/ban": ["options", "post"],
        "/incidents/{incident_id}/timeout": ["options", "post"],
        "/incidents/{incident_id}/unban": ["options", "post"],
        "/incidents/{incident_id}/delete-messages": ["options", "post"],
        "/chat/bans": ["get", "options"],
        "/chat/terms": ["delete", "get", "options", "put"],
        "/channels": ["get", "options"],
        "/stats": ["get", "options"],
        "/stats/backlog": ["get", "options"],
        "/teams": ["get", "options"],
        "/me": ["get", "options"],
        "/policies": ["get", "options"],
        "/policies/{name}": ["delete", "get", "options", "put"],
        "/policies/{name}/versions/{version}": ["get", "options"],
        "/policies/{name}/restore": ["options", "post"],
        "/policies/backtest": ["options", "post"],
        "/channels/{channel_arn}/policy": ["get", "options", "put"],
        "/watchlist": ["get", "options"],
        "/policy-log": ["get", "options"],
        "/watchlist/{channel_arn}": ["delete", "options", "put"],
        "/": ["get"],
        "/static/{name}": ["get"],
        "/config": ["get"],
    }


def test_GIVEN_a_stage_WHEN_packaged_THEN_its_parameters_default_to_the_stage(stage, sam_template):
    parameters = sam_template["Parameters"]

    assert parameters["Stage"]["Default"] == stage
    assert parameters["Stage"]["AllowedValues"] == [stage]
    assert set(RESOURCES["Outputs"]) <= set(sam_template["Outputs"])


def test_GIVEN_stage_sam_template_WHEN_linted_THEN_no_errors_or_warnings(sam_template):
    findings = lint_findings(json.dumps(sam_template))

    assert not findings, "\n".join(findings)


# --- the CloudFormation the SAM transform makes of it -----------------------------------------


def test_GIVEN_stage_sam_template_WHEN_transformed_THEN_rule_targets_function_with_pattern(
    cfn_template,
):
    resources = cfn_template["Resources"]
    rules = {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Events::Rule"
    }
    expected = {
        FUNCTION: thumbnail_pattern({"Ref": "RecordingBucket"}),
        "StreamStateChanged": {"source": ["aws.ivs"], "detail-type": ["IVS Stream State Change"]},
        "SendAlerts": alert_pattern(),
        "SlaSweep": "rate(1 minute)",
    }

    targets = {}
    for rule_id, rule in rules.items():
        [target] = rule["Targets"]
        function = target["Arn"]["Fn::GetAtt"][0]
        targets[function] = rule.get("EventPattern") or rule["ScheduleExpression"]
        assert resources[function]["Type"] == "AWS::Lambda::Function"
        permissions = [
            resource["Properties"]
            for resource in resources.values()
            if resource["Type"] == "AWS::Lambda::Permission"
            and resource["Properties"]["Principal"] == "events.amazonaws.com"
            and resource["Properties"]["SourceArn"] == {"Fn::GetAtt": [rule_id, "Arn"]}
        ]
        assert permissions == [
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": function},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]},
            }
        ]
    assert targets == expected


def test_GIVEN_stage_sam_template_WHEN_transformed_THEN_on_failure_destination_and_stage_settings(
    cfn_template,
):
    resources = cfn_template["Resources"]
    configs = {
        resource["Properties"]["FunctionName"]["Ref"]: resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::EventInvokeConfig"
    }
    [stage] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]

    assert set(configs) == {"ModerateThumbnail", "StreamStateChanged"}
    assert configs["ModerateThumbnail"]["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["FailedFramesQueue", "Arn"]}}
    }
    assert stage["AccessLogSetting"]["DestinationArn"] == reference("ApiAccessLogGroupArn")
    assert stage["MethodSettings"][0]["ThrottlingRateLimit"] == operations.THROTTLE_RATE


def test_GIVEN_stage_cloudformation_template_WHEN_linted_THEN_no_errors_or_warnings(cfn_template):
    findings = lint_findings(json.dumps(cfn_template))

    assert not findings, "\n".join(findings)


# --- the app's own guard -------------------------------------------------------------------


def test_GIVEN_stage_without_recording_bucket_WHEN_chalice_packages_THEN_fails_naming_it(
    tmp_path,
):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib")
    for name in ("app.py", "requirements.txt"):
        shutil.copy(ROOT / name, project / name)
    (project / ".chalice").mkdir()
    (project / ".chalice" / "policy.json").write_text(
        json.dumps(policies.cloudformation("dev")["moderate_thumbnail"])
    )
    config = copy.deepcopy(CONFIG)
    config["stages"]["dev"] = {
        "iam_policy_file": "policy.json",
        "environment_variables": {"FAILED_FRAMES_QUEUE": "ivs-moderation-dev-failed-frames"},
    }
    (project / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))

    result = subprocess.run(
        [str(CHALICE), "package", "--stage", "dev", "out"],
        cwd=project,
        env=scrubbed_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "RECORDING_BUCKET is not set" in output
    assert not (project / "out" / "sam.json").exists()


# --- the resources stack (infra/resources.yaml + infra/tables.yaml) ------------------------


def key_schema(definition: dict) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in definition["KeySchema"]}


def attribute_types(table: dict) -> dict[str, str]:
    return {
        attribute["AttributeName"]: attribute["AttributeType"]
        for attribute in table["AttributeDefinitions"]
    }


def test_GIVEN_tables_template_WHEN_read_THEN_decisions_table_has_the_keys_the_store_uses():
    table = TABLES["Resources"]["DecisionsTable"]["Properties"]

    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}

    assert key_schema(table) == {"HASH": "channelArn", "RANGE": "sortKey"}
    assert list(indexes) == ["byDay"]
    assert key_schema(indexes["byDay"]) == {"HASH": "day", "RANGE": "sortKey"}
    assert attribute_types(table) == {"channelArn": "S", "sortKey": "S", "day": "S"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


def test_GIVEN_tables_template_WHEN_read_THEN_idempotency_table_matches_powertools_defaults():
    table = TABLES["Resources"]["IdempotencyTable"]["Properties"]
    defaults = inspect.signature(DynamoDBPersistenceLayer).parameters

    # app.py relies on these defaults: it passes neither key_attr nor expiry_attr.
    assert defaults["key_attr"].default == "id"
    assert defaults["expiry_attr"].default == "expiration"
    assert defaults["sort_key_attr"].default is None
    assert key_schema(table) == {"HASH": "id"}
    assert attribute_types(table) == {"id": "S"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_GIVEN_the_tables_THEN_every_one_can_be_restored_to_a_point_in_time():
    for logical_id, table in TABLES["Resources"].items():
        specification = table["Properties"]["PointInTimeRecoverySpecification"]
        assert specification == {"PointInTimeRecoveryEnabled": True}, logical_id


def test_GIVEN_the_stacks_outputs_WHEN_recorded_THEN_the_app_has_every_setting_it_requires():
    outputs = {
        "RecordingBucket": "ivs-moderation-qa-210987654321-us-west-2",
        "DecisionsTable": "ivs-moderation-qa-decisions",
        "IdempotencyTable": "ivs-moderation-qa-idempotency",
        "IncidentsTable": "ivs-moderation-qa-incidents",
        "ChannelsTable": "ivs-moderation-qa-channels",
        "FailedFramesQueueName": "ivs-moderation-qa-failed-frames",
        "ModerationRoomArn": "arn:aws:ivschat:us-west-2:210987654321:room/AbCdEfGh1234",
        "UserPoolId": "us-west-2_AbC123xyz",
        "AppClientId": "1example23456789",
        "ModeratorsGroup": "moderators",
        "TriageGroup": "triage",
        "AdminsGroup": "admins",
        "ThumbnailStorage": "SEQUENTIAL,LATEST",
        "ChatTable": "ivs-moderation-qa-chat",
        "PoliciesTable": "ivs-moderation-qa-policies",
        "ChatMessagesQueueName": "ivs-moderation-qa-chat-messages",
        "ChatMessagesQueueUrl": "https://sqs.us-west-2.amazonaws.com/210987654321/ivs-moderation-qa-chat-messages",
        "AlertTopicArn": "arn:aws:sns:us-west-2:210987654321:ivs-moderation-qa-alerts",
    }

    recorded = {setting: outputs[output] for output, setting in OUTPUT_SETTINGS.items()}

    assert set(OUTPUT_SETTINGS) <= set(RESOURCES["Outputs"])
    settings = Settings.from_env(recorded)
    assert settings.thumbnail_storage == {"SEQUENTIAL", "LATEST"}


def test_GIVEN_the_recording_configuration_THEN_its_storage_is_the_apps_setting():
    thumbnails = RESOURCES["Resources"]["RecordingConfiguration"]["Properties"][
        "ThumbnailConfiguration"
    ]
    storage = RESOURCES["Parameters"]["ThumbnailStorage"]

    assert thumbnails["RecordingMode"] == "INTERVAL"
    assert thumbnails["TargetIntervalSeconds"] == {"Ref": "ThumbnailIntervalSeconds"}
    assert thumbnails["Storage"] == {"Fn::Split": [",", {"Ref": "ThumbnailStorage"}]}
    assert RESOURCES["Outputs"]["ThumbnailStorage"]["Value"] == {"Ref": "ThumbnailStorage"}
    for value in storage["AllowedValues"]:  # every value the template takes, the app takes
        Settings.from_env(
            {
                "THUMBNAIL_STORAGE": value,
                # names of three characters, each setting its own (the groups must differ)
                **{s: f"x{n:02}" for n, s in enumerate(sorted(RECORDED - {"THUMBNAIL_STORAGE"}))},
                "MODERATION_ROOM_ARN": "arn:aws:ivschat:us-west-2:210987654321:room/Ab1",
                "COGNITO_USER_POOL_ID": "us-west-2_Ab1",
                "ALERT_TOPIC_ARN": "arn:aws:sns:us-west-2:210987654321:ivs-moderation-x-alerts",
            }
        )


@pytest.mark.parametrize(
    "template",
    ["infra/resources.yaml", "infra/tables.yaml", "the stage's resources stack"],
)
def test_GIVEN_the_resources_templates_WHEN_linted_THEN_no_errors_or_warnings(template):
    infra = template.startswith("infra/")
    text = (ROOT / template).read_text() if infra else json.dumps(RESOURCES)

    findings = lint_findings(text)

    assert not findings, "\n".join(findings)


# --- checkov ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def checkov() -> pathlib.Path:
    """checkov, in a virtualenv of its own: it pins boto3 far below the app's."""
    marker = CHECKOV_VENV / ".installed"
    wanted = CHECKOV_REQUIREMENTS.read_text()
    if not marker.exists() or marker.read_text() != wanted:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(CHECKOV_VENV)], check=True)
        result = subprocess.run(
            [CHECKOV_VENV / "bin" / "pip", "install", "--quiet", "-r", CHECKOV_REQUIREMENTS],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert result.returncode == 0, f"could not install checkov:\n{result.stderr[-3000:]}"
        marker.write_text(wanted)
    return CHECKOV_VENV / "bin" / "checkov"


@pytest.fixture(scope="session")
def checkov_findings(checkov, tmp_path_factory) -> dict[str, set[tuple[str, str]]]:
    """(check, logical id) checkov fails, per template: the resources stack and the `ci`
    package before and after the SAM transform."""
    directory = tmp_path_factory.mktemp("checkov")
    (directory / "resources-stack.json").write_text(json.dumps(RESOURCES, indent=1))
    out = tmp_path_factory.mktemp("package-for-checkov")
    subprocess.run(
        [sys.executable, "-m", "scripts.deploy", "package", "--stage", "ci", "--out", out],
        cwd=ROOT,
        env=scrubbed_env(),
        check=True,
        capture_output=True,
    )
    sam = json.loads((out / "sam.json").read_text())
    (directory / "packaged-sam.json").write_text(json.dumps(sam, indent=1))
    with pytest.MonkeyPatch.context() as patch:
        (directory / "packaged-cloudformation.json").write_text(
            json.dumps(transformed(sam, patch), indent=1)
        )
    result = subprocess.run(
        [checkov, "-d", directory, "--framework", "cloudformation", "-o", "json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(result.stdout)
    findings: dict[str, set[tuple[str, str]]] = {
        name: set() for name in ("resources-stack", "packaged-sam", "packaged-cloudformation")
    }
    for check in report["results"]["failed_checks"]:
        template = pathlib.Path(check["file_path"]).stem
        findings[template].add((check["check_id"], check["resource"].split(".", 1)[1]))
    assert report["summary"]["passed"] > 0, result.stdout[:2000]
    return findings


def accepted() -> set[tuple[str, str]]:
    return {
        (check, resource)
        for check, exception in EXCEPTIONS.items()
        for resource in exception["resources"]
    }


@pytest.mark.parametrize("template", ["resources-stack", "packaged-sam", "packaged-cloudformation"])
def test_GIVEN_a_template_WHEN_checkov_scans_it_THEN_it_finds_only_what_is_accepted(
    template, checkov_findings
):
    unexpected = checkov_findings[template] - accepted()

    assert not unexpected, "\n".join(
        f"{check} {resource}" for check, resource in sorted(unexpected)
    )


def test_GIVEN_the_accepted_findings_THEN_each_is_still_found_and_has_a_reason(checkov_findings):
    found = set().union(*checkov_findings.values())

    assert accepted() - found == set(), "accepted but no longer found: remove them"
    for check, exception in EXCEPTIONS.items():
        assert len(exception["why"]) > 40, check
