"""Steps that deploy and destroy share: running Chalice, finding the data a stage keeps."""

from __future__ import annotations

import pathlib
import subprocess
import sys
from collections.abc import Callable

import botocore.exceptions

from scripts.deploy import naming, templates
from scripts.deploy.aws import Target
from scripts.deploy.naming import Refusal

CHALICE = pathlib.Path(sys.executable).parent / "chalice"


class StepFailed(Exception):
    """A step failed after the checks passed; the message says which and why."""


def run_chalice(
    target: Target, project: pathlib.Path, arguments: list[str], say: Callable[[str], None]
) -> None:
    """`chalice <arguments>` on the target's account and region, its output shown indented."""
    command = [str(CHALICE), "--project-dir", str(project), *arguments]
    process = subprocess.Popen(
        command,
        cwd=project,
        env=target.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in process.stdout:
        if line.strip():
            say(f"    {line.rstrip()}")
    if process.wait() != 0:
        raise StepFailed(f"chalice {' '.join(arguments)} failed (its output is above)")


def retained_data(target: Target, stage: str) -> list[tuple[str, str]]:
    """The stage's recordings bucket and decision-log tables that exist: (type, name)."""
    found = []
    named = templates.retained_names(stage, target.account, target.region)
    for resource_type, name in named.values():
        try:
            if resource_type == "AWS::S3::Bucket":
                target.client("s3").head_bucket(Bucket=name)
            else:
                target.client("dynamodb").describe_table(TableName=name)
        except botocore.exceptions.ClientError:
            continue
        found.append((resource_type, name))
    return found


def refuse_unrecorded_functions(target: Target, stage: str, deployed: dict) -> None:
    """Chalice knows what it deployed from .chalice/deployed/STAGE.json alone: without it, a
    deploy would make a second API, a destroy would leave the functions behind."""
    if deployed:
        return
    lambda_client = target.client("lambda")
    found = []
    for function in naming.FUNCTIONS:
        name = naming.function_name(stage, function)
        try:
            lambda_client.get_function(FunctionName=name)
        except botocore.exceptions.ClientError:
            continue
        found.append(name)
    if found:
        raise Refusal(
            f"stage {stage}'s functions exist ({found[0]}, ...) but this checkout has no "
            f".chalice/deployed/{stage}.json, Chalice's record of them: run this where the stage "
            "was deployed, or copy that file here"
        )
