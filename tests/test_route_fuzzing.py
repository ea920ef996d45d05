"""Property-based tests of every route in `app.routes`: hostile input never gets a 5xx.

The routes are read from the app, so a route added later is fuzzed too: from its known
good request in BASES when it has one (mutated field by field), else from a generic one.
Each example is one request through chalice.test.Client with moto behind it, IVS and IVS
chat answered by canned responses (ANSWERS) after botocore has checked each request
against the service model. Whatever is sent, every answer must be:

- below 500, unless AWS itself was made to fail (then a 503 with Retry-After, or a
  plain-spoken 500 from a refusal retrying cannot fix — never Chalice's bare 500);
- JSON `{"Code", "Message"}` with a message when it is an error;
- with the security headers;
- at most MAX_QUERIES_PER_REQUEST DynamoDB queries;
- and a success on a protected route only for a token whose role may call it.

Hypothesis runs derandomized with a bounded number of examples: the same inputs on every
run, and a few seconds per test.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from botocore.awsrequest import AWSResponse
from history_items import (
    CHAT_TO_BAN,
    CHAT_TO_CLEAN,
    CHAT_TO_TIME_OUT,
    CHAT_TO_UNBAN,
    INCIDENT_HELD,
    INCIDENT_TO_ACKNOWLEDGE,
    INCIDENT_TO_REOPEN,
    INCIDENT_TO_RESOLVE,
    KIDS,
    POLICY_TO_DELETE,
    POLICY_TO_READ,
    POLICY_TO_RESTORE,
    VIEWER_ROOM,
    WATCHED_CHANNEL,
    WINDOW,
    counted_queries,
    seed_chat_incidents,
    seed_history,
    seed_incidents,
    seed_policies,
    seed_terms,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ACCOUNT, APP_CLIENT_ID, CHANNEL_ARN, thumbnail_key
from tokens import GROUPS, ISSUER, claims_now, id_token, signed_payload

from app import app as chalice_app
from chalicelib.api.http import SECURITY_HEADERS
from chalicelib.api.roles import rule_of
from chalicelib.decisions.history import MAX_QUERIES_PER_REQUEST

pytestmark = pytest.mark.usefixtures("jwks")

ROUTES = sorted(
    (path, method) for path, methods in chalice_app.routes.items() for method in methods
)
PUBLIC = {"/", "/static/{name}", "/config"}


def fuzz(examples: int):
    return settings(
        max_examples=examples,
        derandomize=True,  # the same examples on every run: CI stays deterministic
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,  # moto and the app are shared by examples
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


# --- what a good request to each route looks like -------------------------------------------


@dataclass(frozen=True)
class Base:
    """A request the route answers with a success."""

    body: Mapping[str, Any] | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    path_params: Mapping[str, str] = field(default_factory=dict)


BASES: dict[tuple[str, str], Base] = {
    ("/stop-stream", "POST"): Base(
        body={"channelArn": CHANNEL_ARN, "reason": "Weapon shown", "revokeStreamKey": True}
    ),
    ("/chat-token", "POST"): Base(body={"capabilities": ["DELETE_MESSAGE", "SEND_MESSAGE"]}),
    ("/decisions", "GET"): Base(
        params={
            "channelArn": CHANNEL_ARN,
            **WINDOW,
            "kind": "frame,stop",
            "decision": "alert,clean",
            "limit": "5",
        }
    ),
    ("/frames", "GET"): Base(params={"key": thumbnail_key(12)}),
    ("/export/decisions", "GET"): Base(params={**WINDOW, "kind": "incident,stop", "limit": "5"}),
    ("/static/{name}", "GET"): Base(path_params={"name": "dashboard.js"}),
    ("/incidents", "GET"): Base(params={"state": "open,acknowledged", "category": "Violence"}),
    ("/incidents/{incident_id}", "GET"): Base(path_params={"incident_id": INCIDENT_TO_ACKNOWLEDGE}),
    ("/incidents/{incident_id}/acknowledge", "POST"): Base(
        body={"note": "on it"}, path_params={"incident_id": INCIDENT_TO_ACKNOWLEDGE}
    ),
    ("/incidents/{incident_id}/resolve", "POST"): Base(
        body={"resolution": "dismissed", "labels": ["Weapon Violence"], "note": "a toy"},
        path_params={"incident_id": INCIDENT_TO_RESOLVE},
    ),
    ("/incidents/{incident_id}/reopen", "POST"): Base(
        body={"note": "it is back"}, path_params={"incident_id": INCIDENT_TO_REOPEN}
    ),
    ("/channels", "GET"): Base(),
    ("/stats", "GET"): Base(params=WINDOW),
    ("/stats/backlog", "GET"): Base(),
    ("/incidents/{incident_id}/take-over", "POST"): Base(
        body={"note": "mine now"}, path_params={"incident_id": INCIDENT_TO_ACKNOWLEDGE}
    ),
    ("/incidents/{incident_id}/assign", "POST"): Base(
        body={"to": "tom", "note": "yours"}, path_params={"incident_id": INCIDENT_TO_ACKNOWLEDGE}
    ),
    ("/incidents/{incident_id}/release", "POST"): Base(
        body={"note": "not mine"}, path_params={"incident_id": INCIDENT_HELD}
    ),
    ("/incidents/{incident_id}/ban", "POST"): Base(
        body={"note": "slurs", "everyRoom": False}, path_params={"incident_id": CHAT_TO_BAN}
    ),
    ("/incidents/{incident_id}/timeout", "POST"): Base(
        body={"minutes": 60, "note": "cool off"}, path_params={"incident_id": CHAT_TO_TIME_OUT}
    ),
    ("/incidents/{incident_id}/unban", "POST"): Base(
        body={"note": "appeal granted"}, path_params={"incident_id": CHAT_TO_UNBAN}
    ),
    ("/incidents/{incident_id}/delete-messages", "POST"): Base(
        body={"messageIds": ["Ctx0AbCdEfGh"]}, path_params={"incident_id": CHAT_TO_CLEAN}
    ),
    ("/chat/bans", "GET"): Base(params={"roomArn": VIEWER_ROOM}),
    ("/chat/terms", "GET"): Base(params={"roomArn": "*"}),
    ("/chat/terms", "PUT"): Base(body={"roomArn": VIEWER_ROOM, "term": "sc*m", "minutes": 60}),
    ("/chat/terms", "DELETE"): Base(params={"roomArn": "*", "term": "spoiler"}),
    ("/policies", "GET"): Base(),
    ("/policies/{name}", "GET"): Base(path_params={"name": POLICY_TO_READ}),
    ("/policies/{name}/versions/{version}", "GET"): Base(
        path_params={"name": POLICY_TO_READ, "version": "1"}
    ),
    ("/policies/{name}", "PUT"): Base(
        body={"document": KIDS, "expectedVersion": 0, "comment": "new"},
        path_params={"name": "new-rules"},
    ),
    ("/policies/{name}/restore", "POST"): Base(
        body={"version": 1, "expectedVersion": 2}, path_params={"name": POLICY_TO_RESTORE}
    ),
    ("/policies/{name}", "DELETE"): Base(
        params={"expectedVersion": "1"}, path_params={"name": POLICY_TO_DELETE}
    ),
    ("/policies/backtest", "POST"): Base(body={"name": POLICY_TO_READ, "draft": KIDS, "hours": 6}),
    ("/channels/{channel_arn}/policy", "GET"): Base(path_params={"channel_arn": CHANNEL_ARN}),
    ("/channels/{channel_arn}/policy", "PUT"): Base(
        body={"policy": POLICY_TO_READ}, path_params={"channel_arn": CHANNEL_ARN}
    ),
    ("/watchlist", "GET"): Base(),
    ("/policy-log", "GET"): Base(params={"limit": "10"}),
    ("/watchlist/{channel_arn}", "PUT"): Base(
        body={"hours": 12, "reason": "stopped twice today"},
        path_params={"channel_arn": CHANNEL_ARN},
    ),
    ("/watchlist/{channel_arn}", "DELETE"): Base(path_params={"channel_arn": WATCHED_CHANNEL}),
}

# Canned AWS answers by service and operation, after botocore has validated the request.
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
ANSWERS: dict[str, dict[str, dict]] = {
    "ivs": {
        "StopStream": {},
        "ListStreamKeys": {
            "streamKeys": [{"arn": f"arn:aws:ivs:us-west-2:{ACCOUNT}:stream-key/g1H2I3j4k5L6"}]
        },
        "DeleteStreamKey": {},
    },
    "ivschat": {
        "SendEvent": {"id": "AbCdEfGh1234"},
        "DisconnectUser": {},
        "DeleteMessage": {"id": "AbCdEfGh5678"},
        "CreateChatToken": {
            "token": "AQICAHh-single-use-token",
            "tokenExpirationTime": NOW,
            "sessionExpirationTime": NOW,
        },
    },
}
# How AWS may fail, as (error code, HTTP status).
FAILURES = [
    ("ThrottlingException", 429),
    ("ValidationException", 400),
    ("AccessDeniedException", 403),
    ("ResourceNotFoundException", 404),
    ("ChannelNotBroadcasting", 404),
    ("ConflictException", 409),
    ("PendingVerification", 403),
    ("InternalServerException", 500),
    ("StreamUnavailable", 503),
]


@contextmanager
def canned_aws(app_module, failures: Mapping[str, tuple[str, int]] | None = None):
    """IVS and IVS chat answered from ANSWERS, or with `failures` (by operation name).

    Calls with no canned answer are collected in the yielded list: the test fails on them.
    """
    missing: list[str] = []
    clients = [app_module.aws_client(service) for service in ANSWERS]

    def answer(model, **_):
        service = model.service_model.endpoint_prefix
        if failures and model.name in failures:
            code, status = failures[model.name]
            parsed = {
                "Error": {"Code": code, "Message": "canned failure"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            }
            return AWSResponse("https://aws.invalid", status, {}, None), parsed
        if model.name not in ANSWERS.get(service, {}):
            missing.append(f"{service}.{model.name}")
            raise AssertionError(f"no canned answer for {service}.{model.name}: add it to ANSWERS")
        parsed = {**ANSWERS[service][model.name], "ResponseMetadata": {"HTTPStatusCode": 200}}
        return AWSResponse("https://aws.invalid", 200, {}, None), parsed

    for client in clients:
        client.meta.events.register_first("before-call.*.*", answer)
    try:
        yield missing
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.*.*", answer)


# --- strategies ---------------------------------------------------------------------------

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
NASTY_CHARS = st.sampled_from("\x00\x07\n\r\t\x1b\u202e\ufeff\u0660\u0661\u00b2\uff11é~%+&=#/\\\"'")
TEXT = st.text(st.one_of(st.characters(), SURROGATES, NASTY_CHARS), max_size=40)

# Values of each hostile class measured in #12, drawn as often as random ones.
HOSTILE_DIGITS = ["١٢", "²", "٣", "1" * 5000, "1" * 40, "0" * 30 + "7", "1e3", "+5", "-0", " 5", ""]
HOSTILE_TIMES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2025-02-29T00:00:00Z",
    "2025-03-10T00:00:00 01:00",
    "2000-01-01T00:00:00Z",
    "2100-01-01T00:00:00Z",
    "٢٠٢٥-03-10T00:00:00Z",
    "2025-03-10T00:00:00.9999999999Z",
    "2025-03-10",
]
HOSTILE_ARNS = [
    CHANNEL_ARN + "\n",
    CHANNEL_ARN.replace(ACCOUNT, "١٢٣٤٥٦٧٨٩٠١٢"),
    CHANNEL_ARN + "A" * 3000,
    CHANNEL_ARN + "A" * 86,
    "arn:aws:ivs:eu-west-1:999999999999:channel/x",
    "arn:aws:ivschat:us-west-2:123456789012:room/x",
]
HOSTILE_TEXTS = [
    "Weapon \ud800 shown",
    "\udfff",
    "a\x00b",
    "\x1b[31m",
    "x" * 600,
    "x" * 20000,
    "moderators-old",
    "frame,bogus",
    "clean",
    "stop,",
    " ",
    "",
]
HOSTILE_STRINGS_LIST = HOSTILE_DIGITS + HOSTILE_TIMES + HOSTILE_ARNS + HOSTILE_TEXTS
HOSTILE_STRINGS = st.sampled_from(HOSTILE_STRINGS_LIST)
HOSTILE_JSON_LIST = [
    [["SEND_MESSAGE"]],
    [{"a": 1}],
    ["SEND_MESSAGE", 1],
    [None],
    [True],
    {"arn": CHANNEL_ARN},
    10**40,
    -1,
    1.5,
    True,
    0,
    None,
    [],
    {},
    [[[[[[[[[["deep"]]]]]]]]]],
]
HOSTILE_JSON = st.sampled_from(HOSTILE_JSON_LIST)
TEXTS = st.one_of(HOSTILE_STRINGS, TEXT)
DIGITS = st.one_of(st.integers(-(10**40), 10**40).map(str), st.sampled_from(HOSTILE_DIGITS))
TIMES = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
    st.sampled_from(HOSTILE_TIMES),
)
ARNS = st.one_of(st.sampled_from([CHANNEL_ARN, *HOSTILE_ARNS]), TEXT.map(lambda t: CHANNEL_ARN + t))
PARAM_VALUES = st.one_of(HOSTILE_STRINGS, TEXT, DIGITS, TIMES, ARNS)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXTS,
)
JSON = st.one_of(
    HOSTILE_JSON,
    st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(TEXTS, inner, max_size=4)
        ),
        max_leaves=12,
    ),
)
RAW_BODIES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([9, 50, 1000, 5000]).map(lambda n: ("[" * n + "]" * n).encode()),
    st.sampled_from([9, 50, 1000, 3000]).map(lambda n: ('{"a":' * n + "1" + "}" * n).encode()),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b'"x"',
            b"{",
            b'{"capabilities": [NaN]}',
            b'{"capabilities": [1e999]}',
            b'{"reason": "\\ud800"}',
            b'{"a": 1, "a": 2}',
            b"\xef\xbb\xbf{}",
            b'{"reason": "caf\xe9"}',
            b"1" * 5000,
            b"x" * (17 * 1024),
        ]
    ),
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "Application/JSON; charset=UTF-8",
            "application/json; charset=latin-1",
            "text/plain",
            "*/*",
            "text/plain, application/json",
            "application/json-patch+json",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
        ]
    ),
    st.text(string.printable, max_size=30),
)


def mutated(draw, base: Mapping[str, Any], values) -> dict[str, Any]:
    """`base` with a few fields set to drawn values, dropped, or added."""
    result = dict(base)
    for _ in range(draw(st.integers(1, 3))):
        names = sorted(result) or ["x"]
        action = draw(st.sampled_from(["set", "set", "drop", "add"]))
        if action == "set":
            result[draw(st.sampled_from(names))] = draw(values)
        elif action == "drop" and result:
            result.pop(draw(st.sampled_from(names)), None)
        else:
            result[draw(TEXTS)] = draw(values)
    return result


# --- sending and checking -----------------------------------------------------------------


@dataclass
class Request:
    path: str
    method: str
    path_params: Mapping[str, str]
    params: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes | None


def send(client, request: Request):
    path = request.path
    for name, value in request.path_params.items():
        path = path.replace("{" + name + "}", quote(value, safe="", errors="surrogatepass"))
    if request.params:
        path += "?" + urlencode(request.params, errors="surrogatepass")
    return client.http.request(request.method, path, headers=request.headers, body=request.body)


def check(response, request: Request, *, aws_failing: bool = False) -> None:
    """What every answer must be, whatever was asked."""
    case = (request.method, request.path, request.params, request.headers, request.body)
    status = response.status_code
    if aws_failing and status >= 500:
        body = response.json_body
        assert body["Message"] != "An internal server error occurred.", case  # Chalice's own
        assert status in (500, 503), case
        if status == 503:
            assert int(response.headers["Retry-After"]) > 0, case
    else:
        assert status < 500, (status, response.body[:300], case)
    if status >= 400:
        body = json.loads(response.body)
        assert isinstance(body.get("Code"), str) and body["Code"], case
        assert isinstance(body.get("Message"), str) and body["Message"], case
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, case)


def base_of(path: str, method: str) -> Base:
    """The route's entry in BASES; for a route with none (added later), an empty JSON body
    and "1" for each path parameter: the fuzzing finds what else it accepts."""
    if (path, method) in BASES:
        return BASES[path, method]
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return Base(body={}, path_params=dict.fromkeys(names, "1"))


def good_headers(base: Base, token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if base.body is not None:
        headers["Content-Type"] = "application/json"
    return headers


@pytest.fixture
def token() -> str:
    """An admin's: every base is a request some role may make, and an admin may make all."""
    return id_token(**{"cognito:groups": [GROUPS["admin"]]})


