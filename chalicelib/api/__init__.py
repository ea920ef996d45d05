"""The moderator API and the dashboard, as Chalice blueprints grouped by concern.

app.py registers each one; every route but the dashboard's files needs a signed-in
moderator (`signed_in`).
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import dependencies
from chalicelib.auth import Moderator
from chalicelib.observability import logger


def signed_in(blueprint: Blueprint) -> Moderator:
    """The moderator making the current request; 401 or 403 for anyone else."""
    authorization = blueprint.current_request.headers.get("authorization")
    moderator = dependencies.verifier().moderator(authorization)
    logger().append_keys(moderator=moderator.username)
    return moderator
