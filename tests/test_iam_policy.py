"""The hand-written IAM policies grant exactly what each function calls, scoped by resource.

Every AWS call a function makes is recorded (botocore's before-parameter-build event,
fired for stubbed and moto calls alike) while it runs through every path that calls AWS:
for the thumbnail handler auto-stop with key revocation, a failed SendEvent, Lambda's
retry and a duplicate; for the API a stop with revocation, a chat token, both kinds of
history query and a frame link.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from support import (
    CHANNEL_ARN,
    CLEAN,
    DECISIONS_TABLE,
    IDEMPOTENCY_TABLE,
    ROOT,
    VIOLENCE,
    thumbnail_key,
    written,
)
from tokens import signed_in

from chalicelib.moderation import ModerationIncomplete

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

STAGES = ("dev", "prod")
# Granted although our code does not call them, and why.
LOGS = {
    ("logs:CreateLogGroup", "logs"): "the Lambda runtime writes the function's logs",
    ("logs:CreateLogStream", "logs"): "the Lambda runtime writes the function's logs",
    ("logs:PutLogEvents", "logs"): "the Lambda runtime writes the function's logs",
}
THUMBNAIL_HANDLER_NEEDS = {
    ("dynamodb:GetItem", "idempotency"): "Powertools reads a record a failed put did not return",
    **LOGS,
}
API_NEEDS = LOGS


class CallRecorder:
    def __init__(self) -> None:
        self.calls: set[tuple[str, str]] = set()
        self._on = False

    def __call__(self, params, model, **kwargs) -> None:
        if not self._on:
            return
        service = model.service_model.signing_name
        action = f"{service}:{model.name}"
        if action == "s3:GetObject" and "VersionId" in params:
            action = "s3:GetObjectVersion"  # IAM authorises a read by version separately
        if service == "dynamodb":
            role = {DECISIONS_TABLE: "decisions", IDEMPOTENCY_TABLE: "idempotency"}[
                params["TableName"]
            ]
            if "IndexName" in params:
                role += f"/index/{params['IndexName']}"
        else:
            # s3: a presigned GetObject link, signed with the function's credentials
            role = {"rekognition": "any", "ivschat": "room", "ivs": "channels", "s3": "recordings"}[
                service
            ]
        self.calls.add((action, role))

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        self._on = True
        try:
            yield
        finally:
            self._on = False


@pytest.fixture
def recorder(app_module) -> CallRecorder:
    # Registered before the app builds its clients (each copies the session's handlers).
    boto3.setup_default_session()
    calls = CallRecorder()
    boto3.DEFAULT_SESSION.events.register("before-parameter-build", calls)
    return calls


def stage_config(stage: str) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config["environment_variables"], **config["stages"][stage]["environment_variables"]}


def grants(stage: str, policy_file: str) -> set[tuple[str, str]]:
    """(action, resource role) pairs a stage's policy file allows."""
    env = stage_config(stage)
    room = env["MODERATION_ROOM_ARN"]
    region, account = room.split(":")[3:5]
    roles = {
        f"arn:aws:s3:::{env['RECORDING_BUCKET']}/ivs/v1/*": "recordings",
        f"arn:aws:dynamodb:{region}:{account}:table/{env['DECISIONS_TABLE']}": "decisions",
        f"arn:aws:dynamodb:{region}:{account}:table/{env['DECISIONS_TABLE']}/index/byDay": (
            "decisions/index/byDay"
        ),
        f"arn:aws:dynamodb:{region}:{account}:table/{env['IDEMPOTENCY_TABLE']}": "idempotency",
        room: "room",
        f"arn:aws:ivs:{region}:{account}:channel/*": "channels",
        f"arn:aws:ivs:{region}:{account}:stream-key/*": "channels",
        f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/ivs-moderation-{stage}-*": "logs",
        "*": "any",
    }
    policy = json.loads((ROOT / ".chalice" / policy_file.format(stage=stage)).read_text())
    granted = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                assert resource in roles, f"{stage}: {resource} is not a resource of this stage"
                granted.add((action, roles[resource]))
    return granted


