"""The moderator API through chalice.test.Client, signed in with real JWTs.

Tokens are RS256 JWTs shaped like a Cognito user pool's, signed with keys this module
generates; the JWKS is served over HTTP like the user pool's, and the app fetches it
from COGNITO_JWKS_URL. IVS and IVS chat are Stubbers with expected_params.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlparse

import boto3
import jwt
import pytest
import requests
from support import (
    ACCOUNT,
    APP_CLIENT_ID,
    BUCKET,
    CHANNEL_ARN,
    DECISIONS_TABLE,
    ROOM_ARN,
    USER_POOL_ID,
    decisions,
    thumbnail_key,
)
from tokens import MODERATOR_SUB, OTHER_KEY, id_token, signed_in

from chalicelib.decisions import DecisionStore


def post(client, path: str, body, token: str | None = None, **headers: str):
    headers = {"Content-Type": "application/json", **signed_in(token), **headers}
    return client.http.post(path, headers=headers, body=json.dumps(body))


def get(client, path: str, params: dict | None = None, token: str | None = None):
    query = f"?{urlencode(params)}" if params else ""
    return client.http.get(path + query, headers=signed_in(token))


# --- Authentication -------------------------------------------------------------------

pytestmark = pytest.mark.usefixtures("jwks")

PROTECTED = [
    ("POST", "/stop-stream"),
    ("POST", "/chat-token"),
    ("GET", "/decisions"),
    ("GET", "/frames"),
    ("GET", "/incidents"),
    ("GET", "/incidents/{incident_id}"),
    ("POST", "/incidents/{incident_id}/acknowledge"),
    ("POST", "/incidents/{incident_id}/resolve"),
    ("POST", "/incidents/{incident_id}/reopen"),
    ("GET", "/channels"),
    ("GET", "/stats"),
]


PUBLIC = [("GET", "/"), ("GET", "/static/{name}"), ("GET", "/config")]


def test_every_route_but_preflight_is_listed_here_as_protected_or_public(app_module):
    routes = {
        (method, path)
        for path, methods in app_module.app.routes.items()
        for method in methods
        if method != "OPTIONS"
    }
    assert routes == set(PROTECTED) | set(PUBLIC)


def test_the_dashboard_page_is_public_and_locked_down_by_its_csp(client):
    response = client.http.get("/")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<script type="module" src="static/dashboard.js">' in response.body
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self' https://cognito-idp.us-west-2.amazonaws.com" in policy
    assert "wss://edge.ivschat.us-west-2.amazonaws.com" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")],
)
def test_the_dashboard_files_are_served(client, name, content_type):
    response = client.http.get(f"/static/{name}")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert len(response.body) > 1000


def test_only_the_dashboard_files_are_served(client):
    assert client.http.get("/static/..%2Fconfig.py").status_code == 404
    assert client.http.get("/static/app.py").status_code == 404


def test_the_sign_in_config_is_public_and_holds_no_secret(client):
    assert client.http.get("/config").json_body == {
        "region": "us-west-2",
        "userPoolId": USER_POOL_ID,
        "clientId": APP_CLIENT_ID,
        "cognitoEndpoint": "https://cognito-idp.us-west-2.amazonaws.com/",
    }


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_anonymous_requests_get_401(client, method, path):
    response = client.http.request(method, path, headers={"Content-Type": "application/json"})

    assert response.status_code == 401
    assert response.json_body["Code"] == "UnauthorizedError"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (id_token(exp=int(time.time()) - 10), "expired"),
        (id_token(iss="https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Other"), "issuer"),
        (id_token(aud="some-other-app-client"), "not issued to this application"),
        (id_token(key=OTHER_KEY), "Signature verification failed"),
        (id_token(kid="unknown-kid"), "not valid"),
        (id_token(token_use=None), "token_use"),
        ("not-a-jwt", "not valid"),
    ],
    ids=["expired", "wrong-issuer", "wrong-audience", "wrong-key", "unknown-kid", "no-use", "junk"],
)
def test_invalid_tokens_get_401(client, token, message):
    response = get(client, "/decisions", token=token)

    assert response.status_code == 401
    assert message in response.json_body["Message"]


def test_a_tampered_token_gets_401(client):
    header, payload, signature = id_token(**{"cognito:groups": []}).split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["cognito:groups"] = ["moderators"]
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()

    response = get(client, "/decisions", token=f"{header}.{forged}.{signature}")

    assert response.status_code == 401
    assert "Signature verification failed" in response.json_body["Message"]


def test_a_signed_in_user_who_is_not_a_moderator_gets_403(client):
    response = get(client, "/decisions", token=id_token(**{"cognito:groups": ["viewers"]}))

    assert response.status_code == 403
    assert response.json_body == {
        "Code": "ForbiddenError",
        "Message": "maria is not in the moderators group",
    }


def test_an_access_token_of_the_app_client_is_accepted(client):
    token = id_token(
        token_use="access", aud=None, client_id=APP_CLIENT_ID, username="maria", scope="openid"
    )

    assert get(client, "/decisions", token=token).status_code == 200


def test_an_unreachable_user_pool_is_503_not_401(client, monkeypatch):
    monkeypatch.setenv("COGNITO_JWKS_URL", "http://127.0.0.1:9/jwks.json")

    response = get(client, "/decisions")

    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_the_user_pool_keys_are_fetched_once_not_per_request(client, jwks):
    for _ in range(3):
        assert get(client, "/decisions").status_code == 200
    assert jwks.fetches == 1


# --- POST /stop-stream ------------------------------------------------------------------


def test_a_moderator_stops_a_stream_and_the_stop_is_audited(client, ivs):
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})

    response = post(client, "/stop-stream", {"channelArn": CHANNEL_ARN, "reason": "Weapon shown"})

    assert response.status_code == 200
    body = response.json_body
    assert body["outcome"] == "stopped"
    assert body["stoppedBy"] == "maria"
    assert body["channelArn"] == CHANNEL_ARN
    [audit] = decisions()
    assert audit["kind"] == "stop"
    assert audit["auditId"] == body["auditId"]
    assert audit["moderatorId"] == MODERATOR_SUB
    assert audit["moderatorName"] == "maria"
    assert audit["reason"] == "Weapon shown"
    assert audit["outcome"] == "stopped"
    assert audit["revokeRequested"] is False
    assert audit["at"] == body["at"]


def test_stop_with_key_revocation_deletes_the_stream_keys_first_then_stops(client, ivs):
    # The Stubber answers in order: keys are listed and deleted before StopStream, since an
    # encoder reconnects at once after a stop (AWS StopStream reference).
    key_arn = f"arn:aws:ivs:us-west-2:{ACCOUNT}:stream-key/g1H2I3j4k5L6"
    ivs.add_response(
        "list_stream_keys", {"streamKeys": [{"arn": key_arn}]}, {"channelArn": CHANNEL_ARN}
    )
    ivs.add_response("delete_stream_key", {}, {"arn": key_arn})
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})

    response = post(
        client,
        "/stop-stream",
        {"channelArn": CHANNEL_ARN, "reason": "Repeated", "revokeStreamKey": True},
    )

    assert response.status_code == 200
    assert response.json_body["streamKeysRevoked"] == 1
    assert decisions()[0]["streamKeysRevoked"] == 1


def test_a_failed_revocation_does_not_prevent_the_stop_and_both_are_audited(client, ivs):
    ivs.add_client_error("list_stream_keys", "AccessDeniedException", "not allowed", 403)
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})

    response = post(
        client,
        "/stop-stream",
        {"channelArn": CHANNEL_ARN, "reason": "Repeated", "revokeStreamKey": True},
    )

    assert response.status_code == 200
    assert response.json_body["outcome"] == "stopped"
    assert "AccessDeniedException" in response.json_body["revokeError"]
    [audit] = decisions()
    assert audit["outcome"] == "stopped"
    assert audit["revokeRequested"] is True
    assert "AccessDeniedException" in audit["revokeError"]
    assert "streamKeysRevoked" not in audit


def test_stopping_an_offline_channel_is_409_and_audited(client, ivs):
    ivs.add_client_error(
        "stop_stream",
        "ChannelNotBroadcasting",
        "Channel is not broadcasting",
        404,
        expected_params={"channelArn": CHANNEL_ARN},
    )

    response = post(client, "/stop-stream", {"channelArn": CHANNEL_ARN, "reason": "Checking"})

    assert response.status_code == 409
    assert response.json_body["Message"] == "the channel is not live: there was no stream to stop"
    assert decisions()[0]["outcome"] == "already-offline"


@pytest.mark.parametrize(
    ("code", "http", "status", "outcome"),
    [
        ("ResourceNotFoundException", 404, 404, "not-found"),
        ("AccessDeniedException", 403, 403, "access-denied"),
        ("ValidationException", 400, 400, "invalid"),
        ("StreamUnavailable", 503, 503, "unavailable"),
        ("ThrottlingException", 429, 503, "throttled"),
    ],
)
def test_ivs_errors_become_clear_statuses_and_are_audited(client, ivs, code, http, status, outcome):
    ivs.add_client_error("stop_stream", code, "IVS says no", http)

    response = post(client, "/stop-stream", {"channelArn": CHANNEL_ARN, "reason": "Bad frame"})

    assert response.status_code == status
    assert response.json_body["Message"]
    if status == 503:
        assert int(response.headers["Retry-After"]) > 0
    [audit] = decisions()
    assert audit["outcome"] == outcome
    assert code in audit["error"]


OTHER_ACCOUNT_CHANNEL = "arn:aws:ivs:us-west-2:999999999999:channel/AbCdEfGh1234"
OTHER_REGION_CHANNEL = f"arn:aws:ivs:eu-west-1:{ACCOUNT}:channel/AbCdEfGh1234"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([CHANNEL_ARN], "must be a JSON object"),
        ({"reason": "x"}, "channelArn must be an IVS channel ARN"),
        ({"channelArn": ROOM_ARN, "reason": "x"}, "channelArn must be an IVS channel ARN"),
        ({"channelArn": OTHER_ACCOUNT_CHANNEL, "reason": "x"}, f"account {ACCOUNT} in us-west-2"),
        ({"channelArn": OTHER_REGION_CHANNEL, "reason": "x"}, f"account {ACCOUNT} in us-west-2"),
        ({"channelArn": CHANNEL_ARN}, "reason is required"),
        ({"channelArn": CHANNEL_ARN, "reason": "   "}, "reason is required"),
        ({"channelArn": CHANNEL_ARN, "reason": "x" * 501}, "longer than 500"),
        ({"channelArn": CHANNEL_ARN, "reason": "x", "revokeStreamKey": "yes"}, "true or false"),
        ({"channelArn": CHANNEL_ARN, "reason": "x", "force": True}, "unknown field(s): force"),
    ],
)
def test_bad_stop_requests_are_400_and_nothing_is_stopped(client, ivs, body, message):
    response = post(client, "/stop-stream", body)

    assert response.status_code == 400
    assert message in response.json_body["Message"]
    assert decisions() == []


def test_a_body_that_is_not_json_is_400(client, ivs):
    response = client.http.post(
        "/stop-stream",
        headers={"Content-Type": "application/json", **signed_in()},
        body=b"{not json",
    )

    assert response.status_code == 400


# --- POST /chat-token -------------------------------------------------------------------

CHAT_TOKEN = {
    "token": "AQICAHh-single-use-token",
    "tokenExpirationTime": datetime(2026, 11, 21, 10, 5, tzinfo=UTC),
    "sessionExpirationTime": datetime(2026, 11, 21, 11, 0, tzinfo=UTC),
}


def expected_token_request(capabilities: list[str]) -> dict:
    return {
        "roomIdentifier": ROOM_ARN,
        "userId": MODERATOR_SUB,
        "capabilities": capabilities,
        "sessionDurationInMinutes": 60,
        "attributes": {"username": "maria"},
    }


def test_chat_token_is_view_only_for_the_moderators_room_with_its_endpoint(client, ivschat):
    ivschat.add_response("create_chat_token", CHAT_TOKEN, expected_token_request([]))

    response = client.http.post("/chat-token", headers=signed_in())

    assert response.status_code == 200
    assert response.json_body == {
        "token": "AQICAHh-single-use-token",
        "tokenExpirationTime": "2026-11-21T10:05:00Z",
        "sessionExpirationTime": "2026-11-21T11:00:00Z",
        "roomArn": ROOM_ARN,
        "endpoint": "wss://edge.ivschat.us-west-2.amazonaws.com",
    }


def test_chat_token_capabilities_can_be_asked_for(client, ivschat):
    ivschat.add_response(
        "create_chat_token", CHAT_TOKEN, expected_token_request(["DELETE_MESSAGE"])
    )

    response = post(client, "/chat-token", {"capabilities": ["DELETE_MESSAGE"]})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "body", [{"capabilities": ["ADMIN"]}, {"capabilities": "SEND_MESSAGE"}, {"userId": "x"}]
)
def test_bad_chat_token_requests_are_400(client, ivschat, body):
    assert post(client, "/chat-token", body).status_code == 400


def test_chat_throttling_is_503(client, ivschat):
    ivschat.add_client_error("create_chat_token", "ThrottlingException", "slow down", 429)

    response = client.http.post("/chat-token", headers=signed_in())

    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_a_missing_moderators_room_is_said_plainly(client, ivschat):
    ivschat.add_client_error("create_chat_token", "ResourceNotFoundException", "no room", 404)

    response = client.http.post("/chat-token", headers=signed_in())

    assert response.status_code == 500
    assert response.json_body["Message"] == "the moderators' room does not exist"


# --- GET /decisions and /frames ---------------------------------------------------------

OTHER_CHANNEL = f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/ZzYyXxWw9876"


def seed_history() -> list[dict]:
    """Frames of two channels over two days, and one stop; returned newest first."""
    store = DecisionStore(boto3.client("dynamodb"), DECISIONS_TABLE)
    items = []
    for i, (channel, at) in enumerate(
        [
            (CHANNEL_ARN, "2025-03-09T23:58:00.000Z"),
            (OTHER_CHANNEL, "2025-03-09T23:59:00.000Z"),
            (CHANNEL_ARN, "2025-03-10T00:01:00.000Z"),
            (CHANNEL_ARN, "2025-03-10T00:02:00.000Z"),
            (OTHER_CHANNEL, "2025-03-10T00:03:00.000Z"),
        ]
    ):
        item = {
            "channelArn": channel,
            "sortKey": f"{at}#frame{i}",
            "day": at[:10],
            "kind": "frame",
            "decisionId": f"frame{i}",
            "bucket": BUCKET,
            "thumbnailKey": thumbnail_key(i, channel=channel.rsplit("/", 1)[1]),
            "frameTime": at,
            "decision": "alert" if i % 2 else "clean",
            "expiresAt": 1900000000,
        }
        store.create(item)
        items.append(item)
    stop = {
        "channelArn": CHANNEL_ARN,
        "sortKey": "2025-03-10T00:04:00.000Z#stop1",
        "day": "2025-03-10",
        "kind": "stop",
        "auditId": "stop1",
        "at": "2025-03-10T00:04:00.000Z",
        "moderatorName": "maria",
        "reason": "Weapon",
        "outcome": "stopped",
    }
    store.create(stop)
    items.append(stop)
    return sorted(items, key=lambda item: item["sortKey"], reverse=True)


WINDOW = {"from": "2025-03-09T00:00:00Z", "to": "2025-03-10T23:59:59Z"}


def ids(body: dict) -> list[str]:
    return [item.get("decisionId") or item["auditId"] for item in body["items"]]


def test_history_of_one_channel_is_newest_first_with_stops_and_frame_links(client):
    seed_history()

    body = get(client, "/decisions", {"channelArn": CHANNEL_ARN, **WINDOW}).json_body

    assert ids(body) == ["stop1", "frame3", "frame2", "frame0"]
    assert body["nextCursor"] is None
    stop, frame = body["items"][0], body["items"][1]
    assert stop["moderatorName"] == "maria"
    assert "frameUrl" not in stop
    assert BUCKET in frame["frameUrl"] and "X-Amz-Signature" in frame["frameUrl"]
    assert not {"sortKey", "day", "expiresAt", "bucket"} & set(frame)


def test_history_of_all_channels_spans_days_and_pages_with_a_cursor(client):
    everything = [item.get("decisionId") or item["auditId"] for item in seed_history()]

    seen, params = [], {**WINDOW, "limit": "2"}
    for _ in range(10):
        body = get(client, "/decisions", params).json_body
        seen += ids(body)
        if not body["nextCursor"]:
            break
        params = {"cursor": body["nextCursor"], "limit": "2"}

    assert seen == everything


def test_history_time_window_filters(client):
    seed_history()

    body = get(
        client, "/decisions", {"from": "2025-03-10T00:01:30Z", "to": "2025-03-10T00:03:30Z"}
    ).json_body

    assert ids(body) == ["frame4", "frame3"]


def test_history_defaults_to_the_last_24_hours(client):
    seed_history()  # all of it in March 2025, long before the tests run

    body = get(client, "/decisions").json_body

    assert body == {"items": [], "nextCursor": None}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit must be a whole number from 1 to 100"),
        ({"limit": "101"}, "limit must be"),
        ({"from": "yesterday"}, "from must be an ISO-8601 time"),
        ({"from": "2026-11-21T10:00:00"}, "time zone"),
        ({"from": "2026-11-22T00:00:00Z", "to": "2025-03-10T00:00:00Z"}, "from must not be after"),
        ({"from": "2025-01-01T00:00:00Z", "to": "2025-03-10T00:00:00Z"}, "at most 31 days"),
        ({"channelArn": "channel-1"}, "channelArn must be an IVS channel ARN"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor is not one this API returned"),
        ({"cursor": "!!!"}, "cursor is not one this API returned"),
        ({"sort": "asc"}, "unknown parameter(s): sort"),
    ],
)
def test_bad_history_parameters_are_400(client, params, message):
    response = get(client, "/decisions", params)

    assert response.status_code == 400
    assert message in response.json_body["Message"]


def test_a_cursor_cannot_be_mixed_with_a_new_query(client):
    seed_history()
    cursor = get(client, "/decisions", {**WINDOW, "limit": "1"}).json_body["nextCursor"]

    response = get(client, "/decisions", {"cursor": cursor, "channelArn": CHANNEL_ARN})

    assert response.status_code == 400


def test_a_frame_link_opens_the_thumbnail_for_a_while(client):
    key = thumbnail_key(12)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"\xff\xd8\xff\xe0 jpeg")

    body = get(client, "/frames", {"key": key}).json_body

    url = urlparse(body["frameUrl"])
    assert url.path == f"/{key}" or url.path == f"/{BUCKET}/{key}"
    assert parse_qs(url.query)["X-Amz-Expires"] == ["300"]
    assert requests.get(body["frameUrl"], timeout=5).content == b"\xff\xd8\xff\xe0 jpeg"


@pytest.mark.parametrize("params", [{}, {"key": "uploads/passport.jpg"}, {"key": "../../etc"}])
def test_frame_links_only_for_ivs_thumbnails(client, params):
    response = get(client, "/frames", params)

    assert response.status_code == 400


# --- CORS -------------------------------------------------------------------------------

DASHBOARD = "https://moderators.example.com"


def test_preflight_from_the_dashboard_origin_is_allowed(client, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ORIGINS", f"{DASHBOARD}, https://backup.example.com")

    response = client.http.request(
        "OPTIONS",
        "/stop-stream",
        headers={"Origin": DASHBOARD, "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_other_origins_get_no_cors_headers(client, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ORIGINS", DASHBOARD)

    preflight = client.http.request(
        "OPTIONS", "/stop-stream", headers={"Origin": "https://evil.example.com"}
    )
    response = client.http.get("/decisions", headers={"Origin": "https://evil.example.com"})

    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Origin" not in response.headers


def test_errors_carry_cors_headers_so_the_dashboard_can_read_them(client, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ORIGINS", DASHBOARD)

    response = client.http.get("/decisions", headers={"Origin": DASHBOARD})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD
