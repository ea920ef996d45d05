"""Hostile input gets a clear 4xx, never a 5xx (issue #12): a test for each class found.

Each class was measured against the local stack (310 hostile requests, 19 answered with
a 5xx); the requests here are those, through chalice.test.Client, signed in with real
RS256 JWTs. Cases of one class share a test (a fresh app and moto cost more than the
requests): each assertion names its case. Property-based tests of every route are in
test_route_fuzzing.py.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from botocore.exceptions import EndpointConnectionError, ParamValidationError
from botocore.stub import Stubber
from history_items import OTHER_CHANNEL, WINDOW, counted_queries, seed_history
from support import ACCOUNT, APP_CLIENT_ID, CHANNEL_ARN, decisions, thumbnail_key
from tokens import claims_now, id_token, signed_in, signed_payload

from chalicelib.api.http import SECURITY_HEADERS
from chalicelib.api.requests import MAX_BODY_BYTES
from chalicelib.core.errors import aws_error

pytestmark = pytest.mark.usefixtures("jwks")

STOP = {"channelArn": CHANNEL_ARN, "reason": "Weapon shown"}
LONG_ARN = f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/{'A' * 3000}"  # over DynamoDB's 2048 bytes
ARN_129 = f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/{'A' * 88}"  # IVS takes 128 at most


def post_raw(client, path: str, body: bytes | str, content_type: str | None = "application/json"):
    headers = signed_in()
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.http.post(path, headers=headers, body=body)


def post(client, path: str, body, **kwargs):
    return post_raw(client, path, json.dumps(body), **kwargs)


def get(client, path: str, params: dict | None = None, token: str | None = None):
    query = f"?{urlencode(params)}" if params else ""
    return client.http.get(path + query, headers=signed_in(token))


def assert_400(response, *words: str, case=None) -> str:
    """A 400 whose message has `words`, and no Retry-After: sending it again cannot help."""
    assert response.status_code == 400, (case, response.status_code, response.body)
    assert response.json_body["Code"] == "BadRequestError", case
    message = response.json_body["Message"]
    for word in words:
        assert word in message, (case, message)
    assert "Retry-After" not in response.headers, case
    return message


# --- bodies: nesting, types, numbers ------------------------------------------------------


@pytest.mark.parametrize("path", ["/stop-stream", "/chat-token"])
def test_a_deeply_nested_body_is_400(client, ivs, ivschat, path):
    for depth in (9, 50, 5000):  # 5000 made json.loads raise RecursionError: a 500
        body = '{"capabilities": ' + "[" * depth + "]" * depth + "}"

        assert_400(post_raw(client, path, body), "nested too deeply", "8 levels", case=depth)

    assert decisions() == []


def test_list_items_of_the_wrong_type_are_400_naming_the_item(client, ivschat):
    for items in ([["SEND_MESSAGE"]], [{"a": 1}], ["SEND_MESSAGE", 1], [None], [True]):
        response = post(client, "/chat-token", {"capabilities": items})

        index = next(i for i, item in enumerate(items) if item != "SEND_MESSAGE")
        assert_400(response, f"capabilities[{index}] must be one of", case=items)


def test_strict_types_a_bool_is_not_a_number_nor_a_string(client, ivs):
    for body, words in [
        ({**STOP, "revokeStreamKey": 1}, "revokeStreamKey must be true or false"),
        ({**STOP, "revokeStreamKey": "true"}, "revokeStreamKey must be true or false"),
        ({**STOP, "reason": 42}, "reason must be a string"),
        ({**STOP, "reason": ["Weapon"]}, "reason must be a string"),
        ({**STOP, "channelArn": {"arn": CHANNEL_ARN}}, "channelArn must be an IVS channel ARN"),
        ({**STOP, "reason": True}, "reason must be a string"),
    ]:
        assert_400(post(client, "/stop-stream", body), words, case=body)

    assert decisions() == []


def test_numbers_of_thousands_of_digits_or_not_finite_are_400(client, ivs, ivschat):
    for path, body in [
        ("/stop-stream", f'{{"channelArn": "x", "reason": "x", "revokeStreamKey": {"9" * 5000}}}'),
        ("/chat-token", f'{{"capabilities": [{"1" * 4400}]}}'),
        ("/chat-token", f'{{"capabilities": [0.{"1" * 40}]}}'),
        ("/chat-token", '{"capabilities": [1e999]}'),
        ("/chat-token", '{"capabilities": [NaN]}'),
        ("/chat-token", '{"capabilities": [-Infinity]}'),
    ]:
        assert_400(post_raw(client, path, body), "not acceptable JSON", case=body[:60])


def test_a_field_given_twice_is_400(client, ivs):
    body = f'{{"channelArn": "{CHANNEL_ARN}", "reason": "fine", "reason": "other"}}'

    assert_400(post_raw(client, "/stop-stream", body), "reason is given more than once")


def test_limits_are_ascii_digits_of_bounded_length(client):
    for limit in (
        "١٢",  # Arabic-Indic digits: "١٢".isdigit() is True
        "²",  # a superscript: isdigit() is True, and int() raises
        "1" * 2000,
        "1" * 5000,  # int() refuses over 4300 digits
        "0" * 40 + "5",
        "+5",
        " 5",
        "5.0",
    ):
        message = assert_400(get(client, "/decisions", {"limit": limit}), "limit", case=limit)
        assert "whole number from 1 to 100" in message or "longer than 2048" in message


def test_non_ascii_digits_are_400(client, ivs):
    arabic = "".join(chr(0x660 + int(d)) for d in ACCOUNT)
    for path, params, field in [
        ("/decisions", {"from": "٢٠٢٥-03-10T00:00:00Z"}, "from"),
        ("/decisions", {"to": "2025-03-10T0٠:00:00Z"}, "to"),
        ("/decisions", {"channelArn": f"arn:aws:ivs:us-west-2:{arabic}:channel/A1"}, "channelArn"),
        ("/frames", {"key": thumbnail_key(12).replace("2026", "٢٠٢٦")}, "key"),
        ("/frames", {"key": thumbnail_key(12).replace("thumb12", "thumb١٢")}, "key"),
    ]:
        assert_400(get(client, path, params), field, case=params)

    arn = f"arn:aws:ivs:us-west-2:{arabic}:channel/A1"
    assert_400(post(client, "/stop-stream", {**STOP, "channelArn": arn}), "channelArn")
    assert decisions() == []


# --- times and windows --------------------------------------------------------------------


def test_times_at_the_edges_of_the_calendar_are_400(client):
    for params, field in [
        ({"from": "0001-01-01T00:00:00+01:00"}, "from"),  # before year 1 in UTC: OverflowError
        ({"to": "9999-12-31T23:59:59-01:00"}, "to"),  # after year 9999 in UTC
        ({"to": "0001-01-01T00:00:00Z"}, "to"),  # the default window would start in year 0
        ({"from": "9999-12-31T23:59:59Z", "channelArn": CHANNEL_ARN}, "from"),
        ({"to": "1999-12-31T23:59:59Z", "channelArn": CHANNEL_ARN}, "to"),
        ({"from": "2025-02-29T00:00:00Z"}, "from"),
        ({"from": "2025-03-10T24:00:00Z"}, "from"),
        ({"from": "2025-03-10T00:00:00+24:00"}, "from"),
        ({"from": "2025-03-10T00:00:00 01:00"}, "%2B"),  # a + that the URL made a space
        ({"from": "2025-03-10T00:00:00.1234567890Z"}, "from"),
        ({"from": "2025-03-10"}, "from"),
    ]:
        assert_400(get(client, "/decisions", params), field, case=params)


def test_the_edges_of_the_bounds_are_fine(client):
    for window in [
        {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
        {"from": "2000-01-01T01:00:00+01:00", "to": "2099-12-31T23:00:00-01:00"},
    ]:
        response = get(client, "/decisions", {"channelArn": CHANNEL_ARN, **window})

        assert response.status_code == 200, response.json_body


# --- token claims -------------------------------------------------------------------------


def test_aud_is_a_string_or_a_list_of_strings(client):
    for aud, status in [
        ([APP_CLIENT_ID], 200),  # RFC 7519: a list of strings (it was a 500)
        (["some-other-client", APP_CLIENT_ID], 200),
        (["some-other-client"], 401),
        ([], 401),
        ([[APP_CLIENT_ID]], 401),
        ({APP_CLIENT_ID: True}, 401),
        (7, 401),
    ]:
        response = get(client, "/decisions", token=id_token(aud=aud))

        assert response.status_code == status, (aud, response.json_body)


def test_groups_are_a_list_of_names_and_membership_is_exact(client):
    for groups, status in [
        ("moderators", 401),  # a string: `in` matched it, and any string holding it
        ("moderators-old", 401),
        ("xmoderatorsx", 401),
        ({"moderators": 1}, 401),
        ([["moderators"]], 401),
        (["moderators", 7], 401),
        (["moderators-old"], 403),
        (["xmoderatorsx", "Moderators", "moderators "], 403),
        (["viewers", "moderators"], 200),
    ]:
        response = get(client, "/decisions", token=id_token(**{"cognito:groups": groups}))

        assert response.status_code == status, (groups, response.json_body)


def test_claims_of_the_wrong_type_are_401(client):
    for claims in [
        {"token_use": "ID"},
        {"token_use": "refresh"},
        {"token_use": ["id"]},
        {"token_use": 1},
        {"token_use": "access", "aud": None, "client_id": [APP_CLIENT_ID]},
        {"token_use": "access", "aud": None},
        {"sub": 12345},
        {"sub": ""},
        {"sub": "x" * 129},
        {"cognito:username": ["maria"]},
        {"cognito:username": "m" * 129},
        {"cognito:username": "maria\u0000"},
        {"exp": "tomorrow"},
        {"exp": 1e400},
        {"iat": [1]},
    ]:
        response = get(client, "/decisions", token=id_token(**claims))

        assert response.status_code == 401, (claims, response.json_body)
        assert response.json_body["Message"], claims


def test_signed_payloads_no_library_writes_are_401(client):
    for payload in [
        b"[1, 2]",
        b'"moderators"',
        json.dumps(claims_now(**{"cognito:username": "maria\ud800"})).encode(),
        json.dumps(claims_now()).encode()[:-1] + b', "cognito:groups": "moderators"}',
        b'{"sub": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        json.dumps(claims_now(iss=[claims_now()["iss"]])).encode(),
    ]:
        response = get(client, "/decisions", token=signed_payload(payload))

        assert response.status_code == 401, (payload[:80], response.json_body)


def test_authorization_headers_that_are_not_a_jwt_are_401(client):
    for authorization in [
        "Bearer " + "a" * 20000,
        "Bearer a.b.c\u0000",
        "Bearer é.é.é",
        "Bearer \ud800.a.b",
        "Basic bWFyaWE6cGFzcw==",
        "Bearer",
    ]:
        response = client.http.get("/decisions", headers={"Authorization": authorization})

        assert response.status_code == 401, authorization[:40]


# --- lengths and text AWS would refuse ----------------------------------------------------


def test_a_channel_arn_too_long_for_ivs_or_the_table_is_400_and_stops_nothing(client, ivs):
    for arn in (ARN_129, LONG_ARN):  # LONG_ARN was a 503: DynamoDB refused the audit's key
        message = assert_400(post(client, "/stop-stream", {**STOP, "channelArn": arn}))

        assert message == "channelArn is longer than 128 characters"
        assert_400(get(client, "/decisions", {"channelArn": arn}), "channelArn is longer than")

    assert decisions() == []


def test_a_reason_that_is_not_clean_text_is_400_not_a_retryable_503(client, ivs):
    for reason in ["Weapon \\ud800 shown", "\\udfff", "a\\u0000b", "bell\\u0007", "\\u001b[31m"]:
        body = f'{{"channelArn": "{CHANNEL_ARN}", "reason": "{reason}"}}'

        message = assert_400(post_raw(client, "/stop-stream", body), "reason", case=reason)
        assert "Unicode" in message or "control characters" in message, message

    assert decisions() == []


def test_a_reason_may_have_line_breaks_and_tabs(client, ivs):
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})

    response = post(client, "/stop-stream", {**STOP, "reason": "Weapon\n\tshown\r\n"})

    assert response.status_code == 200
    assert decisions()[0]["reason"] == "Weapon\n\tshown"


# --- AWS's answers: permanent errors are 400, throttling and outages 503 --------------------

TABLE_ERRORS = [
    ("ValidationException", 400, 400, "rejected the request as invalid"),
    ("ProvisionedThroughputExceededException", 400, 503, "throttling"),
    ("ThrottlingException", 400, 503, "throttling"),
    ("InternalServerError", 500, 503, "unavailable"),
    ("AccessDeniedException", 400, 500, "failed: AccessDeniedException"),
]


@pytest.fixture
def dynamodb(app_module):
    """A Stubber on the app's DynamoDB client (moto answers while it is not active)."""
    return Stubber(app_module.aws_client("dynamodb"))


