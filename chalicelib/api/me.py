"""GET /me: who is signed in, their role, and what it may do (for the dashboard to show)."""

from __future__ import annotations

from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.requests import query_params
from chalicelib.api.roles import abilities

me = ApiBlueprint(__name__)


@me.route("/me", methods=["GET", "OPTIONS"])
def whoami():
    moderator = signed_in(me)
    query_params(me.current_request, ())
    return {"username": moderator.username, **abilities(moderator.role)}
