"""The `local` stage: its settings from .chalice/config.json, and its Lambda functions."""

from __future__ import annotations

import json
import pathlib

from chalice.config import Config
from chalice.constants import DEFAULT_LAMBDA_MEMORY_SIZE, DEFAULT_LAMBDA_TIMEOUT

from local.routes import Function

ROOT = pathlib.Path(__file__).resolve().parent.parent
STAGE = "local"
REGION = "us-west-2"
ACCOUNT = "123456789012"  # moto's default account; the emulator uses the same


def chalice_config() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


def stage_environment() -> dict[str, str]:
    """The `local` stage's variables from .chalice/config.json, as Chalice applies them."""
    config = chalice_config()
    return {**config["environment_variables"], **config["stages"][STAGE]["environment_variables"]}


def lambda_function(app_name: str, handler: str) -> Function:
    """The Lambda function `chalice deploy --stage local` would make of `handler`."""
    config = Config(
        chalice_stage=STAGE,
        function_name=handler,
        config_from_disk=chalice_config(),
        default_params={
            "lambda_timeout": DEFAULT_LAMBDA_TIMEOUT,
            "lambda_memory_size": DEFAULT_LAMBDA_MEMORY_SIZE,
        },
    )
    name = f"{app_name}-{STAGE}-{handler}"
    return Function(
        handler=handler,
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        timeout_seconds=config.lambda_timeout,
        memory_mb=config.lambda_memory_size,
    )