def test_a_stop_whose_audit_the_table_refuses_is_not_stopped(client, ivs, dynamodb):
    for code, http, status, words in TABLE_ERRORS:
        dynamodb.add_response("get_item", {})  # the channel has no open incident
        dynamodb.add_client_error("transact_write_items", code, "no", http)  # the claim
        with dynamodb:
            response = post(client, "/stop-stream", STOP)

        assert response.status_code == status, code
        message = response.json_body["Message"]
        assert words in message and "so the stream was not stopped" in message, message
        assert ("Retry-After" in response.headers) == (status == 503), code


def test_history_the_table_refuses_is_answered_for_what_it_is(client, dynamodb):
    for code, http, status, words in TABLE_ERRORS:
        dynamodb.add_client_error("query", code, "no", http)
        with dynamodb:
            response = get(client, "/decisions", {"channelArn": CHANNEL_ARN})

        assert response.status_code == status, code
        message = response.json_body["Message"]
        assert message.startswith("the decision log") and words in message, message
        assert ("Retry-After" in response.headers) == (status == 503), code


def test_ivs_unreachable_is_503_and_audited(client, app_module):
    ivs = app_module.aws_client("ivs")

    def unreachable(**_):
        raise EndpointConnectionError(endpoint_url="https://ivs.us-west-2.amazonaws.com")

    ivs.meta.events.register_first("before-call.ivs.StopStream", unreachable)
    try:
        response = post(client, "/stop-stream", STOP)
    finally:
        ivs.meta.events.unregister("before-call.ivs.StopStream", unreachable)

    assert response.status_code == 503
    assert "IVS could not be reached" in response.json_body["Message"]
    assert decisions()[0]["outcome"] == "failed"