@pytest.fixture
def history(client):
    seed_history()
    seed_incidents()
    seed_chat_incidents()
    seed_terms()
    seed_policies()


# --- the properties: each runs on every route of the app, and on every field of its base ------

WHOLE = "*"  # the target that is the request as a whole, not one of its fields


def request_of(path: str, method: str, token: str, **changes: Any) -> Request:
    """The route's base request, with `changes` (body, params, path_params, headers)."""
    base = base_of(path, method)
    body = changes.pop("body", base.body)
    params = changes.pop("params", sorted(base.params.items()))
    return Request(
        path,
        method,
        changes.pop("path_params", base.path_params),
        params,
        changes.pop("headers", good_headers(base, token)),
        body if isinstance(body, bytes | None) else json.dumps(body).encode(),
    )


def targets(route: tuple[str, str], part: str) -> list[str]:
    """What a property mutates on `route`: each field of the base's `part`, and WHOLE."""
    base = base_of(*route)
    fields = getattr(base, part, None) or {}
    return [*fields, WHOLE]


def on_every_target(part: str, examples: int):
    """Run the decorated property, (route, target, data) -> None, `examples` times for each
    field of `part` of each route's base (and the request as a whole), on every route."""

    def decorator(prop):
        @fuzz(examples=examples)
        @given(data=st.data())
        def run(route, target, data):
            prop(route, target, data)

        def every_target():
            for route in ROUTES:
                for target in targets(route, part):
                    run(route, target)

        return every_target

    return decorator


