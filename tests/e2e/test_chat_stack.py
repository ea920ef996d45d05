"""The local stack's chat part: viewers' rooms, chat logging, and Lambda's Invoke API.

What `make chat-rooms` sets up in AWS, the stack sets up on the emulator: a room per
simulated channel, tagged with its channel, with the review handler and chat logging
attached; the emulator calls the app's functions through the relay's Invoke API. The
scenario of these tests runs no chatters ("chatters": false): tests send what they need.
"""

from __future__ import annotations

import json
import pathlib

import pytest
from stack_helpers import aws, emulator

from local.chat_rooms import LOG_GROUP


def test_every_simulated_channel_has_a_moderated_viewers_room_with_chat_logging(stack):
    # GIVEN the stack's channels and its functions
    review = stack["functions"]["review_chat_message"]
    subscriber = stack["functions"]["chat_log_received"]
    ivschat = aws(stack, "ivschat")
    assert set(stack["chat_rooms"]) == {c["name"] for c in stack["channels"]}

    # WHEN each room, its logging configuration and the log subscriptions are looked at
    rooms = {
        c["channelArn"]: ivschat.get_room(identifier=c["chatRoomArn"]) for c in stack["channels"]
    }
    logging = ivschat.get_logging_configuration(
        identifier=stack["chat"]["logging_configuration_arn"]
    )
    subscriptions = emulator(stack, "GET", "logs/subscriptions")["subscriptions"]
    groups = aws(stack, "logs").describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"]

    # THEN each names its channel, calls the review handler (ALLOW when it cannot) and logs
    # to the chat log group, which the emulator delivers to chat_log_received
    for channel_arn, room in rooms.items():
        assert room["tags"] == {"moderation-channel": channel_arn}
        assert room["messageReviewHandler"] == {"uri": review, "fallbackResult": "ALLOW"}
        assert room["loggingConfigurationIdentifiers"] == [logging["arn"]]
    assert logging["destinationConfiguration"] == {"cloudWatchLogs": {"logGroupName": LOG_GROUP}}
    assert {"logGroupName": LOG_GROUP, "functionArn": subscriber} in [
        {k: s[k] for k in ("logGroupName", "functionArn")} for s in subscriptions
    ]
    assert [g["logGroupName"] for g in groups] == [LOG_GROUP]


def test_the_relays_invoke_api_serves_the_apps_functions_to_boto3(stack):
    # GIVEN boto3's Lambda client on the stack's Invoke API
    client = aws(stack, "lambda")

    # WHEN a function of the app is dry-run, and one it does not have is invoked
    dry = client.invoke(
        FunctionName=stack["functions"]["chat_ban_lookup"], InvocationType="DryRun", Payload=b"{}"
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException) as unknown:
        client.invoke(FunctionName="ivs-moderation-local-no_such_function", Payload=b"{}")

    # THEN the first is Lambda's 204, the second its 404
    assert dry["StatusCode"] == 204
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_the_functions_environment_names_the_chat_queue_and_comprehend(stack):
    # GIVEN the relay's process (it runs the functions)
    environ = pathlib.Path(f"/proc/{stack['pids']['relay']}/environ").read_bytes()
    env = dict(item.split("=", 1) for item in environ.decode().split("\0") if "=" in item)

    # WHEN the chat messages queue it names is looked at
    sqs = aws(stack, "sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=env["CHAT_MESSAGES_QUEUE_URL"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]

    # THEN it is the deep pass's queue, with its dead-letter queue, and Comprehend is the
    # emulator
    assert env["CHAT_MESSAGES_QUEUE_URL"] == stack["chat_messages_queue_url"]
    assert env["CHAT_MESSAGES_QUEUE_URL"] == stack["queues"]["moderate_chat_messages"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":ivs-moderation-local-chat-messages-dlq")
    assert env["AWS_ENDPOINT_URL_COMPREHEND"] == stack["emulator_url"]
