"""The deploy path, offline: what `chalice package` builds for each stage, and what AWS gets.

Each stage in .chalice/config.json is packaged once per session with `chalice package`,
in a subprocess whose environment has fake credentials and none of the app's settings
(conftest.py puts test values in os.environ), so only the stage's config can reach the
template. The SAM template is checked as written, transformed to CloudFormation with
aws-sam-translator as the SAM transform would, and both are linted with cfn-lint, as is
infra/tables.yaml. Nothing here talks to AWS.
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

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHALICE = pathlib.Path(sys.executable).parent / "chalice"
REGION = "us-west-2"
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
# The stages that deploy to AWS; `local` is the local stack's (local/stack.py supplies the rest).
STAGES = sorted(name for name, stage in CONFIG["stages"].items() if "iam_policy_file" in stage)
TABLES = yaml.safe_load((ROOT / "infra" / "tables.yaml").read_text())

FUNCTION = "ModerateThumbnail"  # Chalice's logical id for the `moderate_thumbnail` handler
# The settings the app reads at import time; conftest.py sets test values for them.
APP_SETTINGS = ("RECORDING_BUCKET", "DECISIONS_TABLE", "IDEMPOTENCY_TABLE", "MODERATION_ROOM_ARN")
# Where `chalice deploy` would have uploaded deployment.zip; any valid bucket name will do.
CODE_URI = "s3://ivs-moderation-artifacts-111122223333/ivs-moderation/deployment.zip"


def chalice_env() -> dict[str, str]:
    """os.environ with fake credentials and without the app's settings or endpoint overrides."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in APP_SETTINGS and not name.startswith("AWS_ENDPOINT_URL")
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION
    )
    return env


def chalice_package(
    stage: str, out: pathlib.Path, cwd: pathlib.Path
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHALICE), "package", "--stage", stage, str(out)],
        cwd=cwd,
        env=chalice_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def stage_environment(stage: str) -> dict[str, str]:
    """The stage's environment variables: the top-level ones, overridden by the stage's."""
    return {
        **CONFIG.get("environment_variables", {}),
        **CONFIG["stages"][stage].get("environment_variables", {}),
    }


def thumbnail_pattern(bucket: str) -> dict:
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
    """ManagedPolicyLoader stand-in: the template names no AWS managed policy, so no IAM call."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="session", params=STAGES)
def stage(request) -> str:
    return request.param


_packaged: dict[str, dict] = {}
_zip_names: dict[str, set[str]] = {}


@pytest.fixture(scope="session")
def packaged(stage, tmp_path_factory) -> dict:
    """sam.json of `chalice package --stage <stage>`, run once per stage per session."""
    if stage not in _packaged:  # pytest may set a parametrized session fixture up again
        out = tmp_path_factory.mktemp(f"package-{stage}") / "out"
        result = chalice_package(stage, out, cwd=ROOT)
        assert result.returncode == 0, f"chalice package failed:\n{result.stdout}{result.stderr}"
        _packaged[stage] = json.loads((out / "sam.json").read_text())
        with zipfile.ZipFile(out / "deployment.zip") as archive:
            _zip_names[stage] = set(archive.namelist())
    return _packaged[stage]


@pytest.fixture
def sam_template(packaged) -> dict:
    """The stage's SAM template, a copy of its own for each test."""
    return copy.deepcopy(packaged)


@pytest.fixture
def cfn_template(sam_template, monkeypatch) -> dict:
    """The SAM template after the AWS::Serverless-2016-10-31 transform."""
    for resource in sam_template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = CODE_URI
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)  # the translator's pseudo parameters need it
    return transform(sam_template, {}, NoManagedPolicies())


def function_properties(sam_template: dict, function: str = FUNCTION) -> dict:
    resource = sam_template["Resources"][function]
    assert resource["Type"] == "AWS::Serverless::Function"
    return resource["Properties"]


# --- the SAM template chalice package writes ------------------------------------------------


def test_GIVEN_stage_config_WHEN_packaged_THEN_function_is_triggered_by_jpgs_in_stage_bucket(
    stage, sam_template
):
    bucket = stage_environment(stage)["RECORDING_BUCKET"]
    events = function_properties(sam_template)["Events"]

    rules = [event for event in events.values() if event["Type"] == "CloudWatchEvent"]

    assert [rule["Properties"]["Pattern"] for rule in rules] == [thumbnail_pattern(bucket)]


def test_GIVEN_requirements_WHEN_packaged_THEN_the_zip_holds_lambda_builds_of_them(stage, packaged):
    names = _zip_names[stage]

    for needed in (
        "app.py",
        "chalicelib/moderation.py",
        "chalicelib/dashboard/dashboard.js",
        "aws_lambda_powertools/__init__.py",
        "jwt/__init__.py",
        "PIL/__init__.py",
    ):
        assert needed in names, needed
    # Compiled parts built for Lambda's Python (3.12, x86_64 Linux), not skipped by Chalice
    assert "PIL/_imaging.cpython-312-x86_64-linux-gnu.so" in names
    assert "cryptography/hazmat/bindings/_rust.abi3.so" in names
    assert not any(name.startswith(("tests/", "local/", "bench/")) for name in names)