def answer(client, app_module, request: Request, failures=None):
    """Send `request` with AWS canned; the response, after the checks every answer passes."""
    with canned_aws(app_module, failures) as missing, counted(app_module) as queries:
        response = send(client, request)

    assert not missing, missing
    check(response, request, aws_failing=bool(failures))
    assert len(queries) <= MAX_QUERIES_PER_REQUEST, request
    return response


def test_every_hostile_value_in_every_field_of_every_route(client, app_module, history, token):
    """The measured classes, deterministically: each value in each field of each route."""
    for path, method in ROUTES:
        base = base_of(path, method)
        for name in base.body or {}:
            for value in [*HOSTILE_STRINGS_LIST, *HOSTILE_JSON_LIST]:
                body = {**base.body, name: value}
                answer(client, app_module, request_of(path, method, token, body=body))
        for name in [*base.params, "unknown"]:
            for value in HOSTILE_STRINGS_LIST:
                params = sorted({**base.params, name: value}.items())
                answer(client, app_module, request_of(path, method, token, params=params))
        for name in base.path_params:
            for value in HOSTILE_STRINGS_LIST:
                if value and "/" not in value:
                    changed = {**base.path_params, name: value}
                    answer(client, app_module, request_of(path, method, token, path_params=changed))


def test_any_body_to_any_route(client, app_module, history, token):
    @on_every_target("body", examples=12)
    def prop(route, target, data):
        base = base_of(*route)
        if target != WHOLE:
            body = json.dumps({**base.body, target: data.draw(JSON)}).encode()
        else:
            shape = data.draw(st.sampled_from(["mutated", "any json", "raw"]))
            if shape == "mutated" and isinstance(base.body, Mapping):
                body = json.dumps(mutated(data.draw, base.body, JSON)).encode()
            elif shape == "any json":
                body = json.dumps(data.draw(JSON)).encode()
            else:
                body = data.draw(RAW_BODIES)
        headers = good_headers(base, token)
        headers["Content-Type"] = data.draw(st.one_of(st.just("application/json"), CONTENT_TYPES))
        answer(client, app_module, request_of(*route, token, body=body, headers=headers))

    prop()


