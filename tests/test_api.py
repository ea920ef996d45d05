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
from history_items import (
    OTHER_CHANNEL,
    WINDOW,
    counted_queries,
    frame_item,
    ids,
    seed_history,
    store,
)
from support import (
    ACCOUNT,
    APP_CLIENT_ID,
    BUCKET,
    CHANNEL_ARN,
    ROOM_ARN,
    USER_POOL_ID,
    decisions,
    thumbnail_key,
)
from tokens import MODERATOR_SUB, OTHER_KEY, id_token, signed_in

from chalicelib.decisions.history import MAX_QUERIES_PER_REQUEST


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
    ("GET", "/export/decisions"),
    ("GET", "/incidents"),
    ("GET", "/incidents/{incident_id}"),
    ("POST", "/incidents/{incident_id}/acknowledge"),
    ("POST", "/incidents/{incident_id}/resolve"),
    ("POST", "/incidents/{incident_id}/reopen"),
    ("POST", "/incidents/{incident_id}/take-over"),
    ("POST", "/incidents/{incident_id}/assign"),
    ("POST", "/incidents/{incident_id}/release"),
    ("POST", "/incidents/{incident_id}/ban"),
    ("POST", "/incidents/{incident_id}/timeout"),
    ("POST", "/incidents/{incident_id}/unban"),
    ("POST", "/incidents/{incident_id}/delete-messages"),
    ("GET", "/chat/bans"),
    ("GET", "/chat/terms"),
    ("PUT", "/chat/terms"),
    ("DELETE", "/chat/terms"),
    ("GET", "/channels"),
    ("GET", "/stats"),
    ("GET", "/stats/backlog"),
    ("GET", "/teams"),
    ("GET", "/me"),
    ("GET", "/policies"),
    ("GET", "/policies/{name}"),
    ("GET", "/policies/{name}/versions/{version}"),
    ("PUT", "/policies/{name}"),
    ("POST", "/policies/{name}/restore"),
    ("DELETE", "/policies/{name}"),
    ("POST", "/policies/backtest"),
    ("GET", "/channels/{channel_arn}/policy"),
    ("PUT", "/channels/{channel_arn}/policy"),
    ("GET", "/watchlist"),
    ("GET", "/policy-log"),
    ("PUT", "/watchlist/{channel_arn}"),
    ("DELETE", "/watchlist/{channel_arn}"),
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
        "slaMinutes": {"critical": 2, "high": 5, "medium": 15},
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
        "Message": "maria is not in the triage, moderators or admins group",
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
        ({"reason": "x"}, "channelArn is required"),
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


def test_history_of_one_channel_is_newest_first_with_stops_and_frame_links(client):
    seed_history()

    body = get(client, "/decisions", {"channelArn": CHANNEL_ARN, **WINDOW}).json_body

    # clean and superseded frames are left out unless asked for
    assert ids(body) == ["stop1", "frame3"]
    assert body["nextCursor"] is None
    stop, frame = body["items"]
    assert stop["moderatorName"] == "maria"
    assert "frameUrl" not in stop
    assert BUCKET in frame["frameUrl"] and "X-Amz-Signature" in frame["frameUrl"]
    assert not {"sortKey", "day", "expiresAt", "bucket"} & set(frame)


def test_a_channels_clean_and_superseded_frames_are_listed_when_asked_for(client):
    seed_history()

    body = get(
        client, "/decisions", {"channelArn": CHANNEL_ARN, "decision": "clean,superseded", **WINDOW}
    ).json_body

    assert ids(body) == ["frame5", "frame2", "frame0"]


def test_history_of_all_channels_lists_what_the_index_holds_across_days(client):
    everything = ids({"items": seed_history()})
    listed = [i for i in everything if i not in ("frame0", "frame2", "frame5")]

    seen, params = [], {**WINDOW, "limit": "2"}
    for _ in range(10):
        body = get(client, "/decisions", params).json_body
        seen += ids(body)
        if not body["nextCursor"]:
            break
        params = {"cursor": body["nextCursor"], "limit": "2"}

    assert seen == listed == ["incident1", "stop1", "frame4", "frame3", "frame1"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "stop"}, ["stop1"]),
        ({"kind": "incident,stop"}, ["incident1", "stop1"]),
        ({"kind": "frame"}, ["frame4", "frame3", "frame1"]),
        ({"decision": "alert"}, ["frame3", "frame1"]),
        ({"decision": "unscannable,auto-stop"}, ["frame4"]),
        ({"kind": "frame,stop", "decision": "alert"}, ["stop1", "frame3", "frame1"]),
        ({"channelArn": CHANNEL_ARN, "decision": "clean"}, ["frame5", "frame0"]),
        ({"channelArn": CHANNEL_ARN, "kind": "stop,incident"}, ["stop1"]),
        ({"channelArn": OTHER_CHANNEL}, ["incident1", "frame4", "frame1"]),
    ],
)
def test_history_filters_by_kind_and_decision(client, params, expected):
    seed_history()

    assert ids(get(client, "/decisions", {**WINDOW, **params}).json_body) == expected


