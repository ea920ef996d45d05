"""ivs-moderation: Chalice wiring only; the service lives in chalicelib/."""

import os
from datetime import UTC, datetime
from functools import cache

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.config import Config
from chalice import Chalice, ConvertToMiddleware, Response

from chalicelib.auth import CognitoVerifier, Moderator, jwks_client, user_pool_issuer
from chalicelib.chat import ModerationRoom, requested_capabilities
from chalicelib.config import Settings, recording_bucket_from_env
from chalicelib.decisions import DecisionStore
from chalicelib.frames import frame_url
from chalicelib.history import HistoryQuery, list_decisions
from chalicelib.http import ApiError, cors_headers
from chalicelib.moderation import IDEMPOTENCY_KEY_JMESPATH, ObjectCreated, ThumbnailModerator
from chalicelib.pages import dashboard_file, origin
from chalicelib.recordings import parse_thumbnail_key, thumbnail_event_pattern
from chalicelib.stops import StopRequest, stop_for_moderator

app = Chalice(app_name="ivs-moderation", configure_logs=False)  # Powertools logs instead
logger = Logger(service="ivs-moderation")
metrics = Metrics(namespace="IvsModeration", service="ivs-moderation")
copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib"})
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "cloudwatch")

# Standard retry mode backs off and retries throttling; what still fails raises, so the
# invoke fails and Lambda retries the event.
AWS_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 5})
# EventBridge retries an event for up to 24 hours; a duplicate within that is recognised.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600


@cache
def settings() -> Settings:
    return Settings.from_env(os.environ)


@cache
def aws_client(service: str):
    # Presigned S3 links are SigV4 (SigV2 is deprecated and fails in newer regions).
    config = AWS_CONFIG.merge(Config(signature_version="s3v4")) if service == "s3" else AWS_CONFIG
    return boto3.client(service, config=config)


@cache
def decision_store() -> DecisionStore:
    return DecisionStore(aws_client("dynamodb"), settings().decisions_table)


@cache
def moderation_room() -> ModerationRoom:
    return ModerationRoom(aws_client("ivschat"), settings().moderation_room_arn)


@cache
def thumbnail_moderator() -> ThumbnailModerator:
    return ThumbnailModerator(
        settings=settings(),
        rekognition=aws_client("rekognition"),
        s3=aws_client("s3"),
        ivs=aws_client("ivs"),
        room=moderation_room(),
        store=decision_store(),
        metrics=metrics,
    )


@cache
def verifier() -> CognitoVerifier:
    config = settings()
    return CognitoVerifier(
        jwks_client(config.jwks_url),
        issuer=user_pool_issuer(config.user_pool_id),
        client_ids=config.app_client_ids,
        group=config.moderators_group,
    )


@cache
def idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY_JMESPATH, expires_after_seconds=IDEMPOTENCY_TTL_SECONDS
    )


@cache
def moderate_once():
    """`thumbnail_moderator().moderate`, at most once per object write (Powertools)."""
    store = DynamoDBPersistenceLayer(
        table_name=settings().idempotency_table, boto3_client=aws_client("dynamodb")
    )
    return idempotent_function(
        thumbnail_moderator().moderate,
        data_keyword_argument="frame",
        persistence_store=store,
        config=idempotency_config(),
    )


@app.on_cw_event(thumbnail_event_pattern(recording_bucket_from_env(os.environ)))
def moderate_thumbnail(event):
    frame = ObjectCreated.from_event(event.to_dict())
    thumbnail = parse_thumbnail_key(frame.key, frame.region)
    logger.append_keys(event_id=frame.event_id, channel=thumbnail and thumbnail.channel_arn)
    idempotency_config().register_lambda_context(event.context)
    return moderate_once()(frame=frame)


def signed_in() -> Moderator:
    """The moderator making this request; 401 or 403 for anyone else."""
    moderator = verifier().moderator(app.current_request.headers.get("authorization"))
    logger.append_keys(moderator=moderator.username)
    return moderator


@app.middleware("http")
def api_errors_and_cors(event, get_response):
    cors = cors_headers(event.headers.get("origin"), settings().dashboard_origins)
    if event.method == "OPTIONS":  # a CORS preflight: answered here, for allowed origins only
        return Response(body="", status_code=204 if cors else 403, headers=cors)
    try:
        response = get_response(event)
    except ApiError as error:
        response = error.response()
    response.headers.update(cors)
    return response


@app.route("/stop-stream", methods=["POST", "OPTIONS"])
def stop_stream():
    moderator = signed_in()
    config = settings()
    request = StopRequest.from_body(
        app.current_request.json_body, region=config.region, account=config.account
    )
    return stop_for_moderator(request, moderator, ivs=aws_client("ivs"), store=decision_store())


@app.route("/chat-token", methods=["POST", "OPTIONS"])
def chat_token():
    moderator = signed_in()
    capabilities = requested_capabilities(app.current_request.json_body)
    config = settings()
    token = moderation_room().token(
        moderator.user_id, moderator.username, capabilities, config.chat_token_minutes
    )
    return {**token, "endpoint": config.chat_messaging_endpoint}


@app.route("/decisions", methods=["GET", "OPTIONS"])
def decisions():
    signed_in()
    query = HistoryQuery.from_params(app.current_request.query_params, datetime.now(UTC))
    return list_decisions(query, decision_store(), presign=lambda item: frame(item["thumbnailKey"]))


@app.route("/frames", methods=["GET", "OPTIONS"])
def frames():
    signed_in()
    return frame((app.current_request.query_params or {}).get("key"))


def frame(key: str) -> dict[str, str]:
    config = settings()
    return frame_url(aws_client("s3"), config.recording_bucket, key, config.frame_url_seconds)


# --- the dashboard: public files; everything it does goes through the routes above -------


@app.route("/")
def dashboard():
    return page("index.html")


@app.route("/static/{name}")
def dashboard_static(name: str):
    return page(name)


@app.route("/config")
def dashboard_config():
    """What the dashboard needs to sign in; nothing secret."""
    config = settings()
    return {
        "region": config.region,
        "userPoolId": config.user_pool_id,
        "clientId": config.app_client_ids[0],
        "cognitoEndpoint": config.cognito_endpoint,
    }


def page(name: str) -> Response:
    config = settings()
    s3 = aws_client("s3").meta.endpoint_url
    return dashboard_file(
        name,
        connect=[origin(config.cognito_endpoint), origin(config.chat_messaging_endpoint)],
        images=[origin(s3), "https://*.amazonaws.com"],
    )
