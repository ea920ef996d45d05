"""Settings of one deployment stage, read from its environment variables.

Every variable is documented in the README ("Configuration"); `.chalice/config.json`
sets them per stage. `Settings.from_env` validates them all at once and names the
variable at fault, so a misconfigured stage fails on its first event with a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chalicelib.core.env import ConfigError
from chalicelib.core.env import boolean as _boolean
from chalicelib.core.env import listed as _list
from chalicelib.core.env import number as _number
from chalicelib.core.env import optional as _optional
from chalicelib.core.env import required as _required
from chalicelib.core.identity import GROUP_DEFAULTS, role_groups
from chalicelib.rules.policy import Policy, PolicyError, parse_categories, parse_thresholds

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_ROOM_ARN = re.compile(r"^arn:aws[a-z-]*:ivschat:[a-z0-9-]+:\d{12}:room/[A-Za-z0-9]+$")
_USER_POOL_ID = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$")
_CLIENT_IDS = re.compile(r"^[\w+]+(\s*[,;]\s*[\w+]+)*$")
_URL = re.compile(r"^(https?|wss?)://[^\s/]+(/\S*)?$")
_ORIGINS = re.compile(r"^(https?://[^\s/,;]+(\s*[,;]\s*https?://[^\s/,;]+)*)?$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_GROUP = re.compile(r"^[\w\s+=,.@-]{1,128}$")
# The botocore model's pattern for DetectModerationLabels' ProjectVersion.
_ADAPTER_ARN = re.compile(
    r"^arn:aws[a-z-]*:rekognition:[a-z0-9-]+:[0-9]{12}:project/[a-zA-Z0-9_.-]{1,255}"
    r"/version/[a-zA-Z0-9_.-]{1,255}/[0-9]+$",
    re.ASCII,
)
# IVS recording configurations: thumbnailConfiguration.storage, one or both.
THUMBNAIL_STORAGES = ("SEQUENTIAL", "LATEST")

DEFAULTS = {
    "MIN_CONFIDENCE": "50",
    "ALERT_THRESHOLDS": "*=80",
    "AUTO_STOP_THRESHOLDS": "",
    "IGNORED_CATEGORIES": "",
    "AUTO_STOP_REVOKE_STREAM_KEY": "false",
    "DECISION_TTL_DAYS": "30",
    "FLAGGED_DECISION_TTL_DAYS": "365",
    **GROUP_DEFAULTS,  # MODERATORS_GROUP, TRIAGE_GROUP, ADMINS_GROUP
    "COGNITO_JWKS_URL": "",
    "COGNITO_ENDPOINT": "",
    "CHAT_MESSAGING_ENDPOINT": "",
    "CHAT_TOKEN_MINUTES": "60",
    "DASHBOARD_ORIGINS": "",
    "FRAME_URL_SECONDS": "300",
    "THUMBNAIL_STORAGE": "SEQUENTIAL",
    "INCIDENT_UPDATE_SECONDS": "30",
    "DISMISSAL_QUIET_SECONDS": "600",
    "MODERATION_ADAPTER_ARN": "",
    "FRAME_SKIP_ENABLED": "true",
    "FRAME_SKIP_MAX_AGE_SECONDS": "30",
    "ESCALATION_TEAMS": "Trust & Safety leads; Legal; Child safety; Law enforcement response",
    "SLA_MINUTES": "critical=2; high=5; medium=15",
    "SLA_ESCALATION_TEAM": "",
    "ALERT_TOPIC_ARN": "",
    "POLICY_REFRESH_SECONDS": "30",
}
MAX_TEAMS = 20
MAX_TEAM_CHARS = 100


def user_pool_issuer(user_pool_id: str) -> str:
    """The `iss` of a Cognito user pool's tokens."""
    region = user_pool_id.split("_", 1)[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def messaging_endpoint(room_arn: str) -> str:
    """The IVS Chat Messaging WebSocket of the room's region."""
    return f"wss://edge.ivschat.{room_arn.split(':')[3]}.amazonaws.com"


@dataclass(frozen=True)
class Settings:
    recording_bucket: str
    decisions_table: str
    idempotency_table: str
    incidents_table: str
    channels_table: str
    policies_table: str
    moderation_room_arn: str
    min_confidence: float
    policy: Policy
    revoke_stream_key_on_auto_stop: bool
    decision_ttl_days: int
    flagged_decision_ttl_days: int
    user_pool_id: str
    app_client_ids: tuple[str, ...]
    role_groups: dict[str, str]  # role (core/identity.py) -> its user pool group
    jwks_url: str
    cognito_endpoint: str
    chat_messaging_endpoint: str
    chat_token_minutes: int
    dashboard_origins: tuple[str, ...]
    frame_url_seconds: int
    thumbnail_storage: frozenset[str]
    incident_update_seconds: int
    dismissal_quiet_seconds: int
    adapter_arn: str
    frame_skip_enabled: bool
    frame_skip_max_age_seconds: int
    escalation_teams: tuple[str, ...]
    sla_minutes: Mapping[str, int]  # severity -> minutes an incident may wait unacknowledged
    sla_escalation_team: str
    alert_topic_arn: str
    policy_refresh_seconds: int  # how long a function keeps the policy book (policies/book.py)

    @property
    def region(self) -> str:
        """The deployment's region: the moderators' room's."""
        return self.moderation_room_arn.split(":")[3]

    @property
    def account(self) -> str:
        """The deployment's account: the moderators' room's."""
        return self.moderation_room_arn.split(":")[4]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        env = {**DEFAULTS, **{k: v for k, v in environ.items() if k in DEFAULTS or k in _REQUIRED}}
        room_arn = _required("MODERATION_ROOM_ARN", env, _ROOM_ARN, "an IVS chat room ARN")
        pool_id = _required("COGNITO_USER_POOL_ID", env, _USER_POOL_ID, "a user pool id")
        policy = Policy(
            alert=_policy("ALERT_THRESHOLDS", env, parse_thresholds),
            auto_stop=_policy("AUTO_STOP_THRESHOLDS", env, parse_thresholds),
            ignored=_policy("IGNORED_CATEGORIES", env, parse_categories),
        )
        return cls(
            recording_bucket=_required("RECORDING_BUCKET", env, _BUCKET_NAME, "an S3 bucket name"),
            decisions_table=_required("DECISIONS_TABLE", env, _TABLE_NAME, "a DynamoDB table name"),
            idempotency_table=_required(
                "IDEMPOTENCY_TABLE", env, _TABLE_NAME, "a DynamoDB table name"
            ),
            incidents_table=_required("INCIDENTS_TABLE", env, _TABLE_NAME, "a DynamoDB table name"),
            channels_table=_required("CHANNELS_TABLE", env, _TABLE_NAME, "a DynamoDB table name"),
            policies_table=_required("POLICIES_TABLE", env, _TABLE_NAME, "a DynamoDB table name"),
            moderation_room_arn=room_arn,
            min_confidence=_number("MIN_CONFIDENCE", env, 0, 100),
            policy=policy,
            revoke_stream_key_on_auto_stop=_boolean("AUTO_STOP_REVOKE_STREAM_KEY", env),
            decision_ttl_days=int(_number("DECISION_TTL_DAYS", env, 0, 3650, integer=True)),
            flagged_decision_ttl_days=int(
                _number("FLAGGED_DECISION_TTL_DAYS", env, 0, 3650, integer=True)
            ),
            user_pool_id=pool_id,
            app_client_ids=_list(
                _required("COGNITO_APP_CLIENT_IDS", env, _CLIENT_IDS, "user pool app client ids")
            ),
            role_groups=role_groups(
                lambda name: _required(name, env, _GROUP, "a user pool group name"), ConfigError
            ),
            jwks_url=_optional("COGNITO_JWKS_URL", env, _URL, "a URL")
            or user_pool_issuer(pool_id) + "/.well-known/jwks.json",
            cognito_endpoint=_optional("COGNITO_ENDPOINT", env, _URL, "a URL")
            or f"https://cognito-idp.{pool_id.split('_', 1)[0]}.amazonaws.com/",
            chat_messaging_endpoint=_optional("CHAT_MESSAGING_ENDPOINT", env, _URL, "a URL")
            or messaging_endpoint(room_arn),
            chat_token_minutes=int(_number("CHAT_TOKEN_MINUTES", env, 1, 180, integer=True)),
            dashboard_origins=_list(
                _optional("DASHBOARD_ORIGINS", env, _ORIGINS, "a list of https://host origins")
            ),
            frame_url_seconds=int(_number("FRAME_URL_SECONDS", env, 10, 3600, integer=True)),
            thumbnail_storage=_storage("THUMBNAIL_STORAGE", env),
            incident_update_seconds=int(
                _number("INCIDENT_UPDATE_SECONDS", env, 5, 3600, integer=True)
            ),
            dismissal_quiet_seconds=int(
                _number("DISMISSAL_QUIET_SECONDS", env, 0, 86400, integer=True)
            ),
            adapter_arn=_adapter(env, room_arn),
            frame_skip_enabled=_boolean("FRAME_SKIP_ENABLED", env),
            frame_skip_max_age_seconds=int(
                _number("FRAME_SKIP_MAX_AGE_SECONDS", env, 1, 3600, integer=True)
            ),
            escalation_teams=(teams := _teams("ESCALATION_TEAMS", env)),
            sla_minutes=_sla("SLA_MINUTES", env),
            sla_escalation_team=_sla_team("SLA_ESCALATION_TEAM", env, teams),
            alert_topic_arn=_optional("ALERT_TOPIC_ARN", env, _TOPIC_ARN, "an SNS topic ARN"),
            policy_refresh_seconds=int(
                _number("POLICY_REFRESH_SECONDS", env, 5, 300, integer=True)
            ),
        )


_REQUIRED = (
    "RECORDING_BUCKET",
    "DECISIONS_TABLE",
    "IDEMPOTENCY_TABLE",
    "INCIDENTS_TABLE",
    "CHANNELS_TABLE",
    "POLICIES_TABLE",
    "MODERATION_ROOM_ARN",
    "COGNITO_USER_POOL_ID",
    "COGNITO_APP_CLIENT_IDS",
)


def recording_bucket_from_env(environ: Mapping[str, str]) -> str:
    """The recording bucket alone: the event rule needs it when app.py is imported."""
    return _required("RECORDING_BUCKET", environ, _BUCKET_NAME, "an S3 bucket name")


def failed_frames_queue_from_env(environ: Mapping[str, str]) -> str:
    """The thumbnail function's on-failure queue: its handler needs it when app.py is imported."""
    return _required("FAILED_FRAMES_QUEUE", environ, _QUEUE_NAME, "an SQS queue name")


def chat_messages_queue_from_env(environ: Mapping[str, str]) -> str:
    """The chat deep pass's queue: its handler needs it when app.py is imported."""
    return _required("CHAT_MESSAGES_QUEUE", environ, _QUEUE_NAME, "an SQS queue name")


def _adapter(env: Mapping[str, str], room_arn: str) -> str:
    name = "MODERATION_ADAPTER_ARN"
    arn = _optional(name, env, _ADAPTER_ARN, "a Rekognition project version ARN")
    if arn and arn.split(":")[3:5] != room_arn.split(":")[3:5]:
        raise ConfigError(f"{name}: the adapter must be in this deployment's account and region")
    return arn


def _storage(name: str, env: Mapping[str, str]) -> frozenset[str]:
    storage = frozenset(part.upper() for part in _list(env[name].strip("[] ")))
    if not storage or not storage <= set(THUMBNAIL_STORAGES):
        raise ConfigError(f"{name}={env[name]!r} must be SEQUENTIAL, LATEST or SEQUENTIAL,LATEST")
    return storage


def _policy[T](name: str, env: Mapping[str, str], parse: Callable[[str], T]) -> T:
    try:
        return parse(env[name])
    except PolicyError as error:
        raise ConfigError(f"{name}: {error}") from error


def _teams(name: str, env: Mapping[str, str]) -> tuple[str, ...]:
    """`;`-separated team names: what an escalation may name (1 to MAX_TEAMS, each printable
    and at most MAX_TEAM_CHARS long, no two alike but for case)."""
    teams = tuple(part.strip() for part in env[name].split(";") if part.strip())
    folded = [team.casefold() for team in teams]
    if not 1 <= len(teams) <= MAX_TEAMS or len(set(folded)) != len(folded):
        raise ConfigError(f"{name} must name 1 to {MAX_TEAMS} different teams, separated by ;")
    for team in teams:
        if len(team) > MAX_TEAM_CHARS or not team.isprintable():
            raise ConfigError(f"{name}: {team[:40]!r} is not a team name of at most 100 characters")
    return teams


def _sla(name: str, env: Mapping[str, str]) -> dict[str, int]:
    """`severity=minutes; ...` (critical, high, medium; 1 to 1440); a severity left out has
    no target. Empty: no SLA sweep."""
    targets: dict[str, int] = {}
    for part in (p.strip() for p in env[name].split(";") if p.strip()):
        severity, _, minutes = (t.strip() for t in part.partition("="))
        if severity not in ("critical", "high", "medium") or severity in targets:
            raise ConfigError(f"{name}: {part!r} must be critical=, high= or medium=, once each")
        targets[severity] = int(_number(name, {name: minutes}, 1, 1440, integer=True))
    return targets


def _sla_team(name: str, env: Mapping[str, str], teams: tuple[str, ...]) -> str:
    """One of the escalation teams (matched ignoring case); empty: the first of them."""
    wanted = env[name].strip()
    for team in teams if wanted else teams[:1]:
        if team.casefold() == wanted.casefold() or not wanted:
            return team
    raise ConfigError(f"{name}={wanted!r} is not one of ESCALATION_TEAMS")
