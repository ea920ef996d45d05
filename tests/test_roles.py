"""Roles (triage, moderator, admin) from the user pool's groups, enforced by the API.

The role matrix is generated from `app.routes`, as the route fuzzing is: every route by
every role (none, triage, moderator, admin), each from a fresh store, sent the route's good
request (tests/test_route_fuzzing.py BASES), and answered as the roles table
(chalicelib/api/roles.py) says — a success, or a 403 that says in words which role it
needs. Routes whose rule lets a lower role send some bodies are also sent such a body.
"""

from __future__ import annotations

import pytest
from history_items import (
    INCIDENT_TO_RESOLVE,
    seed_chat_incidents,
    seed_incidents,
    seed_policies,
    seed_terms,
)
from test_route_fuzzing import Base, answer, base_of, request_of
from tokens import GROUPS, id_token, role_token

from app import app as chalice_app
from chalicelib.api.roles import RULES, rule_of
from chalicelib.core.config import ConfigError, Settings
from chalicelib.core.identity import ADMIN, MODERATOR, ROLES, TRIAGE

pytestmark = pytest.mark.usefixtures("jwks")

ROUTES = sorted(
    (method, path)
    for path, methods in chalice_app.routes.items()
    for method in methods
    if method != "OPTIONS"  # preflights: answered by the middleware, for every route
)
NONE = None  # signed in, in none of the roles' groups
EVERYONE = (NONE, *ROLES)
# Bodies a lower role may send where the route's base needs more (Rule.lower / when).
LOWER_BODIES = {
    ("POST", "/incidents/{incident_id}/resolve"): Base(
        body={"resolution": "escalated", "escalateTo": "legal", "note": "for legal"},
        path_params={"incident_id": INCIDENT_TO_RESOLVE},
    ),
    ("POST", "/chat-token"): Base(body={}),
}


def expected(route: tuple[str, str], role: str | None, *, lower: bool = False) -> bool:
    rule = rule_of(*route)
    if rule.role is None:
        return True
    if role is None:
        return False
    return rule.allows_some(role) if lower else rule.allows(role)


@pytest.fixture
def seeded(client):
    seed_incidents()
    seed_chat_incidents()
    seed_terms()
    seed_policies()


def sent(client, app_module, route, role, base: Base | None = None):
    method, path = route
    base = base or base_of(path, method)
    request = request_of(
        path, method, role_token(role), body=base.body, path_params=base.path_params
    )
    return answer(client, app_module, request)


def check(response, route, role, allowed: bool) -> None:
    if allowed:
        assert response.status_code < 300, (route, role, response.body[:300])
        return
    assert response.status_code == 403, (route, role, response.body[:300])
    message = response.json_body["Message"]
    if role is None:
        assert "is not in the triage, moderators or admins group" in message
    else:
        assert message.startswith(f"{role} may not "), message
        assert f"it needs the {rule_of(*route).role} role" in message


@pytest.mark.parametrize("role", EVERYONE, ids=lambda r: r or "none")
@pytest.mark.parametrize("route", ROUTES, ids=" ".join)
def test_role_matrix(client, app_module, seeded, route, role):
    check(sent(client, app_module, route, role), route, role, expected(route, role))


@pytest.mark.parametrize("role", EVERYONE, ids=lambda r: r or "none")
@pytest.mark.parametrize("route", sorted(LOWER_BODIES), ids=" ".join)
def test_role_matrix_of_bodies_a_lower_role_may_send(client, app_module, seeded, route, role):
    response = sent(client, app_module, route, role, LOWER_BODIES[route])

    check(response, route, role, expected(route, role, lower=True))


def test_every_route_of_the_app_is_in_the_roles_table_and_no_other():
    assert set(ROUTES) == set(RULES), "add the route to RULES in chalicelib/api/roles.py"
    assert set(LOWER_BODIES) == {route for route, rule in RULES.items() if rule.lower}


def test_a_route_missing_from_the_table_needs_an_admin():
    rule = rule_of("POST", "/incidents/{incident_id}/something-new")

    assert [rule.allows(role) for role in ROLES] == [False, False, True]
    assert rule.refusal(MODERATOR).startswith("moderator may not use a route the roles table")