def test_any_query_string_to_any_route(client, app_module, history, token):
    @on_every_target("params", examples=12)
    def prop(route, target, data):
        base = base_of(*route)
        if target != WHOLE:
            pairs = sorted({**base.params, target: data.draw(PARAM_VALUES)}.items())
        else:
            pairs = sorted(mutated(data.draw, base.params, PARAM_VALUES).items())
            if pairs and data.draw(st.booleans()):  # a parameter given twice
                pairs.append(pairs[0])
        path_params = {
            name: data.draw(st.one_of(st.just(value), TEXTS.filter(lambda t: t and "/" not in t)))
            for name, value in base.path_params.items()
        }
        request = request_of(*route, token, params=pairs, path_params=path_params)
        answer(client, app_module, request)

    prop()


def test_any_headers_to_any_route(client, app_module, token):
    authorizations = st.one_of(
        st.just(f"Bearer {token}"),
        TEXTS,
        TEXTS.map(lambda t: "Bearer " + t),
        st.sampled_from(["Bearer", "Bearer  ", "bearer " + token, "Bearer " + token + "x"]),
        st.just("Bearer " + "a." * 5000),
    )
    extras = st.dictionaries(
        st.sampled_from(["Origin", "Accept", "Content-Length", "X-Forwarded-For", "Cookie"]),
        st.text(string.printable.replace("\n", "").replace("\r", ""), max_size=40),
        max_size=3,
    )

    @on_every_target("headers", examples=20)
    def prop(route, target, data):
        headers = good_headers(base_of(*route), token)
        headers["Authorization"] = data.draw(authorizations)
        if data.draw(st.booleans()):
            headers["Content-Type"] = data.draw(CONTENT_TYPES)
        headers.update(data.draw(extras))
        answer(client, app_module, request_of(*route, token, headers=headers))

    prop()


