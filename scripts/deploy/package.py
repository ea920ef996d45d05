"""`make package STAGE=...`: one template for a pipeline (`aws cloudformation deploy`, `sam
deploy`) with everything `make deploy` creates: the resources stack's resources, Chalice's
functions and API, the generated policies, and what `make deploy` applies after Chalice.

`chalice package` builds the functions in a scratch project whose stage settings name the
resources by sentinel values; each sentinel is then replaced by a reference to the resource
in the same template (the equivalent of `chalice package --merge-template`, with the
references put where Chalice wrote the values), and no sentinel may be left.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

from scripts.deploy import naming, operations, policies, templates
from scripts.deploy.deploy import PARAMETERS, Options, check_options, chosen_settings
from scripts.deploy.settings import (
    API_GATEWAY_STAGE,
    FUNCTION_SETTINGS,
    OUTPUT_SETTINGS,
    RECORDED,
    ProjectConfig,
)
from scripts.deploy.steps import CHALICE, StepFailed

# What the functions' settings name while Chalice packages them (valid names: app.py
# validates the bucket and the queue when Chalice imports it).
SENTINELS = {setting: f"packaged-{setting.lower().replace('_', '-')}" for setting in RECORDED}
SHARED = ("app.py", "chalicelib", "requirements.txt")
# The queue settings, and the queues (infra/resources.yaml) the SQS event sources consume.
QUEUES = {"FAILED_FRAMES_QUEUE": "FailedFramesQueue", "CHAT_MESSAGES_QUEUE": "ChatMessagesQueue"}


def package(
    project: pathlib.Path, options: Options, out: pathlib.Path, say: Callable[[str], None]
) -> pathlib.Path:
    """Write out/sam.json and out/deployment.zip; returns the template's path."""
    stage = naming.check_stage(options.stage)
    check_options(options)
    config = ProjectConfig(project)
    config.check(stage)
    scratch = out / "project"
    _scratch_project(project, config, stage, options, scratch)
    built = out / "chalice"
    shutil.rmtree(built, ignore_errors=True)
    say(f"chalice package --stage {stage} (in {scratch})")
    result = subprocess.run(
        [str(CHALICE), "--project-dir", str(scratch), "package", "--stage", stage, str(built)],
        env=_package_environment(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StepFailed(f"chalice package failed:\n{result.stdout}{result.stderr}")
    template = complete(json.loads((built / "sam.json").read_text()), stage, options)
    path = out / "sam.json"
    path.write_text(json.dumps(template, indent=2) + "\n")
    shutil.copy(built / "deployment.zip", out / "deployment.zip")
    say(f"wrote {path} and {out / 'deployment.zip'}")
    return path


def complete(sam: dict[str, Any], stage: str, options: Options) -> dict[str, Any]:
    """Chalice's SAM template with the stage's resources in it, referenced where Chalice
    wrote their names, and what `make deploy` sets after `chalice deploy`."""
    template = copy.deepcopy(sam)
    resources_template = templates.resources_template()
    _defaults(resources_template["Parameters"], stage, options)
    for section in templates.SECTIONS:
        ours = resources_template.get(section, {})
        theirs = template.setdefault(section, {})
        clash = set(ours) & set(theirs)
        if clash:
            raise ValueError(f"{section} {sorted(clash)} are both Chalice's and infra/'s")
        theirs.update(ours)
    references = {
        SENTINELS[setting]: resources_template["Outputs"][output]["Value"]
        for output, setting in OUTPUT_SETTINGS.items()
    }
    log_groups = _log_groups(resources_template, stage)
    resources = template["Resources"]
    for function, logical_id in naming.LOGICAL_IDS.items():
        function_resource = resources[logical_id]
        properties = function_resource["Properties"]
        properties["FunctionName"] = naming.function_name(stage, function)
        variables = properties.get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            variables[name] = references.get(value, value)
        config = operations.event_invoke_config(
            function, {"Fn::GetAtt": ["FailedFramesQueue", "Arn"]}
        )
        if config:
            properties["EventInvokeConfig"] = _sam_event_invoke_config(config)
        # Lambda would create the log group itself (without a retention) if it wrote first.
        function_resource["DependsOn"] = [log_groups[f"/aws/lambda/{properties['FunctionName']}"]]
        for event in properties.get("Events", {}).values():
            _reference_resources(event, references)
    _subscribe_chat_logs(resources, resources_template)
    _configure_api(resources["RestAPI"]["Properties"])
    text = json.dumps(template)
    left = [sentinel for sentinel in SENTINELS.values() if sentinel in text]
    if left:
        raise ValueError(f"no reference replaced {left} in the packaged template")
    return template


def _scratch_project(
    project: pathlib.Path,
    config: ProjectConfig,
    stage: str,
    options: Options,
    scratch: pathlib.Path,
) -> None:
    """The app, linked, and a config whose stage names the resources by their sentinels."""
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / ".chalice").mkdir(parents=True)
    for name in SHARED:
        (scratch / name).symlink_to(project / name)
    cache = project / ".chalice" / "deployments"  # Chalice's build cache, shared
    cache.mkdir(exist_ok=True)
    (scratch / ".chalice" / "deployments").symlink_to(cache)
    repository = config.load()
    entry = copy.deepcopy(repository.get("stages", {}).get(stage, {}))
    variables = {
        name: value
        for name, value in entry.get("environment_variables", {}).items()
        if name not in RECORDED
    }
    variables.update(chosen_settings(options, variables))
    entry["environment_variables"] = {**variables, **SENTINELS}
    entry["api_gateway_stage"] = API_GATEWAY_STAGE
    adapter = options.adapter_arn or config.environment(stage).get("MODERATION_ADAPTER_ARN", "")
    documents = policies.cloudformation(stage, adapter)
    functions = entry.setdefault("lambda_functions", {})
    for function, document in documents.items():
        file = naming.policy_file(stage, function)
        (scratch / ".chalice" / file).write_text(json.dumps(document, indent=2))
        functions.setdefault(function, {}).update(
            iam_policy_file=file,
            reserved_concurrency=operations.RESERVED_CONCURRENCY[function],
            **FUNCTION_SETTINGS.get(function, {}),
        )
    generated = {**repository, "stages": {stage: entry}}
    (scratch / ".chalice" / "config.json").write_text(json.dumps(generated, indent=2))


def _package_environment() -> dict[str, str]:
    """`chalice package` calls no AWS API; it only needs a region (and, to start, credentials)."""
    env = {name: value for name, value in os.environ.items() if name not in RECORDED}
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-west-2"))
    if not (env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE")):
        env.update(AWS_ACCESS_KEY_ID="packaging", AWS_SECRET_ACCESS_KEY="packaging")
    return env


def _defaults(parameters: dict[str, Any], stage: str, options: Options) -> None:
    parameters["Stage"].update(Default=stage, AllowedValues=[stage])
    defaults = {
        **{parameter: getattr(options, field) for field, (parameter, _) in PARAMETERS.items()},
        "ModeratorEmail": options.moderator_email,
        "ModeratorName": options.moderator_name,
        "AlarmEmail": options.alarm_email or options.moderator_email,
    }
    for name, value in defaults.items():
        if value not in ("", None):
            parameters[name]["Default"] = value


def _log_groups(template: Mapping[str, Any], stage: str) -> dict[str, str]:
    """Log group name -> its logical id in infra/resources.yaml."""
    return {
        resource["Properties"]["LogGroupName"]["Fn::Sub"].replace("${Stage}", stage): logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Logs::LogGroup"
    }


def _sam_event_invoke_config(config: Mapping[str, Any]) -> dict[str, Any]:
    sam = {
        "MaximumRetryAttempts": config["MaximumRetryAttempts"],
        "MaximumEventAgeInSeconds": config["MaximumEventAgeInSeconds"],
    }
    if "DestinationConfig" in config:
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        sam["DestinationConfig"] = {"OnFailure": {"Type": "SQS", "Destination": destination}}
    return sam


def _reference_resources(event: dict[str, Any], references: Mapping[str, Any]) -> None:
    """Put the resources' references where Chalice wrote their sentinel names."""
    properties = event.get("Properties", {})
    if event.get("Type") == "CloudWatchEvent":
        buckets = properties["Pattern"].get("detail", {}).get("bucket", {})
        if "name" in buckets:
            buckets["name"] = [references.get(name, name) for name in buckets["name"]]
    if event.get("Type") == "SQS":
        queue = json.dumps(properties["Queue"])
        for setting, logical_id in QUEUES.items():
            if re.search(re.escape(SENTINELS[setting]) + r"(?![\w-])", queue):
                properties["Queue"] = {"Fn::GetAtt": [logical_id, "Arn"]}


def _subscribe_chat_logs(resources: dict[str, Any], resources_template: Mapping[str, Any]) -> None:
    """Chat logging's subscription to chat_log_received, as `make deploy` sets it after
    `chalice deploy` (operations.subscribe_chat_logs)."""
    function = naming.LOGICAL_IDS[operations.CHAT_LOG_FUNCTION]
    log_group = resources_template["Outputs"]["ChatLogGroupArn"]["Value"]["Fn::Sub"]
    resources["ChatLogReceivedPermission"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function, "Arn"]},
            "Principal": "logs.amazonaws.com",
            "SourceArn": {"Fn::Sub": f"{log_group}:*"},
            "SourceAccount": {"Ref": "AWS::AccountId"},
        },
    }
    resources["ChatLogSubscription"] = {
        "Type": "AWS::Logs::SubscriptionFilter",
        "DependsOn": ["ChatLogReceivedPermission"],
        "Properties": {
            "LogGroupName": {"Ref": "ChatLogGroup"},
            "FilterName": operations.CHAT_LOG_FILTER_NAME,
            "FilterPattern": operations.CHAT_LOG_FILTER,
            "DestinationArn": {"Fn::GetAtt": [function, "Arn"]},
        },
    }


def _configure_api(properties: dict[str, Any]) -> None:
    properties["MethodSettings"] = [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": operations.THROTTLE_RATE,
            "ThrottlingBurstLimit": operations.THROTTLE_BURST,
        }
    ]
    properties["AccessLogSetting"] = {
        "DestinationArn": templates.resources_template()["Outputs"]["ApiAccessLogGroupArn"][
            "Value"
        ],
        "Format": operations.ACCESS_LOG_FORMAT,
    }
    # Access logs need API Gateway's account role first: when this template sets it, the
    # API waits for it (a reference only where the condition holds; DependsOn cannot be).
    properties["Description"] = {
        "Fn::If": [
            "SetApiGatewayAccount",
            {"Fn::Sub": "ivs-moderation ${Stage} (logs role ${ApiGatewayAccount})"},
            {"Fn::Sub": "ivs-moderation ${Stage}"},
        ]
    }