def test_the_table_says_what_the_issue_asks():
    """Issue 18: triage sees, acknowledges, escalates; moderators act; admins own policies."""
    export = ("GET", "/export/decisions")  # the audit trail as CSV: an admin's (item 5)
    reads = [r for r in RULES if r[0] == "GET" and rule_of(*r).role and r != export]
    assert all(rule_of(*route).allows(TRIAGE) for route in reads)
    assert rule_of(*export).role == ADMIN
    assert rule_of("POST", "/incidents/{incident_id}/release").allows(TRIAGE)  # its own claim
    assert rule_of("POST", "/incidents/{incident_id}/acknowledge").allows(TRIAGE)
    for route in [("POST", "/stop-stream"), ("POST", "/incidents/{incident_id}/reopen")]:
        assert not rule_of(*route).allows(TRIAGE) and rule_of(*route).allows(MODERATOR)
    for action in ("ban", "timeout", "unban", "delete-messages"):
        assert rule_of("POST", f"/incidents/{{incident_id}}/{action}").role == MODERATOR
    for method in ("PUT", "DELETE"):
        assert rule_of(method, "/chat/terms").role == ADMIN
    assert rule_of("POST", "/stop-stream").refusal(TRIAGE) == (
        "triage may not stop streams: it needs the moderator role"
    )


def test_triage_may_escalate_but_not_dismiss_and_is_told_so(client, app_module, seeded):
    route = ("POST", "/incidents/{incident_id}/resolve")

    dismissed = sent(client, app_module, route, TRIAGE)
    escalated = sent(client, app_module, route, TRIAGE, LOWER_BODIES[route])

    assert dismissed.status_code == 403
    assert dismissed.json_body["Message"] == (
        "triage may not resolve incidents other than by escalating them: it needs the "
        "moderator role; triage may escalate them (resolution escalated)"
    )
    assert escalated.status_code == 200
    incident = escalated.json_body["incident"]
    assert (incident["resolution"], incident["escalatedTo"]) == ("escalated", "legal")


def test_a_user_in_several_groups_has_the_highest_role(client, app_module):
    token = id_token(**{"cognito:groups": ["viewers", GROUPS["admin"], GROUPS["triage"]]})

    me = client.http.get("/me", headers={"Authorization": f"Bearer {token}"}).json_body

    assert me["role"] == ADMIN


@pytest.mark.parametrize("role", ROLES)
def test_GET_me_names_the_role_and_what_it_may_do(client, app_module, role):
    me = client.http.get("/me", headers={"Authorization": f"Bearer {role_token(role)}"})

    assert me.status_code == 200
    body = me.json_body
    assert (body["username"], body["role"], body["roles"]) == ("maria", role, list(ROLES))
    assert set(body["may"]) == {f"{method} {path}" for method, path in RULES}
    for (method, path), rule in RULES.items():
        assert body["may"][f"{method} {path}"] is rule.allows_some(role)
    limited = {"POST /incidents/{incident_id}/resolve", "POST /chat-token"}
    assert set(body["limits"]) == (limited if role == TRIAGE else set())
    assert body["may"]["POST /stop-stream"] is (role != TRIAGE)
    assert body["may"]["PUT /chat/terms"] is (role == ADMIN)


def test_the_groups_are_settings_and_a_stage_of_today_keeps_its_moderators(
    client, app_module, monkeypatch
):
    monkeypatch.setenv("TRIAGE_GROUP", "night-shift")
    monkeypatch.setenv("ADMINS_GROUP", "leads")
    monkeypatch.setenv("MODERATORS_GROUP", "mods")

    def role(groups):
        token = id_token(**{"cognito:groups": groups})
        response = client.http.get("/me", headers={"Authorization": f"Bearer {token}"})
        return response.json_body.get("role", response.status_code)

    assert [role(["night-shift"]), role(["mods"]), role(["leads"])] == list(ROLES)
    assert role(["moderators"]) == 403  # the default name is no role once it is renamed


def test_the_roles_groups_default_to_the_deploys_names_and_must_differ(monkeypatch):
    import os

    settings = Settings.from_env(os.environ)
    assert settings.role_groups == {TRIAGE: "triage", MODERATOR: "moderators", ADMIN: "admins"}

    with pytest.raises(ConfigError, match="three different groups"):
        Settings.from_env({**os.environ, "TRIAGE_GROUP": "moderators"})
    with pytest.raises(ConfigError, match="ADMINS_GROUP"):
        Settings.from_env({**os.environ, "ADMINS_GROUP": "no/slashes"})
