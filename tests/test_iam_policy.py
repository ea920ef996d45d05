"""The generated IAM policies grant each function exactly what it calls, scoped by resource.

Every AWS call a function makes is recorded (botocore's before-parameter-build event,
fired for stubbed and moto calls alike) and attributed to the function being invoked,
while it runs through every path that calls AWS: for the thumbnail handler auto-stop with
key revocation, a failed SendEvent, Lambda's retry and a duplicate, a versioned read, a
new channel; then a stream's end and a frame Lambda gave up on; for the API a stop with
revocation, a chat token, both kinds of history query, a frame link and every incident
route. The policies checked are those scripts/deploy/policies.py renders from
infra/permissions.yaml for a deployment of these tests' resources, as `make deploy` does.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from support import (
    ACCOUNT,
    BUCKET,
    CHANNEL_ARN,
    CHANNELS_TABLE,
    CHAT_MESSAGES_QUEUE,
    CHAT_TABLE,
    CLEAN,
    DECISIONS_TABLE,
    FAILED_FRAMES_QUEUE,
    IDEMPOTENCY_TABLE,
    INCIDENTS_TABLE,
    POLICIES_TABLE,
    REGION,
    ROOM_ARN,
    VIOLENCE,
    failure_record,
    moderation_labels,
    object_created,
    stream_state,
    thumbnail_key,
    written,
)
from tokens import role_token, signed_in

from chalicelib.frames.moderator import ModerationIncomplete
from scripts.deploy import naming, policies

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
OTHER_CHANNEL = "ZyXwVuTs9876"
OTHER_ARN = f"arn:aws:ivs:us-west-2:123456789012:channel/{OTHER_CHANNEL}"
UNSEEN_CHANNEL = "QwErTyUi5678"
UNSEEN_ARN = f"arn:aws:ivs:us-west-2:123456789012:channel/{UNSEEN_CHANNEL}"
RUDE = moderation_labels(
    ("Rude Gestures", "", 1, 88.0), ("Middle Finger", "Rude Gestures", 2, 88.0)
)
ADAPTER_ARN = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/moderation/version/v2/1700000000000"

# A deployment of these tests' resources, as the resources stack's outputs would name them.
DEPLOYMENT = policies.Deployment(
    stage="ci",
    account=ACCOUNT,
    region=REGION,
    outputs={
        "RecordingBucket": BUCKET,
        "DecisionsTable": DECISIONS_TABLE,
        "IdempotencyTable": IDEMPOTENCY_TABLE,
        "IncidentsTable": INCIDENTS_TABLE,
        "ChannelsTable": CHANNELS_TABLE,
        "ModerationRoomArn": ROOM_ARN,
        "FailedFramesQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FAILED_FRAMES_QUEUE}",
        "ChatTable": CHAT_TABLE,
        "PoliciesTable": POLICIES_TABLE,
        "ChatMessagesQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{CHAT_MESSAGES_QUEUE}",
    },
)

# Granted although our code does not call them, and why.
LOGS = {
    ("logs:CreateLogStream", "logs"): "the Lambda runtime writes the function's logs",
    ("logs:PutLogEvents", "logs"): "the Lambda runtime writes the function's logs",
}
ESM = "Lambda's event source mapping"
# The outbox of incident events EventBridge did not take (tests/test_incident_events.py)
OUTBOX = {("dynamodb:UpdateItem", "incidents"): "the outbox, written when a publish fails"}
NEEDS = {
    "moderate_thumbnail": {
        ("dynamodb:GetItem", "idempotency"): "Powertools reads a record a failed put did not "
        "return",
        ("sqs:SendMessage", "failed-frames"): "Lambda sends a frame it gave up on to the "
        "on-failure destination with the function's role",
        **LOGS,
        **OUTBOX,
    },
    "stream_state_changed": {**LOGS, **OUTBOX},
    "record_failed_frames": {
        ("sqs:ReceiveMessage", "failed-frames"): f"{ESM} polls the queue",
        ("sqs:DeleteMessage", "failed-frames"): f"{ESM} deletes what it handled",
        ("sqs:GetQueueAttributes", "failed-frames"): f"{ESM} reads the queue",
        **LOGS,
        **OUTBOX,
    },
    "api_handler": {**LOGS, **OUTBOX},
    "review_chat_message": LOGS,
    "chat_log_received": LOGS,
    "chat_ban_lookup": LOGS,
    "moderate_chat_messages": {
        ("sqs:ReceiveMessage", "chat-messages"): f"{ESM} polls the queue",
        ("sqs:DeleteMessage", "chat-messages"): f"{ESM} deletes what it handled",
        ("sqs:GetQueueAttributes", "chat-messages"): f"{ESM} reads the queue",
        ("dynamodb:GetItem", "idempotency"): "Powertools reads a record a failed put did not "
        "return",
        **LOGS,
        **OUTBOX,
    },
    "sla_sweep": LOGS,
    "send_alerts": LOGS,
}
EVENT_FUNCTIONS = ("moderate_thumbnail", "stream_state_changed", "record_failed_frames")

TABLE_ROLES = {
    DECISIONS_TABLE: "decisions",
    IDEMPOTENCY_TABLE: "idempotency",
    INCIDENTS_TABLE: "incidents",
    CHANNELS_TABLE: "channels",
    CHAT_TABLE: "chat",
    POLICIES_TABLE: "policies",
}


class CallRecorder:
    """Each AWS call as (function, action, resource role), the function being the one invoked."""

    def __init__(self) -> None:
        self.calls: set[tuple[str, str, str]] = set()
        self.function: str | None = None

    def __call__(self, params, model, **kwargs) -> None:
        if self.function is None:
            return
        service = model.service_model.signing_name
        action = f"{service}:{model.name}"
        if action == "s3:GetObject" and "VersionId" in params:
            action = "s3:GetObjectVersion"  # IAM authorises a read by version separately
        if action == "dynamodb:TransactWriteItems":
            # IAM authorises each write of a transaction as the single-item action it is
            for item in params["TransactItems"]:
                [(kind, request)] = item.items()
                self._add(f"dynamodb:{kind}Item", TABLE_ROLES[request["TableName"]])
            return
        if action == "sqs:SendMessageBatch":
            action = "sqs:SendMessage"  # IAM authorises a batch as its messages
        if action == "dynamodb:BatchGetItem":
            for table in params["RequestItems"]:
                self._add("dynamodb:BatchGetItem", TABLE_ROLES[table])
            return
        if service == "dynamodb":
            role = TABLE_ROLES[params["TableName"]]
            if "IndexName" in params:
                # every index of the incidents table is keys-only: one grant covers them
                index = "*" if role == "incidents" else params["IndexName"]
                role += f"/index/{index}"
        elif service == "rekognition":
            role = "adapter" if params.get("ProjectVersion") else "any"
        elif service == "ivschat":  # the moderators' room, or a viewers' room
            room = params.get("roomIdentifier") or params.get("identifier")
            role = "room" if room == ROOM_ARN else "rooms"
        elif service == "sqs":
            role = "chat-messages" if CHAT_MESSAGES_QUEUE in params["QueueUrl"] else "failed-frames"
        elif service == "comprehend":
            role = "any"  # DetectToxicContent has no resource-level permission
        elif service == "events":
            role = "incident-events" if params.get("Entries") else "?"
            assert {e["EventBusName"] for e in params["Entries"]} == {"default"}
        elif service == "sns":
            role = "alerts-topic" if params["TopicArn"].endswith("-alerts") else "?"
        else:
            # s3: a presigned GetObject link, signed with the function's credentials
            role = {"ivs": "channels", "s3": "recordings"}[service]
        self._add(action, role)

    def _add(self, action: str, role: str) -> None:
        self.calls.add((self.function, action, role))

    def of(self, function: str) -> set[tuple[str, str]]:
        return {(action, role) for name, action, role in self.calls if name == function}

    @contextlib.contextmanager
    def recording(self, function: str) -> Iterator[None]:
        previous, self.function = self.function, function
        try:
            yield
        finally:
            self.function = previous


@pytest.fixture
def recorder(app_module) -> CallRecorder:
    # Registered before the app builds its clients (each copies the session's handlers).
    boto3.setup_default_session()
    calls = CallRecorder()
    boto3.DEFAULT_SESSION.events.register("before-parameter-build", calls)
    return calls


@pytest.fixture
def attributed(client, recorder):
    """The test client, its Lambda invokes recorded as calls of the function invoked."""
    invoke = client.lambda_.invoke

    def invoke_as(name, event=None, **kwargs):
        with recorder.recording(name):
            return invoke(name, event, **kwargs)

    client.lambda_.invoke = invoke_as
    yield client
    client.lambda_.invoke = invoke


def grants(function: str, deployment: policies.Deployment = DEPLOYMENT) -> set[tuple[str, str]]:
    """(action, resource role) pairs the function's generated policy allows."""
    env = deployment.outputs
    region, account = deployment.region, deployment.account
    table = f"arn:aws:dynamodb:{region}:{account}:table"
    log_group = naming.function_name(deployment.stage, function)
    roles = {
        f"arn:aws:s3:::{env['RecordingBucket']}/ivs/v1/*": "recordings",
        f"{table}/{env['DecisionsTable']}": "decisions",
        f"{table}/{env['DecisionsTable']}/index/byDay": "decisions/index/byDay",
        f"{table}/{env['IdempotencyTable']}": "idempotency",
        f"{table}/{env['IncidentsTable']}": "incidents",
        f"{table}/{env['IncidentsTable']}/index/*": "incidents/index/*",
        f"{table}/{env['ChannelsTable']}": "channels",
        env["ModerationRoomArn"]: "room",
        f"arn:aws:ivs:{region}:{account}:channel/*": "channels",
        f"arn:aws:ivs:{region}:{account}:stream-key/*": "channels",
        f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{log_group}:*": "logs",
        env["FailedFramesQueueArn"]: "failed-frames",
        f"{table}/{env['ChatTable']}": "chat",
        f"{table}/{env['PoliciesTable']}": "policies",
        env["ChatMessagesQueueArn"]: "chat-messages",
        f"arn:aws:ivschat:{region}:{account}:room/*": "rooms",
        f"arn:aws:events:{region}:{account}:event-bus/default": "incident-events",
        f"arn:aws:sns:{region}:{account}:ivs-moderation-{deployment.stage}-alerts": "alerts-topic",
        "*": "any",
    }
    if deployment.adapter_arn:
        roles[deployment.adapter_arn] = "adapter"
    policy = policies.concrete(deployment)[function]
    granted = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                assert resource in roles, f"{function}: {resource} is not a resource of its own"
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
    # One of a frame that was decided (its announcement failed for good): the decision says so;
    # one of a channel the service has never seen: its name is looked up
    decided = failure_record(event)
    unseen = failure_record(object_created(thumbnail_key(16, channel=UNSEEN_CHANNEL)))
    ivs.add_response(
        "get_channel", {"channel": {"arn": UNSEEN_ARN, "name": "c"}}, {"arn": UNSEEN_ARN}
    )
    ivschat.add_response("send_event", {"id": "AbCdEfGh1239"})
    ivschat.add_response("send_event", {"id": "AbCdEfGh1240"})
    client.lambda_.invoke(
        "record_failed_frames",
        client.events.generate_sqs_event([decided, unseen], FAILED_FRAMES_QUEUE),
    )
    # One of a frame whose auto-stop and announcement failed for good: it is finished from
    # the record (the keys revoked, the stream stopped, the incident changed, the room told)
    unfinished = written(thumbnail_key(17, channel=UNSEEN_CHANNEL))  # no reference frame there
    rekognition.add_response("detect_moderation_labels", VIOLENCE)
    ivs.add_client_error("list_stream_keys", "ThrottlingException", http_status_code=429)
    ivs.add_client_error("stop_stream", "ThrottlingException", http_status_code=429)
    ivschat.add_client_error("send_event", "ThrottlingException", http_status_code=429)
    with pytest.raises(ModerationIncomplete):
        client.lambda_.invoke("moderate_thumbnail", unfinished)
    ivs.add_response("list_stream_keys", {"streamKeys": [{"arn": key_arn}]})
    ivs.add_response("delete_stream_key", {}, {"arn": key_arn})
    ivs.add_response("stop_stream", {}, {"channelArn": UNSEEN_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh1241"})
    client.lambda_.invoke(
        "record_failed_frames",
        client.events.generate_sqs_event([failure_record(unfinished)], FAILED_FRAMES_QUEUE),
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


def run_policy_paths(client) -> None:
    """The policies' routes (docs/policies.md), each once, as an admin."""
    from urllib.parse import quote

    headers = {"Content-Type": "application/json", **signed_in(role_token("admin"))}
    arn = quote(CHANNEL_ARN, safe="")
    document = {"alert": {"Violence": 60}, "appliesTo": {"namePatterns": ["arena-*"]}}

    def send(method: str, path: str, body=None) -> dict:
        kwargs = {"body": json.dumps(body)} if body is not None else {}
        response = client.http.request(method.upper(), path, headers=headers, **kwargs)
        assert response.status_code == 200, (path, response.body)
        return response.json_body

    send("put", "/policies/arena", {"document": document, "expectedVersion": 0})
    send("put", "/policies/arena", {"document": {"alert": {"*": 70}}, "expectedVersion": 1})
    send("post", "/policies/arena/restore", {"version": 1, "expectedVersion": 2})
    send("get", "/policies")
    send("get", "/policies/arena")
    send("get", "/policies/arena/versions/1")
    send("put", f"/channels/{arn}/policy", {"policy": "arena"})
    send("get", f"/channels/{arn}/policy")
    send("post", "/policies/backtest", {"name": "arena", "draft": document, "hours": 6})
    send("put", f"/watchlist/{arn}", {"hours": 2, "reason": "by hand"})
    send("get", "/watchlist")
    send("delete", f"/watchlist/{arn}")
    send("delete", "/policies/arena?expectedVersion=3")


@pytest.mark.parametrize("function", EVENT_FUNCTIONS)
def test_event_function_policy_grants_exactly_what_it_calls(
    function, recorder, attributed, rekognition, ivschat, ivs, monkeypatch
):
    event = written(thumbnail_key(12))  # IVS's writes, not the handler's
    versioned = written(thumbnail_key(13))
    other = written(thumbnail_key(14, channel=OTHER_CHANNEL))
    run_every_path(attributed, rekognition, ivschat, ivs, monkeypatch, event, versioned, other)

    called = recorder.of(function)
    granted = grants(function)
    assert called, f"{function} was never invoked"
    assert called - granted == set(), "called but not allowed"
    assert granted - called == set(NEEDS[function]), "allowed but never called"


def test_with_an_adapter_detection_is_granted_on_that_adapter_only(
    recorder, attributed, rekognition, ivschat, monkeypatch
):
    monkeypatch.setenv("MODERATION_ADAPTER_ARN", ADAPTER_ARN)
    deployment = policies.Deployment(**{**DEPLOYMENT.__dict__, "adapter_arn": ADAPTER_ARN})
    rekognition.add_response("detect_moderation_labels", CLEAN)
    attributed.lambda_.invoke("moderate_thumbnail", written(thumbnail_key(12)))

    called = recorder.of("moderate_thumbnail")
    granted = grants("moderate_thumbnail", deployment)
    assert ("rekognition:DetectModerationLabels", "adapter") in called
    assert ("rekognition:DetectModerationLabels", "adapter") in granted
    assert ("rekognition:DetectModerationLabels", "any") not in granted


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


def run_api_chat_paths(client, app_module, recorder, monkeypatch, *stubbers) -> None:
    """The chat incidents' routes, on incidents the deep pass opened (IVS chat answered)."""
    from chat_support import VIEWER_ROOM, answered

    for stubber in stubbers:  # answered in any order from here on
        stubber.deactivate()
    incident_id = run_chat_paths(app_module, recorder, monkeypatch)
    headers = {"Content-Type": "application/json", **signed_in()}
    with answered({"ivschat": app_module.aws_client("ivschat")}), recorder.recording("api_handler"):

        def send(method: str, path: str, body=None) -> None:
            call = getattr(client.http, method)
            kwargs = {"body": json.dumps(body)} if body is not None else {}
            response = call(path, headers=headers, **kwargs)
            assert response.status_code == 200, (path, response.body)

        incident = f"/incidents/{incident_id}"
        send("get", incident)
        send("post", f"{incident}/delete-messages", {"messageIds": ["Troll0000001"]})
        send("post", f"{incident}/ban", {"note": "abuse"})
        send("post", f"{incident}/unban", {})
        send("post", f"{incident}/reopen", {})
        send("post", f"{incident}/resolve", {"resolution": "dismissed", "labels": ["INSULT"]})
        send("get", f"/chat/bans?roomArn={VIEWER_ROOM}")
        headers["Authorization"] = signed_in(role_token("admin"))["Authorization"]  # policies
        send("put", "/chat/terms", {"roomArn": "*", "term": "spoiler"})
        send("get", "/chat/terms?roomArn=*")
        send("delete", "/chat/terms?roomArn=*&term=spoiler")


def test_api_policy_grants_exactly_what_it_calls(
    recorder, jwks, client, app_module, rekognition, ivschat, ivs, monkeypatch
):
    rekognition.add_response("detect_moderation_labels", VIOLENCE)  # an incident to work on
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"})
    incident_id = client.lambda_.invoke("moderate_thumbnail", written(thumbnail_key(12)))
    with recorder.recording("api_handler"):
        run_incident_paths(client, ivschat, incident_id.payload["incidentId"])  # ends open
        ivschat.add_response("send_event", {"id": "AbCdEfGh0002"})  # the stop resolves it
        run_api_paths(client, ivs, ivschat)
        run_policy_paths(client)
    run_api_chat_paths(client, app_module, recorder, monkeypatch, ivschat, rekognition)

    called = recorder.of("api_handler")
    granted = grants("api_handler")
    assert called - granted == set(), "called but not allowed"
    assert granted - called == set(NEEDS["api_handler"]), "allowed but never called"


def rendered() -> list[tuple[str, dict]]:
    """Every generated policy: for a deployment, with an adapter, and for a packaged template."""
    with_adapter = policies.Deployment(**{**DEPLOYMENT.__dict__, "adapter_arn": ADAPTER_ARN})
    return [
        (f"{form} {function}", document)
        for form, documents in (
            ("deployed", policies.concrete(DEPLOYMENT)),
            ("deployed with adapter", policies.concrete(with_adapter)),
            ("packaged", policies.cloudformation("ci")),
        )
        for function, document in documents.items()
    ]


@pytest.mark.parametrize(("name", "policy"), rendered(), ids=[name for name, _ in rendered()])
def test_policy_has_no_wildcard_action_and_star_only_where_iam_allows_nothing_else(name, policy):
    for statement in policy["Statement"]:
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            assert "*" not in action
        if statement["Resource"] == "*":
            # DetectModerationLabels has no resource-level permissions without an adapter,
            # DetectToxicContent none at all
            assert statement["Action"] in (
                "rekognition:DetectModerationLabels",
                "comprehend:DetectToxicContent",
            )


def test_every_function_of_the_app_has_permissions_and_no_other(app_module):
    app = app_module.app
    functions = (
        {source.name for source in app.event_sources}
        | {function.name for function in app.pure_lambda_functions}
        | {"api_handler"}
    )

    assert set(policies.functions()) == functions
    assert set(naming.FUNCTIONS) == functions


CHAT_FUNCTIONS = (
    "review_chat_message",
    "chat_log_received",
    "moderate_chat_messages",
    "chat_ban_lookup",
)


def run_chat_paths(app_module, recorder, monkeypatch) -> str:
    """Every chat function through each path that calls AWS; the chat incident it opened."""
    from chat_support import (
        INSULT,
        VIEWER_ROOM,
        answered,
        create_chat_queue,
        lambda_context,
        log_record,
        logs_event,
        put_ban,
        queued,
        review_request,
        sqs_event,
    )

    monkeypatch.setenv("CHAT_MESSAGES_QUEUE_URL", create_chat_queue())
    monkeypatch.setenv("CHAT_ALLOWED_HOSTS", "images.example.com")
    monkeypatch.setattr("chalicelib.chat.images.fetch", lambda url, **limits: b"\xff\xd8jpeg")
    put_ban("banned-one")
    clients = {s: app_module.aws_client(s) for s in ("ivschat", "comprehend", "rekognition")}
    with answered(clients) as aws:
        aws.toxicity = {"you are an idiot": INSULT}
        with recorder.recording("review_chat_message"):
            for user in ("fan", "banned-one"):
                context = lambda_context("review_chat_message")
                app_module.review_chat_message(review_request("hi", user=user), context)
        with recorder.recording("chat_log_received"):
            event = logs_event([log_record("LogMsg000001", "hi")])
            app_module.chat_log_received(event, lambda_context("chat_log_received"))
        sticker = {"sticker_src": "https://images.example.com/a.jpg"}
        bodies = [
            queued("hello", user="fan", message_id="Msg000000000"),
            queued("look", user="fan", message_id="Msg00000000i", attributes=sticker),
            queued("late", user="banned-one", message_id="Msg00000000b"),
            *(
                queued("you are an idiot", user="troll", message_id=f"Troll000000{n}")
                for n in range(3)
            ),
        ]
        with recorder.recording("moderate_chat_messages"):
            context = lambda_context("moderate_chat_messages")
            aws.failing["DetectToxicContent"] = "InternalServerException"
            with pytest.raises(ClientError):  # its idempotency record deleted: tried again
                app_module.moderate_chat_messages(sqs_event(bodies[:1]), context)
            aws.failing.clear()
            outcomes = app_module.moderate_chat_messages(sqs_event(bodies), context)
        with recorder.recording("chat_ban_lookup"):
            lookup = {"roomArn": VIEWER_ROOM, "userId": "troll"}
            app_module.chat_ban_lookup(lookup, lambda_context("chat_ban_lookup"))
    assert outcomes[-1]["timedOutUntil"], outcomes  # the third strike timed the user out
    return outcomes[-1]["incidentId"]


@pytest.mark.parametrize("function", CHAT_FUNCTIONS)
def test_chat_function_policy_grants_exactly_what_it_calls(
    function, app_module, recorder, monkeypatch
):
    run_chat_paths(app_module, recorder, monkeypatch)

    called = recorder.of(function)
    granted = grants(function)
    assert called, f"{function} was never invoked"
    assert called - granted == set(), "called but not allowed"
    assert granted - called == set(NEEDS[function]), "allowed but never called"