CLAIMS = [
    "aud",
    "client_id",
    "token_use",
    "cognito:groups",
    "sub",
    "cognito:username",
    "username",
    "exp",
    "iat",
    "nbf",
    "iss",
]
INTERESTING_CLAIMS = st.sampled_from(
    [
        "moderators",
        "moderators-old",
        "xmoderatorsx",
        ["moderators"],
        ["triage"],
        ["admins"],
        ["triage", "admins"],
        ["moderators-old"],
        [["moderators"]],
        {"moderators": True},
        APP_CLIENT_ID,
        [APP_CLIENT_ID],
        [APP_CLIENT_ID, "other"],
        "id",
        "access",
        "ID",
        ["id"],
        ISSUER,
        2**63,
        -1,
        1e308,
        "",
        "\ud800",
        "x" * 129,
    ]
)


def role_of(claims: Any) -> str | None:
    """The role verified claims give a user of this app client, if any (the oracle)."""
    if not isinstance(claims, dict):
        return None
    use = claims.get("token_use")
    if use == "id":
        aud = claims.get("aud")
        clients = [aud] if isinstance(aud, str) else aud
        ok = isinstance(clients, list) and all(isinstance(c, str) for c in clients)
        client_ok = ok and APP_CLIENT_ID in clients
    elif use == "access":
        client_ok = claims.get("client_id") == APP_CLIENT_ID
    else:
        return None
    groups = claims.get("cognito:groups")
    if not (isinstance(groups, list) and all(isinstance(g, str) for g in groups)):
        return None
    roles = [role for role, group in GROUPS.items() if group in groups]  # lowest first
    sub = claims.get("sub")
    ok = client_ok and roles and isinstance(sub, str) and bool(sub.strip())
    return roles[-1] if ok else None


