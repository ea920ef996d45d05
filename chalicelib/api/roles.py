"""Who may do what: one table, each route's minimum role, checked on every signed-in request.

`signed_in` calls `authorize` with the current request: its method and resource path (the
route as declared, `/incidents/{incident_id}/resolve`) name its rule. A rule may let a lower
role send some bodies: triage resolves an incident only as `escalated`, and takes only
view-only chat tokens. A refusal is a 403 in words, naming the role it needs. A route the
table does not list needs an admin (tests/test_roles.py fails until it is listed).

OPTIONS (CORS preflights) is answered by the API's middleware (api/http.py) before any
route, for every route: it is in no rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.api.requests import json_body
from chalicelib.core.errors import ApiError, Forbidden
from chalicelib.core.identity import ADMIN, MODERATOR, ROLES, TRIAGE, Moderator, at_least


def _never(body: Mapping[str, Any]) -> bool:
    return False


def _escalating(body: Mapping[str, Any]) -> bool:
    return body.get("resolution") == "escalated"


def _view_only(body: Mapping[str, Any]) -> bool:
    return not body.get("capabilities")


@dataclass(frozen=True)
class Rule:
    """What a route needs: `role` (None: anyone, signed in or not); or `lower`, for the
    bodies `when` accepts — `only` says which, in a refusal's and GET /me's words."""

    role: str | None
    what: str  # what the route does: "<role> may not <what>: it needs the <role> role"
    lower: str | None = None
    when: Callable[[Mapping[str, Any]], bool] = _never
    only: str = ""

    def allows(self, role: str) -> bool:
        """Whether `role` may call the route with every body it accepts."""
        return self.role is None or at_least(role, self.role)

    def allows_some(self, role: str) -> bool:
        """Whether `role` may call the route with some bodies (`only` says which)."""
        return self.allows(role) or (self.lower is not None and at_least(role, self.lower))

    def refusal(self, role: str) -> str:
        words = f"{role} may not {self.what}: it needs the {self.role} role"
        return f"{words}; {role} may {self.only}" if self.allows_some(role) else words


RULES: dict[tuple[str, str], Rule] = {
    # the dashboard's files and its sign-in settings: before anyone is signed in
    ("GET", "/"): Rule(None, "open the dashboard"),
    ("GET", "/static/{name}"): Rule(None, "load the dashboard"),
    ("GET", "/config"): Rule(None, "read the sign-in settings"),
    # seeing everything
    ("GET", "/me"): Rule(TRIAGE, "see their role"),
    ("GET", "/incidents"): Rule(TRIAGE, "list incidents"),
    ("GET", "/incidents/{incident_id}"): Rule(TRIAGE, "see an incident"),
    ("GET", "/decisions"): Rule(TRIAGE, "read the history"),
    ("GET", "/frames"): Rule(TRIAGE, "see frames"),
    ("GET", "/channels"): Rule(TRIAGE, "list channels"),
    ("GET", "/stats"): Rule(TRIAGE, "read the stats"),
    ("GET", "/stats/backlog"): Rule(TRIAGE, "read the backlog"),
    ("GET", "/teams"): Rule(TRIAGE, "list the escalation teams"),
    ("GET", "/chat/bans"): Rule(TRIAGE, "list bans"),
    ("GET", "/chat/terms"): Rule(TRIAGE, "list blocked terms"),
    ("GET", "/policies"): Rule(TRIAGE, "list policies"),
    ("GET", "/policies/{name}"): Rule(TRIAGE, "read policies"),
    ("GET", "/policies/{name}/versions/{version}"): Rule(TRIAGE, "read policies' versions"),
    ("GET", "/channels/{channel_arn}/policy"): Rule(TRIAGE, "see which policy applies"),
    ("GET", "/watchlist"): Rule(TRIAGE, "read the watchlist"),
    ("GET", "/policy-log"): Rule(TRIAGE, "read who changed channels' policies and the watchlist"),
    # triage: acknowledge, escalate, watch the room
    ("POST", "/incidents/{incident_id}/acknowledge"): Rule(TRIAGE, "acknowledge incidents"),
    ("POST", "/incidents/{incident_id}/release"): Rule(TRIAGE, "release incidents"),
    ("POST", "/incidents/{incident_id}/resolve"): Rule(
        MODERATOR,
        "resolve incidents other than by escalating them",
        lower=TRIAGE,
        when=_escalating,
        only="escalate them (resolution escalated)",
    ),
    ("POST", "/chat-token"): Rule(
        MODERATOR,
        "take chat tokens with capabilities",
        lower=TRIAGE,
        when=_view_only,
        only="take view-only ones (no capabilities)",
    ),
    # moderators: every action on incidents, streams and the viewers' chat
    ("POST", "/incidents/{incident_id}/reopen"): Rule(MODERATOR, "reopen incidents"),
    ("POST", "/incidents/{incident_id}/take-over"): Rule(MODERATOR, "take incidents over"),
    ("POST", "/incidents/{incident_id}/assign"): Rule(MODERATOR, "assign incidents"),
    ("POST", "/stop-stream"): Rule(MODERATOR, "stop streams"),
    ("POST", "/incidents/{incident_id}/ban"): Rule(MODERATOR, "ban chat users"),
    ("POST", "/incidents/{incident_id}/timeout"): Rule(MODERATOR, "time chat users out"),
    ("POST", "/incidents/{incident_id}/unban"): Rule(MODERATOR, "unban chat users"),
    ("POST", "/incidents/{incident_id}/delete-messages"): Rule(MODERATOR, "delete chat messages"),
    ("PUT", "/watchlist/{channel_arn}"): Rule(MODERATOR, "put channels on the watchlist"),
    ("DELETE", "/watchlist/{channel_arn}"): Rule(MODERATOR, "take channels off the watchlist"),
    # admins: the policies (blocked terms), people, and the audit trail's export
    ("GET", "/export/decisions"): Rule(ADMIN, "export the history"),
    ("PUT", "/chat/terms"): Rule(ADMIN, "block terms"),
    ("DELETE", "/chat/terms"): Rule(ADMIN, "unblock terms"),
    ("PUT", "/policies/{name}"): Rule(ADMIN, "save policies"),
    ("POST", "/policies/{name}/restore"): Rule(ADMIN, "restore policies"),
    ("DELETE", "/policies/{name}"): Rule(ADMIN, "delete policies"),
    ("POST", "/policies/backtest"): Rule(ADMIN, "backtest policies"),
    ("PUT", "/channels/{channel_arn}/policy"): Rule(ADMIN, "set a channel's policy"),
}
UNLISTED = Rule(ADMIN, "use a route the roles table does not list yet")


def rule_of(method: str, path: str) -> Rule:
    return RULES.get((method, path), UNLISTED)


def authorize(moderator: Moderator, request: Any) -> None:
    """Forbidden (403, in words) unless the moderator's role may make this request."""
    rule = rule_of(request.method, (request.context or {}).get("resourcePath", ""))
    if rule.allows(moderator.role):
        return
    if rule.allows_some(moderator.role) and rule.when(_body(request)):
        return
    raise Forbidden(rule.refusal(moderator.role))


def _body(request: Any) -> Mapping[str, Any]:
    """The request's JSON object, or {} when it has none, or none that parses (the route
    answers that in its own words, to whoever may call it)."""
    try:
        return json_body(request, required=False) or {}
    except ApiError:
        return {}


def abilities(role: str) -> dict[str, Any]:
    """What GET /me says `role` may do: every listed route, `true` if the role may call it
    (with some bodies, for those in `limits`), and what it may do there."""
    may, limits = {}, {}
    for (method, path), rule in sorted(RULES.items(), key=lambda item: item[0][::-1]):
        route = f"{method} {path}"
        may[route] = rule.allows_some(role)
        if may[route] and not rule.allows(role):
            limits[route] = rule.only
    return {"role": role, "roles": list(ROLES), "may": may, "limits": limits}
