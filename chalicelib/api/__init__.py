"""The moderator API and the dashboard, as Chalice blueprints grouped by concern.

app.py registers each one; every route but the dashboard's files needs a signed-in
member of the team whose role may call it (`signed_in`; the table is api/roles.py). Routes
are declared on an `ApiBlueprint`, so an AWS failure that escapes a route is answered as
`aws_error` says (400, 503 or a plain 500), never as Chalice's bare 500; a route that knows
better catches it first, with its own words.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from chalice import Blueprint

from chalicelib.api.auth import verifier
from chalicelib.api.roles import authorize
from chalicelib.core.dynamo import ConditionFailed
from chalicelib.core.errors import ServiceUnavailable, aws_error
from chalicelib.core.identity import Moderator
from chalicelib.core.observability import correlate

logger = logging.getLogger(__name__)


class ApiBlueprint(Blueprint):
    """A Blueprint whose routes turn an escaping AWS error into a clear answer."""

    def route(self, path: str, **kwargs: Any) -> Callable[[Callable], Callable]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def answered(*args: Any, **kw: Any) -> Any:
                try:
                    return view(*args, **kw)
                except (ClientError, BotoCoreError, UnicodeError) as error:
                    logger.warning("AWS call failed", extra={"error": str(error), "path": path})
                    raise aws_error(error, "AWS") from error
                except ConditionFailed as error:  # lost every round of a race: say so
                    raise ServiceUnavailable(
                        f"too many changes at once: try again ({error})"
                    ) from error

            return register(answered)

        return decorator


def signed_in(blueprint: Blueprint) -> Moderator:
    """The moderator making the current request; 401 for anyone not signed in, 403 for a
    user in none of the roles' groups, or whose role may not make this request."""
    request = blueprint.current_request
    moderator = verifier().moderator(request.headers.get("authorization"))
    correlate(moderator=moderator.username, role=moderator.role)
    authorize(moderator, request)
    return moderator