def run_every_path(client, rekognition, ivschat, ivs, monkeypatch, event, versioned) -> None:
    monkeypatch.setenv("AUTO_STOP_THRESHOLDS", "Violence=95")
    monkeypatch.setenv("AUTO_STOP_REVOKE_STREAM_KEY", "true")
    key_arn = "arn:aws:ivs:us-west-2:123456789012:stream-key/g1H2I3j4k5L6"
    rekognition.add_response("detect_moderation_labels", VIOLENCE)
    ivs.add_response("list_stream_keys", {"streamKeys": [{"arn": key_arn}]})
    ivs.add_response("delete_stream_key", {}, {"arn": key_arn})
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_client_error("send_event", "ThrottlingException", http_status_code=429)
    with pytest.raises(ModerationIncomplete):
        client.lambda_.invoke("moderate_thumbnail", event)
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})
    client.lambda_.invoke("moderate_thumbnail", event)  # Lambda's retry
    client.lambda_.invoke("moderate_thumbnail", event)  # a duplicate delivery
    # A versioned bucket: the write is read by its version id
    versioned["detail"]["object"]["version-id"] = "null"  # moto: the id of an unversioned write
    rekognition.add_response("detect_moderation_labels", CLEAN)
    client.lambda_.invoke("moderate_thumbnail", versioned)


def run_api_paths(client, ivs, ivschat) -> None:
    key_arn = "arn:aws:ivs:us-west-2:123456789012:stream-key/g1H2I3j4k5L6"
    ivs.add_response("list_stream_keys", {"streamKeys": [{"arn": key_arn}]})
    ivs.add_response("delete_stream_key", {})
    ivs.add_response("stop_stream", {})
    body = {"channelArn": CHANNEL_ARN, "reason": "policy test", "revokeStreamKey": True}
    headers = {"Content-Type": "application/json", **signed_in()}
    assert (
        client.http.post("/stop-stream", headers=headers, body=json.dumps(body)).status_code == 200
    )
    ivschat.add_response(
        "create_chat_token",
        {"token": "t", "tokenExpirationTime": NOW, "sessionExpirationTime": NOW},
    )
    assert client.http.post("/chat-token", headers=signed_in()).status_code == 200
    for query in (f"channelArn={CHANNEL_ARN}", "limit=5"):
        assert client.http.get(f"/decisions?{query}", headers=signed_in()).status_code == 200
    key = thumbnail_key(3)
    assert client.http.get(f"/frames?key={key}", headers=signed_in()).status_code == 200


@pytest.mark.parametrize("stage", STAGES)
def test_thumbnail_handler_policy_grants_exactly_what_it_calls(
    stage, recorder, client, rekognition, ivschat, ivs, monkeypatch
):
    event = written(thumbnail_key(12))  # IVS's writes, not the handler's
    versioned = written(thumbnail_key(13))
    with recorder.recording():
        run_every_path(client, rekognition, ivschat, ivs, monkeypatch, event, versioned)

    called = recorder.calls
    granted = grants(stage, "policy-{stage}.json")
    assert called - granted == set(), "called but not allowed"
    assert granted - called == set(THUMBNAIL_HANDLER_NEEDS), "allowed but never called"


@pytest.mark.parametrize("stage", STAGES)
def test_api_policy_grants_exactly_what_it_calls(stage, recorder, jwks, client, ivschat, ivs):
    with recorder.recording():
        run_api_paths(client, ivs, ivschat)

    called = recorder.calls
    granted = grants(stage, "policy-api-{stage}.json")
    assert called - granted == set(), "called but not allowed"
    assert granted - called == set(API_NEEDS), "allowed but never called"


@pytest.mark.parametrize(
    "policy_file",
    ["policy-dev.json", "policy-prod.json", "policy-api-dev.json", "policy-api-prod.json"],
)
def test_policy_has_no_wildcard_action_and_star_only_where_iam_allows_nothing_else(policy_file):
    policy = json.loads((ROOT / ".chalice" / policy_file).read_text())
    for statement in policy["Statement"]:
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            assert "*" not in action
        if statement["Resource"] == "*":
            # DetectModerationLabels has no resource-level permissions
            assert statement["Action"] == "rekognition:DetectModerationLabels"