def test_any_token_claims_to_any_route(client, app_module, history):
    @fuzz(examples=5)
    @given(data=st.data())
    def prop(route, claim, data):
        claims = claims_now()
        claims[claim] = data.draw(st.one_of(INTERESTING_CLAIMS, JSON))
        for _ in range(data.draw(st.integers(0, 2))):  # and others, changed or dropped
            other = data.draw(st.sampled_from(CLAIMS))
            if data.draw(st.booleans()):
                claims.pop(other, None)
            else:
                claims[other] = data.draw(st.one_of(INTERESTING_CLAIMS, JSON))
        if claims.get("token_use") == "access" and data.draw(st.booleans()):
            claims.setdefault("client_id", APP_CLIENT_ID)
        token = signed_payload(json.dumps(claims).encode())
        response = answer(client, app_module, request_of(*route, token))
        path, method = route
        if path not in PUBLIC and method != "OPTIONS" and response.status_code < 300:
            role = role_of(claims)
            assert role and rule_of(method, path).allows_some(role), (route, claims)

    protected = [(path, method) for path, method in ROUTES if path not in PUBLIC]
    for route in protected:
        for claim in CLAIMS:
            prop(route, claim)


def test_aws_failing_gets_a_clear_answer_on_any_route(client, app_module, token):
    operations = [op for answers in ANSWERS.values() for op in answers]
    failures = st.dictionaries(st.sampled_from(operations), st.sampled_from(FAILURES))

    @on_every_target("failures", examples=12)
    def prop(route, target, data):
        answer(client, app_module, request_of(*route, token), data.draw(failures))

    prop()


