"""The functions' IAM policies, made from infra/permissions.yaml (never written by hand).

`concrete` renders them for one deployment (its account, region and resources: what
`chalice deploy` needs); `cloudformation` renders them as Fn::Sub for a template that
creates those resources itself (`make package`).
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from scripts.deploy import naming

ROOT = pathlib.Path(__file__).resolve().parents[2]
PERMISSIONS = ROOT / "infra" / "permissions.yaml"
_VARIABLE = re.compile(r"\$\{([^}]+)\}")
MODEL = "moderation-model"


@dataclass(frozen=True)
class Deployment:
    """What a stage's policies name: its account, region and the resources stack's outputs."""

    stage: str
    account: str
    region: str
    outputs: Mapping[str, str]
    adapter_arn: str = ""
    partition: str = "aws"

    def variables(self, function: str) -> dict[str, str]:
        out = self.outputs
        return {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "Stage": self.stage,
            "FunctionName": naming.function_name(self.stage, function),
            "RecordingBucket": out["RecordingBucket"],
            "DecisionsTable": out["DecisionsTable"],
            "IdempotencyTable": out["IdempotencyTable"],
            "IncidentsTable": out["IncidentsTable"],
            "ChannelsTable": out["ChannelsTable"],
            "ModerationRoom.Arn": out["ModerationRoomArn"],
            "FailedFramesQueue.Arn": out["FailedFramesQueueArn"],
            "ChatTable": out["ChatTable"],
            "PoliciesTable": out["PoliciesTable"],
            "ChatMessagesQueue.Arn": out["ChatMessagesQueueArn"],
        }


@cache
def description() -> dict[str, Any]:
    return yaml.safe_load(PERMISSIONS.read_text())


def functions() -> tuple[str, ...]:
    return tuple(description()["functions"])


def concrete(deployment: Deployment) -> dict[str, dict]:
    """Each function's policy document for this deployment, every ARN spelled out."""
    return {
        function: _document(
            function,
            lambda pattern, function=function: _substitute(
                pattern, deployment.variables(function), strict=True
            ),
            deployment.adapter_arn,
        )
        for function in functions()
    }


def cloudformation(stage: str, adapter_arn: str = "") -> dict[str, dict]:
    """Each function's policy document for a template that creates the resources it names."""

    def render(pattern: str, function: str) -> Any:
        known = {"FunctionName": naming.function_name(stage, function)}
        text = _substitute(pattern, known, strict=False)
        return {"Fn::Sub": text} if "${" in text else text

    return {
        function: _document(function, lambda p, f=function: render(p, f), adapter_arn)
        for function in functions()
    }


def _document(function: str, render, adapter_arn: str) -> dict:
    patterns = description()["resources"]
    statements = []
    for sid, statement in description()["functions"][function].items():
        resources = []
        for name in statement["resources"]:
            if name == MODEL and adapter_arn:
                # A Custom Moderation adapter: the grant names that project version only.
                resources.append(adapter_arn)
            else:
                resources.append(render(patterns[name]))
        actions = statement["actions"]
        statements.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": actions[0] if len(actions) == 1 else list(actions),
                "Resource": resources[0] if len(resources) == 1 else resources,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _substitute(pattern: str, variables: Mapping[str, str], strict: bool) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return variables[name]
        if strict:
            raise KeyError(f"{PERMISSIONS.name}: nothing to put in ${{{name}}}")
        return match.group(0)

    return _VARIABLE.sub(value, pattern)
