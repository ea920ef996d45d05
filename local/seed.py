"""What the stack creates on the stand-ins: bucket, tables, routes, room, user pool and users,
and chat logging for the viewers' rooms (their rooms are the simulator's, one per channel)."""

from __future__ import annotations

import os
import sys

import boto3

from chalicelib.core.identity import GROUP_DEFAULTS, ROLE_GROUP_SETTINGS
from local.chat_rooms import LOG_GROUP, LOG_SUBSCRIBER, REVIEW_HANDLER, create_chat_logging
from local.resources import (
    create_moderators_pool,
    create_recording_bucket,
    create_routes,
    create_tables,
    create_user,
)
from local.stage import ACCOUNT, REGION, lambda_function

# The stack makes one user of each role, named after it, and a viewer in no group;
# stack.json and the banner give their passwords, and `make moderator STAGE=local` adds
# more (local/users.py).


def create_resources(
    stage: dict[str, str], *, moto_url: str, dynamodb_url: str, emulator_url: str, chat_ws_url: str
) -> dict:
    """Create the stage's resources on the stand-ins; what the app's processes need to know."""

    def client(service: str, endpoint: str):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    create_recording_bucket(client("s3", moto_url), stage["RECORDING_BUCKET"], REGION)
    create_tables(
        client("dynamodb", dynamodb_url),
        {
            "DecisionsTable": stage["DECISIONS_TABLE"],
            "IdempotencyTable": stage["IDEMPOTENCY_TABLE"],
            "IncidentsTable": stage["INCIDENTS_TABLE"],
            "ChannelsTable": stage["CHANNELS_TABLE"],
            "ChatTable": stage["CHAT_TABLE"],
            "PoliciesTable": stage["POLICIES_TABLE"],
        },
    )
    app = load_app(stage)
    routes, failed_frames = create_routes(
        app,
        client("events", moto_url),
        client("sqs", moto_url),
        failed_frames_queue=stage["FAILED_FRAMES_QUEUE"],
        function=lambda handler: lambda_function(app.app_name, handler),
        region=REGION,
        account=ACCOUNT,
    )
    for source in routes.unserved:
        print(f"local stack: {source} is not served locally", file=sys.stderr)
    ivschat = client("ivschat", emulator_url)
    room_arn = ivschat.create_room(name="moderators")["arn"]
    functions = {f.handler: f.arn for f in routes.functions}
    chat = {"log_group": LOG_GROUP, "review_handler_arn": functions.get(REVIEW_HANDLER, "")}
    if LOG_SUBSCRIBER in functions:
        chat["logging_configuration_arn"] = create_chat_logging(
            ivschat, client("logs", moto_url), emulator_url, functions[LOG_SUBSCRIBER]
        )
    chat_queue = f"/{stage['CHAT_MESSAGES_QUEUE']}"
    chat_queue_url = next(r.queue_url for r in routes.queues if r.queue_url.endswith(chat_queue))
    idp = client("cognito-idp", moto_url)
    groups = {role: stage.get(n, GROUP_DEFAULTS[n]) for role, n in ROLE_GROUP_SETTINGS.items()}
    pool = create_moderators_pool(idp, "ivs-moderation-local", groups)
    users = {
        role: {"username": role, "password": create_user(idp, pool.user_pool_id, role, group)}
        for role, group in groups.items()
    }
    viewer = {"username": "viewer", "password": create_user(idp, pool.user_pool_id, "viewer", None)}
    return {
        "routes": routes,
        "failed_frames": failed_frames,
        "thumbnail_queue_url": next(
            (r.queue_url for r in routes.events if "aws.s3" in r.pattern.get("source", [])),
            None,
        ),
        "environment": {
            "MODERATION_ROOM_ARN": room_arn,
            "COGNITO_USER_POOL_ID": pool.user_pool_id,
            "COGNITO_APP_CLIENT_IDS": pool.client_id,
            "COGNITO_JWKS_URL": f"{moto_url}/{pool.user_pool_id}/.well-known/jwks.json",
            "COGNITO_ENDPOINT": f"{moto_url}/",
            "CHAT_MESSAGING_ENDPOINT": chat_ws_url,
            "CHAT_MESSAGES_QUEUE_URL": chat_queue_url,
        },
        "chat": chat,
        "groups": groups,
        "users": users,
        "viewer": viewer,
    }


def load_app(stage: dict[str, str]):
    """The app itself, as `chalice deploy` imports it: its handlers and their patterns."""
    os.environ.update(stage)  # app.py reads the stage's settings on import
    import app

    return app.app
