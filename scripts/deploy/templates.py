"""The stage's resources template: infra/resources.yaml and infra/tables.yaml as one stack."""

from __future__ import annotations

import copy
import json
import pathlib
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
PARTS = ("resources.yaml", "tables.yaml")
SECTIONS = ("Parameters", "Rules", "Conditions", "Resources", "Outputs")
# CloudFormation takes a template body of at most 51,200 bytes without an S3 upload.
MAX_BODY = 51_200


@cache
def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((INFRA / name).read_text())


def resources_template() -> dict[str, Any]:
    """Both files' sections merged; a name defined twice must be defined the same way."""
    first = _load(PARTS[0])
    composed: dict[str, Any] = {
        "AWSTemplateFormatVersion": first["AWSTemplateFormatVersion"],
        "Description": first["Description"],
    }
    for section in SECTIONS:
        merged: dict[str, Any] = {}
        for name in PARTS:
            for key, value in _load(name).get(section, {}).items():
                if key in merged and merged[key] != value:
                    raise ValueError(f"infra/{name}: {section}.{key} differs from another part's")
                merged[key] = copy.deepcopy(value)
        if merged:
            composed[section] = merged
    return composed


def body(template: Mapping[str, Any]) -> str:
    text = json.dumps(template, separators=(",", ":"))
    if len(text.encode()) > MAX_BODY:
        raise ValueError(f"the template is {len(text)} bytes, over CloudFormation's {MAX_BODY}")
    return text


def retained_names(stage: str, account: str, region: str) -> dict[str, tuple[str, str]]:
    """The named resources a deleted stack leaves behind (DeletionPolicy Retain):
    logical id -> (resource type, name)."""
    names = {}
    values = {"Stage": stage, "AWS::AccountId": account, "AWS::Region": region}
    for logical_id, resource in resources_template()["Resources"].items():
        if resource.get("DeletionPolicy") != "Retain":
            continue
        properties = resource.get("Properties", {})
        for key in ("BucketName", "TableName"):
            if key in properties:
                pattern = properties[key]["Fn::Sub"]
                name = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], pattern)
                names[logical_id] = (resource["Type"], name)
    return names
