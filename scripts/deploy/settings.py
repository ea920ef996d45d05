"""A stage's entry in .chalice/config.json: what `make deploy` records there, and checks.

The resources stack's outputs become the stage's environment variables (the settings
chalicelib/core/config.py and chalicelib/chat/settings.py read); each function gets its
generated policy file, the settings in FUNCTION_SETTINGS and, when the account can afford
it, a reserved concurrency. Everything else in the entry (thresholds,
TTLs, ...) is the operator's and is left as it is.
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Mapping
from typing import Any

from scripts.deploy import naming
from scripts.deploy.naming import Refusal

# Stack output -> the setting it becomes.
OUTPUT_SETTINGS = {
    "RecordingBucket": "RECORDING_BUCKET",
    "DecisionsTable": "DECISIONS_TABLE",
    "IdempotencyTable": "IDEMPOTENCY_TABLE",
    "IncidentsTable": "INCIDENTS_TABLE",
    "ChannelsTable": "CHANNELS_TABLE",
    "FailedFramesQueueName": "FAILED_FRAMES_QUEUE",
    "ModerationRoomArn": "MODERATION_ROOM_ARN",
    "UserPoolId": "COGNITO_USER_POOL_ID",
    "AppClientId": "COGNITO_APP_CLIENT_IDS",
    "ModeratorsGroup": "MODERATORS_GROUP",
    "TriageGroup": "TRIAGE_GROUP",
    "AdminsGroup": "ADMINS_GROUP",
    "ThumbnailStorage": "THUMBNAIL_STORAGE",
    "ChatTable": "CHAT_TABLE",
    "PoliciesTable": "POLICIES_TABLE",
    "ChatMessagesQueueName": "CHAT_MESSAGES_QUEUE",
    "ChatMessagesQueueUrl": "CHAT_MESSAGES_QUEUE_URL",
    "AlertTopicArn": "ALERT_TOPIC_ARN",
}
RECORDED = frozenset(OUTPUT_SETTINGS.values())
# Chalice settings the deploy gives a function in the stage's entry (deploy's own: rewritten
# on every run). The review handler's 200 ms budget: more memory is more CPU and a faster
# cold start. The deep pass's timeout is what the chat queue's visibility timeout is six
# times (infra/resources.yaml).
FUNCTION_SETTINGS = {
    "review_chat_message": {"lambda_memory_size": 256, "lambda_timeout": 3},
    "moderate_chat_messages": {"lambda_timeout": 60},
}
API_GATEWAY_STAGE = (
    "api"  # the dashboard is at https://<api>.execute-api.<region>.amazonaws.com/api/
)

# Values copied from documentation rather than from a deployment.
_EXAMPLE_ACCOUNTS = re.compile(
    r"(?<!\d)(111122223333|123456789012|444455556666|000000000000)(?!\d)"
)
_EXAMPLE_WORDS = re.compile(
    r"(?i)(example\.(com|org|net)\b|\.invalid\b|<[^>]*>|\bchange[-_ ]?me\b|\breplace[-_ ]?me\b"
    r"|\bplaceholder\b|\btodo\b|\bxxx+\b|\bmy-bucket\b|\byour[-_])"
)


def placeholder(value: str) -> str | None:
    """Why a value looks copied from an example, or None."""
    if match := _EXAMPLE_ACCOUNTS.search(value):
        return f"names the documentation's example account {match.group(1)}"
    if match := _EXAMPLE_WORDS.search(value):
        return f"contains the placeholder {match.group(0)!r}"
    return None


class ProjectConfig:
    """.chalice/config.json and the policy files beside it, of one project directory."""

    def __init__(self, project: pathlib.Path) -> None:
        self.project = project
        self.directory = project / ".chalice"
        self.path = self.directory / "config.json"

    def load(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            raise Refusal(
                f"{self.path} is missing: run this from the project's directory"
            ) from None
        except json.JSONDecodeError as error:
            raise Refusal(f"{self.path} is not valid JSON (line {error.lineno}): fix it") from None

    def save(self, config: Mapping[str, Any]) -> None:
        self.path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")

    def stage(self, stage: str) -> dict[str, Any]:
        return self.load().get("stages", {}).get(stage, {})

    def environment(self, stage: str) -> dict[str, str]:
        """The stage's variables as Chalice applies them: top level, overridden by the stage."""
        config = self.load()
        return {
            **config.get("environment_variables", {}),
            **config.get("stages", {}).get(stage, {}).get("environment_variables", {}),
        }

    def check(self, stage: str, account: str | None = None, region: str | None = None) -> None:
        """Refuse example values, and a stage recorded for another account or region."""
        for name, value in sorted(self.environment(stage).items()):
            if reason := placeholder(str(value)):
                raise Refusal(
                    f"{self.path.name}: stage {stage}'s {name} {reason}: remove it (make deploy "
                    "records the real value) or set a real one"
                )
        room = self.environment(stage).get("MODERATION_ROOM_ARN", "")
        if account and room.count(":") >= 5:
            recorded_region, recorded_account = room.split(":")[3:5]
            if (recorded_account, recorded_region) != (account, region):
                raise Refusal(
                    f"stage {stage} is deployed in account {recorded_account}, "
                    f"{recorded_region}; these credentials are for {account}, {region}: "
                    "use that account's credentials and region, or another STAGE"
                )

    def record(
        self,
        stage: str,
        outputs: Mapping[str, str],
        policies: Mapping[str, Mapping[str, Any]],
        concurrency: Mapping[str, int],
        chosen: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Write the stage's policies and record the outputs (and settings the operator chose
        on the command line) in its entry; the files written."""
        written = []
        for function, document in policies.items():
            path = self.directory / naming.policy_file(stage, function)
            path.write_text(json.dumps(document, indent=2) + "\n")
            written.append(str(path.relative_to(self.project)))
        config = self.load()
        entry = config.setdefault("stages", {}).setdefault(stage, {})
        entry["api_gateway_stage"] = API_GATEWAY_STAGE
        entry.setdefault("environment_variables", {}).update(
            {setting: outputs[output] for output, setting in OUTPUT_SETTINGS.items()},
            **(chosen or {}),
        )
        functions = entry.setdefault("lambda_functions", {})
        for function in policies:
            settings = functions.setdefault(function, {})
            settings["iam_policy_file"] = naming.policy_file(stage, function)
            if function in concurrency:
                settings["reserved_concurrency"] = concurrency[function]
            else:
                settings.pop("reserved_concurrency", None)
            settings.update(FUNCTION_SETTINGS.get(function, {}))
        self.save(config)
        written.append(str(self.path.relative_to(self.project)))
        return written

    def forget(self, stage: str) -> None:
        """Remove what `record` wrote; the stage's own settings stay (the entry goes if empty)."""
        for function in naming.FUNCTIONS:
            (self.directory / naming.policy_file(stage, function)).unlink(missing_ok=True)
        config = self.load()
        entry = config.get("stages", {}).get(stage)
        if entry is None:
            return
        variables = entry.get("environment_variables", {})
        for name in RECORDED:
            variables.pop(name, None)
        if variables.get("CHAT_ALLOWED_HOSTS") == "":  # the first deploy's; hosts chosen stay
            del variables["CHAT_ALLOWED_HOSTS"]
        if not variables:
            entry.pop("environment_variables", None)
        functions = entry.get("lambda_functions", {})
        for function in naming.FUNCTIONS:
            settings = functions.get(function, {})
            settings.pop("iam_policy_file", None)
            settings.pop("reserved_concurrency", None)
            for name in FUNCTION_SETTINGS.get(function, {}):
                settings.pop(name, None)
            if not settings:
                functions.pop(function, None)
        if not functions:
            entry.pop("lambda_functions", None)
        if entry.get("api_gateway_stage") == API_GATEWAY_STAGE:
            del entry["api_gateway_stage"]
        if not entry:
            del config["stages"][stage]
        self.save(config)

    def deployed(self, stage: str) -> dict[str, dict[str, Any]]:
        """What `chalice deploy` recorded for the stage, by resource name (empty if nothing)."""
        path = self.directory / "deployed" / f"{stage}.json"
        try:
            resources = json.loads(path.read_text()).get("resources", [])
        except FileNotFoundError:
            return {}
        return {resource["name"]: resource for resource in resources}

    def dashboard_url(self, stage: str) -> str:
        return self.deployed(stage).get("rest_api", {}).get("rest_api_url", "")