def test_the_bases_are_good_requests(client, app_module, history, token):
    """Each route's base is answered with a success: the mutations start from a valid request."""
    for path, method in ROUTES:
        response = answer(client, app_module, request_of(path, method, token))

        if method != "OPTIONS":
            assert response.status_code < 300, (path, response.body)


def test_routes_are_read_from_the_app_and_new_ones_get_a_generic_base():
    assert {("/decisions", "GET"), ("/stop-stream", "POST"), ("/", "GET")} <= set(ROUTES)
    assert set(BASES) <= set(ROUTES), "BASES names a route the app does not have"
    assert base_of("/incidents/{id}/resolve", "POST") == Base(body={}, path_params={"id": "1"})


@contextmanager
def counted(app_module) -> Iterator[list[dict]]:
    with counted_queries(app_module.aws_client("dynamodb")) as queries:
        yield queries


# --- cursors ------------------------------------------------------------------------------


def state_of(cursor: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def encoded(state: Any) -> str:
    text = json.dumps(state)
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


@pytest.fixture
def cursors(client, history, token) -> list[str]:
    """Real cursors: all channels, and one channel."""
    found = []
    for params in ({**WINDOW, "limit": "1"}, {**WINDOW, "limit": "1", "channelArn": CHANNEL_ARN}):
        query = urlencode(params)
        body = client.http.get(f"/decisions?{query}", headers={"Authorization": f"Bearer {token}"})
        found.append(body.json_body["nextCursor"])
    assert all(found)
    return found


KEY_VALUES = st.one_of(
    st.sampled_from(
        [
            "2025-03-10",
            "2025-03-09",
            "2021-01-01",
            "2025-03-10T00:02:00.000Z#frame3",
            "2025-03-11T00:00:00.000Z#x",
            "~reference-frame",
            CHANNEL_ARN,
            "arn:aws:ivs:us-west-2:123456789012:channel/ZzYyXxWw9876",
        ]
    ),
    JSON,
)


def test_a_forged_cursor_is_400_or_the_same_bounded_query(client, app_module, cursors, token):
    @fuzz(examples=200)
    @given(data=st.data())
    def prop(data):
        original = data.draw(st.sampled_from(cursors))
        state = state_of(original)
        for _ in range(data.draw(st.integers(1, 3))):
            names = [*sorted(state), "k.day", "k.sortKey", "k.channelArn"]
            name = data.draw(st.sampled_from(names))
            value = data.draw(
                st.one_of(KEY_VALUES, TIMES, st.lists(st.sampled_from(["frame", "clean", "x"])))
            )
            if name.startswith("k."):
                key = dict(state["k"]) if isinstance(state.get("k"), dict) else {}
                key[name[2:]] = value
                state["k"] = key
            else:
                state[name] = value
        cursor = data.draw(st.one_of(st.just(encoded(state)), TEXT, st.just(original)))
        headers = {"Authorization": f"Bearer {token}"}
        request = Request("/decisions", "GET", {}, [("cursor", cursor)], headers, None)

        with counted(app_module) as queries:
            response = send(client, request)

        check(response, request)
        assert response.status_code in (200, 400), response.body
        assert len(queries) <= MAX_QUERIES_PER_REQUEST
        if response.status_code == 200 and cursor == encoded(state):
            # the forged cursor passed: it is a valid query, confined to its partitions
            partitions = {query["ExpressionAttributeValues"][":p"]["S"] for query in queries}
            if state["c"] is not None:
                assert partitions == {state["c"]}
                assert all(item["channelArn"] == state["c"] for item in response.json_body["items"])
            else:
                assert all(state["s"][:10] <= day <= state["d"] for day in partitions)
                assert state["e"][:10] >= state["d"]

    prop()
