"""The local stack's chat part: viewers' rooms, chat logging, and Lambda's Invoke API.

What `make chat-rooms` sets up in AWS, the stack sets up on the emulator: a room per
simulated channel, tagged with its channel, with the review handler and chat logging
attached; the emulator calls the app's functions through the relay's Invoke API. The
scenario of these tests runs no chatters ("chatters": false): tests send what they need.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import time

import aiohttp
import pytest
from chat_helpers import viewer_room
from stack_helpers import aws, emulator

from local.chat_rooms import LOG_GROUP
from local.stack_client import api, sign_in


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


# --- the production chat handlers, through the emulator's IVS chat ----------------------------


async def chat(stack: dict, room: str, user: str, contents: list[str], until, wait: float):
    """Send `contents` as `user` in `room`; the frames received (with when each arrived)
    until `until(frames)` or `wait` seconds."""
    token = aws(stack, "ivschat").create_chat_token(
        roomIdentifier=room, userId=user, capabilities=["SEND_MESSAGE"]
    )["token"]
    received: list[tuple[float, dict]] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(stack["chat_ws_url"], protocols=[token]) as ws,
    ):
        for number, content in enumerate(contents):
            action = {"Action": "SEND_MESSAGE", "RequestId": f"req-{number}", "Content": content}
            await ws.send_str(json.dumps(action))
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0 and not until(received):
            try:
                message = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.TEXT:
                received.append((time.monotonic(), json.loads(message.data)))
    return received


def test_a_blocked_term_and_a_foreign_link_are_denied_with_406_by_the_review_handler(stack):
    # GIVEN a moderated viewers' room, and a term an admin blocked in it
    room = viewer_room(stack, "e2e-chat-review")
    blocked = api(
        stack, "PUT", "/chat/terms", sign_in(stack, "admin"), {"roomArn": room, "term": "sprockets"}
    )
    assert blocked.status_code in (200, 201), blocked.text

    # WHEN a viewer sends the term, a link to a host not allowed, and a harmless line
    contents = ["I sell SPROCKETS", "see https://free-skins.example.net/x", "hello all"]
    frames = asyncio.run(
        chat(stack, room, "e2e-viewer", contents, lambda got: len(got) >= 3, wait=10)
    )

    # THEN the first two are ERROR 406 (the review handler's DENY), the third is delivered
    by_request = {frame.get("RequestId"): frame for _, frame in frames}
    assert by_request["req-0"]["Type"] == "ERROR" and by_request["req-0"]["ErrorCode"] == 406
    assert by_request["req-1"]["Type"] == "ERROR" and by_request["req-1"]["ErrorCode"] == 406
    assert by_request["req-2"]["Type"] == "MESSAGE"
    assert by_request["req-2"]["Content"] == "hello all"


def test_an_insult_is_delivered_then_deleted_by_the_deep_pass_within_five_seconds(stack):
    # GIVEN a moderated viewers' room
    room = viewer_room(stack, "e2e-chat-deep-pass")

    def deleted(frames) -> bool:
        return any(f.get("EventName") == "aws:DELETE_MESSAGE" for _, f in frames)

    # WHEN a viewer insults the streamer (Comprehend, the emulator's, scores it toxic)
    sent = time.monotonic()
    frames = asyncio.run(chat(stack, room, "e2e-troll", ["you are an idiot"], deleted, wait=8))

    # THEN the message was delivered (the review handler allowed it), and within 5 s the
    # room deleted it (aws:DELETE_MESSAGE naming its Id)
    messages = [f for _, f in frames if f["Type"] == "MESSAGE"]
    assert len(messages) == 1, frames
    [message] = messages
    [(at, event)] = [(t, f) for t, f in frames if f.get("EventName") == "aws:DELETE_MESSAGE"]
    assert event["Attributes"]["MessageId"] == message["Id"]
    assert at - sent < 5.0
