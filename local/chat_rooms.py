"""The viewers' chat rooms of the local stack, set up as `make chat-rooms` sets them up in AWS.

- Chat logging: the CloudWatch Logs group `LOG_GROUP` (on moto, where the emulator writes
  the chat log), an ivschat logging configuration to it, and a subscription of that group
  to the `chat_log_received` function. In AWS that is a subscription filter; moto cannot
  invoke a function, so the emulator delivers the log itself, as Lambda's CloudWatch Logs
  event, to what is registered with `POST /_emulator/logs/subscriptions`
  (local/emulator/chatlogs.py).
- A room per channel, tagged `moderation-channel` = the channel's ARN, with the review
  handler attached (`fallbackResult` ALLOW, as AWS defaults it) and the logging
  configuration.
"""

from __future__ import annotations

import requests

from chalicelib.chat.rooms import CHANNEL_TAG

LOG_GROUP = "/ivs-moderation/local/chat"
LOGGING_CONFIGURATION = "ivs-moderation-local-chat"
REVIEW_HANDLER = "review_chat_message"
LOG_SUBSCRIBER = "chat_log_received"


def create_chat_logging(ivschat, logs, emulator_url: str, function_arn: str) -> str:
    """The log group, a logging configuration to it, subscribed to `function_arn`; its ARN."""
    logs.create_log_group(logGroupName=LOG_GROUP)
    arn = ivschat.create_logging_configuration(
        name=LOGGING_CONFIGURATION,
        destinationConfiguration={"cloudWatchLogs": {"logGroupName": LOG_GROUP}},
    )["arn"]
    requests.post(
        f"{emulator_url.rstrip('/')}/_emulator/logs/subscriptions",
        json={"logGroupName": LOG_GROUP, "functionArn": function_arn},
        timeout=5,
    ).raise_for_status()
    return arn


def create_viewer_room(
    ivschat, channel_name: str, channel_arn: str, *, review_arn: str, logging_arn: str
) -> str:
    """A viewers' room of the channel, moderated; its ARN."""
    return ivschat.create_room(
        name=f"{channel_name}-chat",
        tags={CHANNEL_TAG: channel_arn},
        messageReviewHandler={"uri": review_arn, "fallbackResult": "ALLOW"},
        loggingConfigurationIdentifiers=[logging_arn],
    )["arn"]
