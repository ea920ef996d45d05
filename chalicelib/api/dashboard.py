"""The dashboard's public files; everything it does goes through the moderator API."""

from __future__ import annotations

from chalice import Response

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.pages import dashboard_file, origin
from chalicelib.api.requests import query_params

dashboard = ApiBlueprint(__name__)


@dashboard.route("/")
def index():
    return page("index.html")


@dashboard.route("/static/{name}")
def static(name: str):
    return page(name)


@dashboard.route("/config")
def sign_in_config():
    """What the dashboard needs to sign in; nothing secret."""
    config = dependencies.settings()
    return {
        "region": config.region,
        "userPoolId": config.user_pool_id,
        "clientId": config.app_client_ids[0],
        "cognitoEndpoint": config.cognito_endpoint,
        # minutes an incident may wait unacknowledged, by severity (SLA_MINUTES)
        "slaMinutes": dict(config.sla_minutes),
    }


@dashboard.route("/teams", methods=["GET", "OPTIONS"])
def teams():
    """The teams an incident may be escalated to (ESCALATION_TEAMS)."""
    signed_in(dashboard)
    query_params(dashboard.current_request, ())
    return {"escalationTeams": list(dependencies.settings().escalation_teams)}


def page(name: str) -> Response:
    config = dependencies.settings()
    s3 = dependencies.aws_client("s3").meta.endpoint_url
    return dashboard_file(
        name,
        connect=[origin(config.cognito_endpoint), origin(config.chat_messaging_endpoint)],
        images=[origin(s3), "https://*.amazonaws.com"],
    )