def test_requests_botocore_cannot_send_are_400():
    for error in [
        ParamValidationError(report="Invalid length for parameter channelArn"),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
    ]:
        answer = aws_error(error, "IVS")

        assert answer.status_code == 400, error
        assert "Retry-After" not in answer.headers


# --- the history cursor -------------------------------------------------------------------


def cursor_state(cursor: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def forged(state) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def first_cursor(client, **params) -> str:
    body = get(client, "/decisions", {**WINDOW, "limit": "1", **params}).json_body
    assert body["nextCursor"]
    return body["nextCursor"]


def assert_refused_before_any_query(client, app_module, cursor: str, words: str, case) -> None:
    with counted_queries(app_module.aws_client("dynamodb")) as queries:
        response = get(client, "/decisions", {"cursor": cursor})

    assert_400(response, "cursor is", words, case=case)
    assert queries == [], case


def test_a_cursor_widened_to_five_years_is_400_not_1827_queries(client, app_module):
    seed_history()
    state = cursor_state(first_cursor(client))
    state.update(s="2021-03-10T00:00:00.000Z", e="2026-03-10T00:00:00.000Z", d="2026-03-10")

    assert_refused_before_any_query(client, app_module, forged(state), "at most 31 days", "5y")


def test_a_forged_all_channels_cursor_is_400_before_any_query(client, app_module):
    seed_history()
    state = cursor_state(first_cursor(client))
    key = state["k"]
    assert set(key) == {"day", "channelArn", "sortKey"}
    for change, words in [
        ({"s": "0001-01-01T00:00:00.000Z"}, "start"),
        ({"e": "9999-12-31T23:59:59.999Z"}, "end"),
        ({"d": "2025-01-01"}, "outside the window"),
        ({"d": "2025-3-10"}, "YYYY-MM-DD"),
        ({"d": None}, "YYYY-MM-DD"),
        ({"decision": ["clean"]}, "listed per channel"),
        ({"decision": "alert"}, "decision"),
        ({"kind": ["frame", "bogus"]}, "kind"),
        ({"kind": []}, "kind"),
        ({"c": ARN_129}, "longer than 128"),
        ({"v": 1}, "version"),
        ({"extra": True}, "version"),
        ({"k": {**key, "day": "2025-03-09"}}, "another day"),
        ({"k": {**key, "sortKey": "2026-01-01T00:00:00.000Z#x"}}, "window"),
        ({"k": {**key, "sortKey": "2025-03-10T00:03:00.000Z#x\n"}}, "window"),
        ({"k": {**key, "sortKey": {"S": "x"}}}, "window"),
        ({"k": {**key, "channelArn": ARN_129}}, "128"),
        ({"k": {**key, "channelArn": ["x"]}}, "channelArn"),
        ({"k": {**key, "extra": "x"}}, "start key"),
        ({"k": "2025-03-10"}, "start key"),
    ]:
        cursor = forged({**state, **change})

        assert_refused_before_any_query(client, app_module, cursor, words, change)


def test_a_forged_channel_cursor_cannot_reach_another_partition(client, app_module):
    seed_history()
    state = cursor_state(first_cursor(client, channelArn=CHANNEL_ARN))
    key = state["k"]
    assert set(key) == {"channelArn", "sortKey"}
    for change, words in [
        ({"c": OTHER_CHANNEL}, "another channel"),  # the start key stays in CHANNEL_ARN
        ({"k": {**key, "channelArn": OTHER_CHANNEL}}, "another channel"),
        ({"d": "2025-03-10"}, "not read by day"),
        ({"k": {**key, "sortKey": "~reference-frame"}}, "window"),
        ({"k": {**key, "sortKey": "2025-03-10T" + "9" * 200}}, "window"),
        ({"k": {"channelArn": CHANNEL_ARN}}, "start key"),
    ]:
        cursor = forged({**state, **change})

        assert_refused_before_any_query(client, app_module, cursor, words, change)


def test_cursors_that_are_not_ours_are_400(client, app_module):
    for cursor in ["", "=", "a" * 3000, "eyJ2Ijo", forged([1]), forged("x"), "4pyT", "e30"]:
        assert_refused_before_any_query(client, app_module, cursor, "", cursor[:20])


def test_a_history_cursor_holds_exactly_what_this_api_put_in_it(client, app_module):
    """Issue item 6: keys a fresh query refuses are refused inside a cursor too."""
    seed_history()
    for params in ({}, {"channelArn": CHANNEL_ARN}):
        cursor = first_cursor(client, **params)
        state = cursor_state(cursor)
        # a cursor as returned still pages
        page = get(client, "/decisions", {"cursor": cursor, "limit": "1"})
        assert page.status_code == 200, params
        assert len(page.json_body["items"]) == 1 and page.json_body["nextCursor"], params
        for change, words in [
            ({"admin": True}, "it holds admin"),
            ({"limit": 10**9}, "it holds limit"),
            ({"cursor": cursor}, "it holds cursor"),
            ({"q": {"limit": str(10**9)}}, "it holds q"),
            ({"v": 2.0}, "its version must be a whole number"),  # 2.0 == 2: read as v2 before
            ({"v": "2"}, "its version must be a whole number"),
            ({"c": 5}, "its channel must be text or null"),
            ({"s": 0}, "its start must be text"),
            ({"kind": "frame,stop"}, "its kind must be a list"),
            ({"d": ["2025-03-10"]}, "its day must be text or null"),
            ({"k": []}, "its start key must be an object or null"),
        ]:
            case = (params, change)
            with counted_queries(app_module.aws_client("dynamodb")) as queries:
                response = get(client, "/decisions", {"cursor": forged({**state, **change})})
            assert_400(response, "cursor is not one this API returned (", words, case=case)
            assert queries == [], case
        for missing in ("k", "d", "v"):
            without = {name: value for name, value in state.items() if name != missing}
            response = get(client, "/decisions", {"cursor": forged(without)})
            assert_400(response, "not one this API returned", f"lacks {missing}", case=missing)


def test_an_untouched_cursor_still_works_and_each_page_is_bounded(client, app_module):
    seed_history()
    cursor = first_cursor(client)

    with counted_queries(app_module.aws_client("dynamodb")) as queries:
        response = get(client, "/decisions", {"cursor": cursor, "limit": "100"})

    assert response.status_code == 200
    assert len(response.json_body["items"]) == 4
    assert 1 <= len(queries) <= 8


# --- bodies: size and type ----------------------------------------------------------------


def test_a_body_over_16_kib_is_413_signed_in_or_not(client, ivs, ivschat):
    body = json.dumps({"reason": "x" * MAX_BODY_BYTES}).encode()
    for method, path in [("POST", "/stop-stream"), ("POST", "/chat-token"), ("GET", "/decisions")]:
        for signed in (signed_in(), {}):
            headers = {"Content-Type": "application/json", **signed}

            response = client.http.request(method, path, headers=headers, body=body)

            assert response.status_code == 413, (path, bool(signed))
            assert response.json_body == {
                "Code": "RequestEntityTooLargeError",
                "Message": f"the body is larger than {MAX_BODY_BYTES} bytes",
            }
    assert decisions() == []


@pytest.mark.parametrize("path", ["/stop-stream", "/chat-token"])
def test_a_body_that_is_not_declared_json_is_415(client, ivs, ivschat, path):
    body = {"capabilities": ["DELETE_MESSAGE"]} if path == "/chat-token" else STOP
    for content_type in [
        "text/plain",  # Chalice answers 415 itself
        "application/x-www-form-urlencoded",
        "*/*",  # Chalice lets it through, and its json_body dropped the body
        "text/plain, application/json",
        "application/json; charset=latin-1",
        "application/json-patch+json",
        None,  # a body without a Content-Type
    ]:
        response = post(client, path, body, content_type=content_type)

        assert response.status_code == 415, (content_type, response.body)
        assert response.json_body["Code"] == "UnsupportedMediaType"
        assert response.json_body["Message"]


def test_json_content_types_are_matched_as_http_says(client, ivs):
    for n, content_type in enumerate(
        ["Application/JSON", "application/json;charset=UTF-8", 'application/json; charset="utf-8"']
    ):
        channel_arn = f"{CHANNEL_ARN[:-1]}{n}"  # a channel each: a stopped one stays stopped
        ivs.add_response("stop_stream", {}, {"channelArn": channel_arn})

        response = post(
            client, "/stop-stream", {**STOP, "channelArn": channel_arn}, content_type=content_type
        )

        assert response.status_code == 200, content_type


def test_a_body_that_is_not_utf8_is_400(client, ivs):
    body = f'{{"channelArn": "{CHANNEL_ARN}", "reason": "caf\xe9"}}'

    assert_400(post_raw(client, "/stop-stream", body.encode("latin-1")), "not valid JSON")


# --- query strings ------------------------------------------------------------------------


def test_query_strings_are_checked_on_every_route(client):
    for method, path, query, words in [
        ("GET", "/decisions", "limit=1&limit=2", "limit is given more than once"),
        ("GET", "/frames", f"key={thumbnail_key(1)}&size=big", "unknown parameter(s): size"),
        ("POST", "/chat-token", "userId=admin", "unknown parameter(s): userId"),
        ("POST", "/stop-stream", "force=1", "unknown parameter(s): force"),
        ("GET", "/decisions", "channelArn=" + CHANNEL_ARN + "%0A", "channelArn"),
        ("GET", "/frames", "key=" + thumbnail_key(1) + "%0A", "key"),
        ("GET", "/decisions", "kind=stop%00", "kind"),
    ]:
        response = client.http.request(
            method, f"{path}?{query}", headers={"Content-Type": "application/json", **signed_in()}
        )

        assert_400(response, words, case=query)


# --- security headers ---------------------------------------------------------------------


def test_security_headers_are_on_every_response(client):
    for method, path, headers, status in [
        ("GET", "/", {}, 200),
        ("GET", "/static/dashboard.js", {}, 200),
        ("GET", "/static/nothing.js", {}, 404),
        ("GET", "/config", {}, 200),
        ("GET", "/decisions", signed_in(), 200),
        ("GET", "/decisions", {}, 401),
        ("GET", "/decisions?limit=0", signed_in(), 400),
        ("PUT", "/decisions", signed_in(), 405),  # Chalice's own answer
        ("POST", "/stop-stream", {"Content-Type": "text/plain"}, 415),  # Chalice's too
        ("OPTIONS", "/decisions", {}, 403),  # a preflight from no allowed origin
    ]:
        response = client.http.request(method, path, headers=headers, body=b"x")

        assert response.status_code == status, (method, path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (method, path, name)
        assert response.headers["Content-Security-Policy"], (method, path)


def test_the_dashboard_keeps_its_strict_csp_and_api_answers_get_a_locked_one(client):
    page = client.http.get("/").headers
    api = get(client, "/decisions").headers

    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "connect-src 'self' https://cognito-idp" in page["Content-Security-Policy"]
    assert page["Cache-Control"] == "no-cache"
    assert api["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert api["Cache-Control"] == "no-store"
