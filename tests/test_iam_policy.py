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
    CHANNELS_TABLE,
    CLEAN,
    DECISIONS_TABLE,
    FAILED_FRAMES_QUEUE,
    IDEMPOTENCY_TABLE,
    INCIDENTS_TABLE,
    ROOT,
    VIOLENCE,
    failure_record,
    moderation_labels,
    object_created,
    stream_state,
    thumbnail_key,
    written,
)
from tokens import signed_in

from chalicelib.moderation import ModerationIncomplete

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
OTHER_CHANNEL = "ZyXwVuTs9876"
OTHER_ARN = f"arn:aws:ivs:us-west-2:123456789012:channel/{OTHER_CHANNEL}"
RUDE = moderation_labels(
    ("Rude Gestures", "", 1, 88.0), ("Middle Finger", "Rude Gestures", 2, 88.0)
)

STAGES = ("dev", "prod")
# Granted although our code does not call them, and why.
LOGS = {
    ("logs:CreateLogGroup", "logs"): "the Lambda runtime writes the function's logs",
    ("logs:CreateLogStream", "logs"): "the Lambda runtime writes the function's logs",
    ("logs:PutLogEvents", "logs"): "the Lambda runtime writes the function's logs",
}
THUMBNAIL_HANDLER_NEEDS = {
    ("dynamodb:GetItem", "idempotency"): "Powertools reads a record a failed put did not return",
    ("sqs:ReceiveMessage", "failed-frames"): "Lambda's event source mapping polls the queue",
    ("sqs:DeleteMessage", "failed-frames"): "Lambda's event source mapping deletes what it handled",
    ("sqs:GetQueueAttributes", "failed-frames"): "Lambda's event source mapping reads the queue",
    **LOGS,
}
API_NEEDS = LOGS


TABLE_ROLES = {
    DECISIONS_TABLE: "decisions",
    IDEMPOTENCY_TABLE: "idempotency",
    INCIDENTS_TABLE: "incidents",
    CHANNELS_TABLE: "channels",
}


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
        if action == "dynamodb:TransactWriteItems":
            # IAM authorises each write of a transaction as the single-item action it is
            for item in params["TransactItems"]:
                [(kind, request)] = item.items()
                self.calls.add((f"dynamodb:{kind}Item", TABLE_ROLES[request["TableName"]]))
            return
        if action == "dynamodb:BatchGetItem":
            for table in params["RequestItems"]:
                self.calls.add(("dynamodb:BatchGetItem", TABLE_ROLES[table]))
            return
        if service == "dynamodb":
            role = TABLE_ROLES[params["TableName"]]
            if "IndexName" in params:
                # every index of the incidents table is keys-only: one grant covers them
                index = "*" if role == "incidents" else params["IndexName"]
                role += f"/index/{index}"
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
        f"arn:aws:dynamodb:{region}:{account}:table/{env['INCIDENTS_TABLE']}": "incidents",
        f"arn:aws:dynamodb:{region}:{account}:table/{env['INCIDENTS_TABLE']}/index/*": (
            "incidents/index/*"
        ),
        f"arn:aws:dynamodb:{region}:{account}:table/{env['CHANNELS_TABLE']}": "channels",
        room: "room",
        f"arn:aws:ivs:{region}:{account}:channel/*": "channels",
        f"arn:aws:ivs:{region}:{account}:stream-key/*": "channels",
        f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/ivs-moderation-{stage}-*": "logs",
        f"arn:aws:sqs:{region}:{account}:{env['FAILED_FRAMES_QUEUE']}": "failed-frames",
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


def run_every_path(client, rekognition, ivschat, ivs, monkeypatch, *events) -> None:
    event, versioned, other = events
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
    # A channel not seen before: its name is looked up; a rude gesture opens an incident
    ivs.add_response(
        "get_channel", {"channel": {"arn": OTHER_ARN, "name": "b"}}, {"arn": OTHER_ARN}
    )
    rekognition.add_response("detect_moderation_labels", RUDE)
    ivschat.add_response("send_event", {"id": "AbCdEfGh1235"})
    client.lambda_.invoke("moderate_thumbnail", other)  # written before recording began
    # Its stream ends: IVS confirms, the channel goes offline and the incident resolves
    ivs.add_client_error("get_stream", "ChannelNotBroadcasting", http_status_code=404)
    ivschat.add_response("send_event", {"id": "AbCdEfGh1236"})
    ivschat.add_response("send_event", {"id": "AbCdEfGh1237"})
    client.lambda_.invoke("stream_state_changed", stream_state(OTHER_ARN, "Stream End"))
    # A frame Lambda gave up on reaches the failed-frames queue
    record = failure_record(object_created(thumbnail_key(15, channel=OTHER_CHANNEL)))
    ivschat.add_response("send_event", {"id": "AbCdEfGh1238"})
    client.lambda_.invoke(
        "record_failed_frames", client.events.generate_sqs_event([record], FAILED_FRAMES_QUEUE)
    )


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
    other = written(thumbnail_key(14, channel=OTHER_CHANNEL))
    with recorder.recording():
        run_every_path(client, rekognition, ivschat, ivs, monkeypatch, event, versioned, other)

    called = recorder.calls
    granted = grants(stage, "policy-{stage}.json")
    assert called - granted == set(), "called but not allowed"
    assert granted - called == set(THUMBNAIL_HANDLER_NEEDS), "allowed but never called"


def run_incident_paths(client, ivschat, incident_id: str) -> None:
    headers = {"Content-Type": "application/json", **signed_in()}

    def post(path: str, body: dict) -> None:
        response = client.http.post(path, headers=headers, body=json.dumps(body))
        assert response.status_code == 200, response.body

    for path in ("/incidents", f"/incidents/{incident_id}", "/channels", "/stats"):
        assert client.http.get(path, headers=signed_in()).status_code == 200
    window = "from=2026-11-01T00:00:00Z&to=2026-11-20T00:00:00Z"
    assert client.http.get(f"/incidents?{window}", headers=signed_in()).status_code == 200
    for n in range(3):
        ivschat.add_response("send_event", {"id": f"AbCdEfGh100{n}"})
    post(f"/incidents/{incident_id}/acknowledge", {})
    post(f"/incidents/{incident_id}/resolve", {"resolution": "dismissed"})
    post(f"/incidents/{incident_id}/reopen", {})


@pytest.mark.parametrize("stage", STAGES)
def test_api_policy_grants_exactly_what_it_calls(
    stage, recorder, jwks, client, rekognition, ivschat, ivs
):
    rekognition.add_response("detect_moderation_labels", VIOLENCE)  # an incident to work on
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"})
    incident_id = client.lambda_.invoke("moderate_thumbnail", written(thumbnail_key(12)))
    with recorder.recording():
        run_incident_paths(client, ivschat, incident_id.payload["incidentId"])  # ends open
        ivschat.add_response("send_event", {"id": "AbCdEfGh0002"})  # the stop resolves it
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