def test_GIVEN_stage_config_WHEN_packaged_THEN_function_gets_the_stage_environment(
    stage, sam_template
):
    expected = stage_environment(stage)
    variables = function_properties(sam_template)["Environment"]["Variables"]

    assert {name: variables.get(name) for name in expected} == expected


@pytest.mark.parametrize(
    ("function", "policy_name"),
    [(FUNCTION, "policy-{stage}.json"), ("APIHandler", "policy-api-{stage}.json")],
)
def test_GIVEN_stage_policy_files_WHEN_packaged_THEN_each_role_has_exactly_its_policy(
    stage, sam_template, function, policy_name
):
    policy_file = ROOT / ".chalice" / policy_name.format(stage=stage)
    role_ref = function_properties(sam_template, function)["Role"]
    role_id = role_ref["Fn::GetAtt"][0]
    role = sam_template["Resources"][role_id]

    documents = [policy["PolicyDocument"] for policy in role["Properties"]["Policies"]]

    assert role["Type"] == "AWS::IAM::Role"
    assert role_ref == {"Fn::GetAtt": [role_id, "Arn"]}
    assert documents == [json.loads(policy_file.read_text())]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_GIVEN_stage_config_WHEN_packaged_THEN_the_api_serves_the_moderator_routes(sam_template):
    [api] = [r for r in sam_template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]

    paths = api["Properties"]["DefinitionBody"]["paths"]

    assert {path: sorted(methods) for path, methods in paths.items()} == {
        "/stop-stream": ["options", "post"],
        "/chat-token": ["options", "post"],
        "/decisions": ["get", "options"],
        "/frames": ["get", "options"],
        "/incidents": ["get", "options"],
        "/incidents/{incident_id}": ["get", "options"],
        "/incidents/{incident_id}/acknowledge": ["options", "post"],
        "/incidents/{incident_id}/resolve": ["options", "post"],
        "/incidents/{incident_id}/reopen": ["options", "post"],
        "/channels": ["get", "options"],
        "/stats": ["get", "options"],
        "/": ["get"],
        "/static/{name}": ["get"],
        "/config": ["get"],
    }


def test_GIVEN_stage_sam_template_WHEN_linted_THEN_no_errors_or_warnings(sam_template):
    findings = lint_findings(json.dumps(sam_template))

    assert not findings, "\n".join(findings)


# --- the CloudFormation the SAM transform makes of it -----------------------------------------


def test_GIVEN_stage_sam_template_WHEN_transformed_THEN_rule_targets_function_with_pattern(
    stage, cfn_template
):
    bucket = stage_environment(stage)["RECORDING_BUCKET"]
    resources = cfn_template["Resources"]
    rules = {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Events::Rule"
    }
    expected = {
        FUNCTION: thumbnail_pattern(bucket),
        "StreamStateChanged": {"source": ["aws.ivs"], "detail-type": ["IVS Stream State Change"]},
    }

    targets = {}
    for rule_id, rule in rules.items():
        [target] = rule["Targets"]
        function = target["Arn"]["Fn::GetAtt"][0]
        targets[function] = rule["EventPattern"]
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


def test_GIVEN_stage_cloudformation_template_WHEN_linted_THEN_no_errors_or_warnings(cfn_template):
    findings = lint_findings(json.dumps(cfn_template))

    assert not findings, "\n".join(findings)


# --- a stage without a recording bucket ----------------------------------------------------


def test_GIVEN_stage_without_recording_bucket_WHEN_packaged_THEN_fails_naming_the_variable(
    tmp_path,
):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib")
    for name in ("app.py", "requirements.txt"):
        shutil.copy(ROOT / name, project / name)
    (project / ".chalice").mkdir()
    for policy in (ROOT / ".chalice").glob("policy-*.json"):
        shutil.copy(policy, project / ".chalice" / policy.name)
    config = copy.deepcopy(CONFIG)
    del config["stages"]["dev"]["environment_variables"]["RECORDING_BUCKET"]
    assert "RECORDING_BUCKET" not in config.get("environment_variables", {})
    (project / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))

    result = chalice_package("dev", pathlib.Path("out"), cwd=project)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "RECORDING_BUCKET is not set" in output
    assert not (project / "out" / "sam.json").exists()


# --- infra/tables.yaml ---------------------------------------------------------------------


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


def test_GIVEN_tables_template_WHEN_deployed_for_a_stage_THEN_names_match_stage_config(stage):
    env = stage_environment(stage)
    resources = TABLES["Resources"]

    names = {
        setting: resources[logical_id]["Properties"]["TableName"]["Fn::Sub"].replace(
            "${Stage}", stage
        )
        for setting, logical_id in (
            ("DECISIONS_TABLE", "DecisionsTable"),
            ("IDEMPOTENCY_TABLE", "IdempotencyTable"),
            ("INCIDENTS_TABLE", "IncidentsTable"),
            ("CHANNELS_TABLE", "ChannelsTable"),
        )
    }

    assert names == {setting: env[setting] for setting in names}


def test_GIVEN_tables_template_WHEN_linted_THEN_no_errors_or_warnings():
    findings = lint_findings((ROOT / "infra" / "tables.yaml").read_text())

    assert not findings, "\n".join(findings)