def test_filters_are_carried_in_the_cursor(client):
    seed_history()
    params = {**WINDOW, "decision": "alert", "limit": "1"}

    seen = []
    for _ in range(5):
        body = get(client, "/decisions", params).json_body
        seen += ids(body)
        if not body["nextCursor"]:
            break
        params = {"cursor": body["nextCursor"], "limit": "1"}

    assert seen == ["frame3", "frame1"]


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
        ({"kind": "frames"}, "kind must be a comma-separated list of frame, stop, incident"),
        ({"kind": ""}, "kind must be a comma-separated list"),
        ({"decision": "alert,stop"}, "decision must be a comma-separated list of clean, alert"),
        ({"decision": "clean"}, "clean frames are listed per channel: name a channelArn"),
        ({"decision": "superseded,alert"}, "superseded frames are listed per channel"),
        ({"kind": "stop", "decision": "alert"}, "decision filters frames: add frame to kind"),
    ],
)
def test_bad_history_parameters_are_400(client, params, message):
    response = get(client, "/decisions", params)

    assert response.status_code == 400
    assert message in response.json_body["Message"]


@pytest.mark.parametrize("name", ["channelArn", "from", "to", "kind", "decision"])
def test_a_cursor_cannot_be_mixed_with_a_new_query(client, name):
    seed_history()
    cursor = get(client, "/decisions", {**WINDOW, "limit": "1"}).json_body["nextCursor"]
    value = {"channelArn": CHANNEL_ARN, "kind": "stop", "decision": "alert"}.get(name)

    response = get(client, "/decisions", {"cursor": cursor, name: value or WINDOW["to"]})

    assert response.status_code == 400
    assert "a cursor carries its query" in response.json_body["Message"]


def test_a_selective_filter_comes_back_in_short_pages_of_bounded_work(
    client, app_module, monkeypatch
):
    # GIVEN a channel whose one alert is older than 120 clean frames, and small budgets
    import chalicelib.decisions.history as history

    monkeypatch.setattr(history, "ITEMS_PER_QUERY", 10)
    monkeypatch.setattr(history, "MAX_QUERIES_PER_REQUEST", 3)
    log = store()
    log.create(frame_item("alert0", CHANNEL_ARN, "2025-03-10T00:00:00.000Z", "alert"))
    for i in range(120):
        at = f"2025-03-10T01:{i // 60:02d}:{i % 60:02d}.000Z"
        log.create(frame_item(f"clean{i:03d}", CHANNEL_ARN, at, "clean"))
    dynamodb = app_module.aws_client("dynamodb")

    # WHEN the moderator pages through the channel's flagged frames
    params, pages, found = {"channelArn": CHANNEL_ARN, **WINDOW, "limit": "5"}, 0, []
    with counted_queries(dynamodb) as queries:
        while True:
            before = len(queries)
            body = get(client, "/decisions", params).json_body
            pages += 1
            # THEN no request does more than its budget of work
            assert len(queries) - before <= 3
            assert all(query["Limit"] <= 10 for query in queries[before:])
            found += ids(body)
            if not body["nextCursor"]:
                break
            params = {"cursor": body["nextCursor"], "limit": "5"}

    # AND the short (even empty) pages, each with a cursor, lead to the alert
    assert found == ["alert0"]
    assert pages > 3


def test_all_channels_history_over_empty_days_is_bounded_per_request(client, app_module):
    # GIVEN one alert at the very start of a 31-day window
    store().create(frame_item("alert0", CHANNEL_ARN, "2025-03-01T00:00:00.000Z", "alert"))
    params = {"from": "2025-03-01T00:00:00Z", "to": "2025-03-31T23:59:59Z", "limit": "5"}

    found, requests_made = [], 0
    with counted_queries(app_module.aws_client("dynamodb")) as queries:
        while True:
            before = len(queries)
            body = get(client, "/decisions", params).json_body
            requests_made += 1
            assert len(queries) - before <= MAX_QUERIES_PER_REQUEST
            found += ids(body)
            if not body["nextCursor"]:
                break
            params = {"cursor": body["nextCursor"], "limit": "5"}

    assert found == ["alert0"]
    assert len(queries) == 31  # one Query per day, however many requests
    assert requests_made == -(-31 // MAX_QUERIES_PER_REQUEST)


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


@pytest.mark.parametrize(("method", "path"), [("PUT", "/policies/kids"), ("DELETE", "/chat/terms")])
def test_preflight_allows_the_dashboards_puts_and_deletes(client, monkeypatch, method, path):
    monkeypatch.setenv("DASHBOARD_ORIGINS", DASHBOARD)

    response = client.http.request(
        "OPTIONS", path, headers={"Origin": DASHBOARD, "Access-Control-Request-Method": method}
    )

    assert response.status_code == 204
    assert method in response.headers["Access-Control-Allow-Methods"].split(",")


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
