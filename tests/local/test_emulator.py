"""The emulator answers boto3 and chat clients as AWS does, over real HTTP and WebSocket.

A moto server (for S3) and the emulator run on free local ports for the whole module;
boto3 clients reach the emulator through `endpoint_url`, as the production code reaches
it through AWS_ENDPOINT_URL_*. Each test makes its own channels, rooms and images, so
tests do not see each other's state. Shapes are checked against botocore's models.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from local_servers import aws as local_aws
from local_servers import moto_server, serve_app
from PIL import Image
from support import ACCOUNT, REGION, ROOT

from chalicelib.room.chat import ModerationRoom
from chalicelib.streams.enforcement import ALREADY_OFFLINE, STOPPED, revoke_stream_keys, stop_stream
from local.emulator import create_app
from local.headless import free_port

BUCKET = "emulator-test-frames"
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# Frame fields, as the Chat Messaging API Reference lists them.
EVENT_FIELDS = {"Type", "Id", "RequestId", "EventName", "Attributes", "SendTime"}
MESSAGE_FIELDS = {"Type", "Id", "RequestId", "Attributes", "Content", "SendTime", "Sender"}
ERROR_FIELDS = {"Type", "Id", "RequestId", "ErrorCode", "ErrorMessage"}
_shades = itertools.count(1)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def emulator(s3_endpoint: str) -> Iterator[str]:
    with serve_app(create_app(REGION, ACCOUNT, s3_endpoint)) as url:
        yield url


def aws(service: str, endpoint: str, config: Config = NO_RETRIES):
    return local_aws(service, endpoint, config)


@pytest.fixture(scope="module")
def s3(s3_endpoint: str):
    client = aws("s3", s3_endpoint)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


@pytest.fixture(scope="module")
def rekognition(emulator: str):
    return aws("rekognition", emulator)


@pytest.fixture(scope="module")
def ivs(emulator: str):
    return aws("ivs", emulator)


@pytest.fixture(scope="module")
def ivschat(emulator: str):
    return aws("ivschat", emulator)


@pytest.fixture(scope="module")
def unchecked_ivschat(emulator: str):
    """A client that sends what botocore would refuse (empty strings, zero minutes)."""
    return aws("ivschat", emulator, NO_RETRIES.merge(Config(parameter_validation=False)))


def http(url: str, method: str, body: Any = None) -> tuple[int, Any]:
    """Status and JSON body of a plain HTTP request (unsigned: not through boto3)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def admin(emulator: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return http(f"{emulator}/_emulator/{path}", method, body)


@pytest.fixture
def faults(emulator: str) -> Iterator[None]:
    yield
    assert admin(emulator, "DELETE", "faults")[0] == 204


def image(kind: str = "JPEG", size: tuple[int, int] = (100, 100)) -> bytes:
    """A distinct image each call, so that declarations by hash do not collide."""
    shade = next(_shades)
    buffer = io.BytesIO()
    Image.new("RGB", size, (shade % 256, shade // 256 % 256, 7)).save(buffer, kind)
    return buffer.getvalue()


def declare(emulator: str, labels: dict[str, float], **target: str) -> None:
    body = {**target, "labels": [{"Name": n, "Confidence": c} for n, c in labels.items()]}
    assert admin(emulator, "PUT", "labels", body)[0] == 200


def emulator_now(emulator: str) -> datetime:
    """The emulator's time, which tests may have moved ahead of the wall clock."""
    return datetime.fromisoformat(admin(emulator, "GET", "clock")[1]["now"])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def error_of(call, *args, **kwargs) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response


def labels_of(response: dict) -> list[tuple[str, str, int, float]]:
    return [
        (label["Name"], label["ParentName"], label["TaxonomyLevel"], label["Confidence"])
        for label in response["ModerationLabels"]
    ]


# --- Rekognition DetectModerationLabels -------------------------------------------------


def test_declared_labels_come_back_with_their_ancestors_levels_and_model_version(
    emulator, rekognition
):
    frame = image()
    declare(
        emulator,
        {"Weapon Violence": 91.5, "Blood & Gore": 97.25, "Weapons": 60.0},
        sha256=sha256(frame),
    )

    response = rekognition.detect_moderation_labels(Image={"Bytes": frame})

    # Every ancestor is present with the highest confidence among its descendants.
    assert labels_of(response) == [
        ("Violence", "", 1, 97.25),
        ("Graphic Violence", "Violence", 2, 97.25),
        ("Blood & Gore", "Graphic Violence", 3, 97.25),
        ("Weapon Violence", "Graphic Violence", 3, 91.5),
        ("Weapons", "Violence", 2, 60.0),
    ]
    assert response["ModerationModelVersion"] == "7.0"
    assert response["ContentTypes"] == []


def test_declared_content_types_and_an_adapter_come_back_as_rekognition_answers(
    emulator, rekognition
):
    frame = image()
    body = {
        "sha256": sha256(frame),
        "labels": [{"Name": "Middle Finger", "Confidence": 88.0}],
        "contentTypes": [{"Name": "Animated", "Confidence": 93.0}],
    }
    assert admin(emulator, "PUT", "labels", body)[0] == 200
    adapter = "arn:aws:rekognition:us-west-2:123456789012:project/p/version/v1/1732100000000"

    response = rekognition.detect_moderation_labels(Image={"Bytes": frame}, ProjectVersion=adapter)

    assert response["ContentTypes"] == [{"Name": "Animated", "Confidence": 93.0}]
    assert response["ProjectVersion"] == adapter
    bad = {**body, "contentTypes": [{"Name": "Cartoonish", "Confidence": 50}]}
    assert admin(emulator, "PUT", "labels", bad)[0] == 400


def test_min_confidence_filters_the_completed_labels(emulator, rekognition):
    frame = image()
    declare(emulator, {"Weapon Violence": 91.5, "Weapons": 60.0}, sha256=sha256(frame))

    def names(**kwargs: float) -> list[str]:
        response = rekognition.detect_moderation_labels(Image={"Bytes": frame}, **kwargs)
        return [label["Name"] for label in response["ModerationLabels"]]

    assert names() == ["Violence", "Graphic Violence", "Weapon Violence", "Weapons"]  # 50
    assert names(MinConfidence=91.5) == ["Violence", "Graphic Violence", "Weapon Violence"]
    assert names(MinConfidence=95) == []
    assert names(MinConfidence=0) == names(MinConfidence=60)


def test_an_undeclared_image_and_one_declared_clean_have_no_labels(emulator, rekognition):
    undeclared, clean = image("PNG"), image()
    declare(emulator, {}, sha256=sha256(clean))

    for frame in (undeclared, clean):
        response = rekognition.detect_moderation_labels(Image={"Bytes": frame})
        assert response["ModerationLabels"] == []


def test_s3_objects_are_read_from_s3_and_a_key_declaration_wins_over_the_hash(
    emulator, rekognition, s3
):
    frame = image()
    s3.put_object(Bucket=BUCKET, Key="ivs/v1/a/frame.jpg", Body=frame)
    s3.put_object(Bucket=BUCKET, Key="ivs/v1/b/frame.jpg", Body=frame)
    declare(emulator, {"Middle Finger": 88.0}, sha256=sha256(frame))
    declare(emulator, {"Drinking": 77.0}, key="ivs/v1/b/frame.jpg")

    def detect(key: str) -> list:
        s3_object = {"S3Object": {"Bucket": BUCKET, "Name": key}}
        return labels_of(rekognition.detect_moderation_labels(Image=s3_object))

    by_hash = [("Rude Gestures", "", 1, 88.0), ("Middle Finger", "Rude Gestures", 2, 88.0)]
    assert detect("ivs/v1/a/frame.jpg") == by_hash
    assert labels_of(rekognition.detect_moderation_labels(Image={"Bytes": frame})) == by_hash
    assert detect("ivs/v1/b/frame.jpg") == [
        ("Alcohol", "", 1, 77.0),
        ("Alcohol Use", "Alcohol", 2, 77.0),
        ("Drinking", "Alcohol Use", 3, 77.0),
    ]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (lambda: image("GIF"), "InvalidImageFormatException"),
        (lambda: b"not an image at all", "InvalidImageFormatException"),
        (lambda: image(size=(79, 100)), "InvalidParameterException"),
        (lambda: image("PNG", size=(300, 79)), "InvalidParameterException"),
        (lambda: b"\xff" * (5 * 1024 * 1024 + 1), "ImageTooLargeException"),
    ],
    ids=["gif", "garbage", "narrow", "short", "bytes-over-5MB"],
)
def test_images_rekognition_rejects_as_bytes(rekognition, payload, code):
    answer = error_of(rekognition.detect_moderation_labels, Image={"Bytes": payload()})

    assert answer[:2] == (code, 400)


def test_s3_objects_rekognition_rejects(rekognition, s3):
    s3.put_object(Bucket=BUCKET, Key="big.jpg", Body=b"\xff" * (15 * 1024 * 1024 + 1))
    s3.put_object(Bucket=BUCKET, Key="gif.jpg", Body=image("GIF"))
    s3.put_object(Bucket=BUCKET, Key="ok.jpg", Body=image())

    def code(bucket: str, key: str, **extra: str) -> tuple[str, int]:
        s3_object = {"Bucket": bucket, "Name": key, **extra}
        return error_of(rekognition.detect_moderation_labels, Image={"S3Object": s3_object})[:2]

    assert code(BUCKET, "big.jpg") == ("ImageTooLargeException", 400)
    assert code(BUCKET, "gif.jpg") == ("InvalidImageFormatException", 400)
    assert code(BUCKET, "missing.jpg") == ("InvalidS3ObjectException", 400)
    assert code("no-such-bucket-here", "ok.jpg") == ("InvalidS3ObjectException", 400)
    assert code(BUCKET, "ok.jpg", Version="no-such-version") == ("InvalidS3ObjectException", 400)


def test_min_confidence_outside_0_to_100_is_an_invalid_parameter(rekognition):
    frame = {"Bytes": image()}

    code, status, response = error_of(
        rekognition.detect_moderation_labels, Image=frame, MinConfidence=100.5
    )

    assert (code, status) == ("InvalidParameterException", 400)
    assert "MinConfidence" in response["Error"]["Message"]
    assert rekognition.detect_moderation_labels(Image=frame, MinConfidence=100)


def test_image_needs_exactly_one_of_bytes_or_s3_object_with_bucket_and_name(rekognition):
    both = {"Bytes": image(), "S3Object": {"Bucket": BUCKET, "Name": "ok.jpg"}}

    for wrong in (both, {}, {"S3Object": {"Bucket": BUCKET}}):
        answer = error_of(rekognition.detect_moderation_labels, Image=wrong)
        assert answer[:2] == ("InvalidParameterException", 400), wrong


def test_label_declarations_are_checked_listed_and_forgotten(emulator):
    frame_hash = sha256(image())
    unknown = {"sha256": frame_hash, "labels": [{"Name": "Violent", "Confidence": 90}]}
    too_sure = {"key": "k.jpg", "labels": [{"Name": "Violence", "Confidence": 101}]}
    both = {"sha256": frame_hash, "key": "k.jpg", "labels": []}

    for body in (unknown, too_sure, both, {"sha256": "ABC", "labels": []}):
        status, answer = admin(emulator, "PUT", "labels", body)
        assert status == 400, body
        assert answer["message"]

    declare(emulator, {"Gambling": 70}, sha256=frame_hash)
    assert admin(emulator, "GET", "labels")[1]["bySha256"][frame_hash] == [
        {"Name": "Gambling", "Confidence": 70.0}
    ]
    assert admin(emulator, "DELETE", f"labels?sha256={frame_hash}")[0] == 204
    assert frame_hash not in admin(emulator, "GET", "labels")[1]["bySha256"]


# --- IVS --------------------------------------------------------------------------------


def new_channel(ivs, name: str = "test") -> tuple[str, str]:
    response = ivs.create_channel(name=name)
    return response["channel"]["arn"], response["streamKey"]["value"]


def go_live(emulator: str, stream_key: str) -> dict:
    status, body = admin(emulator, "POST", "encoder/connect", {"streamKey": stream_key})
    assert status == 200, body
    return body


def test_create_channel_returns_channel_and_stream_key_in_the_real_formats(ivs):
    response = ivs.create_channel(name="shapes", latencyMode="NORMAL")
    channel, key = response["channel"], response["streamKey"]

    arn = f"arn:aws:ivs:{REGION}:{ACCOUNT}"
    assert re.fullmatch(rf"{arn}:channel/[A-Za-z0-9]{{12}}", channel["arn"])
    assert re.fullmatch(rf"{arn}:stream-key/[A-Za-z0-9]{{12}}", key["arn"])
    assert re.fullmatch(rf"sk_{REGION}_[A-Za-z0-9]+", key["value"])
    assert key["channelArn"] == channel["arn"]
    assert channel["name"] == "shapes"
    assert (channel["latencyMode"], channel["type"]) == ("NORMAL", "STANDARD")
    assert channel["ingestEndpoint"].endswith(".global-contribute.live-video.net")
    assert re.fullmatch(r"https://\S+\.m3u8", channel["playbackUrl"])
    assert ivs.get_channel(arn=channel["arn"])["channel"] == channel
    assert ivs.get_stream_key(arn=key["arn"])["streamKey"] == key


def test_list_channels_and_stream_keys_return_the_models_summaries(ivs):
    arn, _ = new_channel(ivs, "listed-once")
    summary_members = set(ivs.meta.service_model.shape_for("ChannelSummary").members)

    listed = ivs.list_channels(filterByName="listed-once")["channels"]
    keys = [
        key
        for page in ivs.get_paginator("list_stream_keys").paginate(channelArn=arn)
        for key in page["streamKeys"]
    ]

    assert [channel["arn"] for channel in listed] == [arn]
    assert set(listed[0]) == summary_members
    assert [set(key) for key in keys] == [{"arn", "channelArn", "tags"}]
    two_filters = {"filterByName": "x", "filterByRecordingConfigurationArn": ""}
    assert error_of(ivs.list_channels, **two_filters)[:2] == ("ConflictException", 409)


def test_batch_get_channel_answers_channels_and_errors_for_unknown_arns(ivs):
    first, _ = new_channel(ivs, "batch-one")
    second, _ = new_channel(ivs, "batch-two")
    unknown = f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/NoSuchChan01"

    response = ivs.batch_get_channel(arns=[second, unknown, first, second])

    assert response["channels"] == [
        ivs.get_channel(arn=second)["channel"],
        ivs.get_channel(arn=first)["channel"],
    ]
    assert response["errors"] == [
        {
            "arn": unknown,
            "code": "ResourceNotFoundException",
            "message": f"Channel {unknown} not found",
        }
    ]
    members = ivs.meta.service_model.shape_for("Channel").members
    assert all(set(channel) <= set(members) for channel in response["channels"])
    assert set(response) - {"ResponseMetadata"} <= set(
        ivs.meta.service_model.operation_model("BatchGetChannel").output_shape.members
    )


def test_batch_get_channel_takes_1_to_50_channel_arns(emulator, ivs):
    arn, _ = new_channel(ivs, "batch-bounds")
    unchecked = aws("ivs", emulator, NO_RETRIES.merge(Config(parameter_validation=False)))

    assert len(ivs.batch_get_channel(arns=[arn] * 50)["channels"]) == 1
    code, status, response = error_of(ivs.batch_get_channel, arns=[arn] * 51)
    assert (code, status) == ("ValidationException", 400)
    assert "Member must have length less than or equal to 50" in response["exceptionMessage"]
    assert error_of(unchecked.batch_get_channel, arns=[])[:2] == ("ValidationException", 400)
    stream_key_arn = f"arn:aws:ivs:{REGION}:{ACCOUNT}:stream-key/AbCdEfGh1234"
    assert error_of(ivs.batch_get_channel, arns=[stream_key_arn])[:2] == (
        "ValidationException",
        400,
    )


def test_a_channel_is_live_from_encoder_connect_until_stop_stream(emulator, ivs):
    arn, stream_key = new_channel(ivs)
    assert error_of(ivs.get_stream, channelArn=arn)[:2] == ("ChannelNotBroadcasting", 404)

    live = go_live(emulator, stream_key)
    stream = ivs.get_stream(channelArn=arn)["stream"]

    assert live == {"channelArn": arn, "streamId": stream["streamId"]}
    assert re.fullmatch(r"st-[A-Za-z0-9]{23}", stream["streamId"])
    assert (stream["state"], stream["health"], stream["viewerCount"]) == ("LIVE", "HEALTHY", 0)
    assert abs(stream["startTime"] - emulator_now(emulator)) < timedelta(seconds=30)
    healthy = ivs.list_streams(filterBy={"health": "HEALTHY"})["streams"]
    starving = ivs.list_streams(filterBy={"health": "STARVING"})["streams"]
    assert arn in [summary["channelArn"] for summary in healthy]
    assert arn not in [summary["channelArn"] for summary in starving]
    assert set(healthy[0]) == set(ivs.meta.service_model.shape_for("StreamSummary").members)

    ivs.stop_stream(channelArn=arn)

    assert error_of(ivs.get_stream, channelArn=arn)[:2] == ("ChannelNotBroadcasting", 404)
    assert error_of(ivs.stop_stream, channelArn=arn)[:2] == ("ChannelNotBroadcasting", 404)


def test_stop_stream_errors_follow_the_model(ivs):
    unknown = f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/NoSuchChan01"

    assert error_of(ivs.stop_stream, channelArn=unknown)[:2] == ("ResourceNotFoundException", 404)
    code, status, response = error_of(ivs.stop_stream, channelArn="arn:aws:ivs:nope")
    assert (code, status) == ("ValidationException", 400)
    assert "channelArn" in response["exceptionMessage"]
    assert response["Error"]["Code"] == "ValidationException"


def test_encoder_disconnect_takes_the_channel_offline(emulator, ivs):
    arn, stream_key = new_channel(ivs)
    go_live(emulator, stream_key)

    assert admin(emulator, "POST", "encoder/disconnect", {"channelArn": arn})[0] == 204

    assert error_of(ivs.get_stream, channelArn=arn)[:2] == ("ChannelNotBroadcasting", 404)
    assert admin(emulator, "POST", "encoder/disconnect", {"channelArn": arn + "x"})[0] == 404


def test_a_deleted_stream_key_ends_nothing_but_can_no_longer_connect(emulator, ivs):
    arn, stream_key = new_channel(ivs)
    go_live(emulator, stream_key)

    assert revoke_stream_keys(ivs, arn) == 1  # the production code's revocation

    assert ivs.get_stream(channelArn=arn)["stream"]["state"] == "LIVE"
    assert stop_stream(ivs, arn) == STOPPED
    assert stop_stream(ivs, arn) == ALREADY_OFFLINE
    assert admin(emulator, "POST", "encoder/connect", {"streamKey": stream_key})[0] == 403
    new_key = ivs.create_stream_key(channelArn=arn)["streamKey"]["value"]
    assert go_live(emulator, new_key)["channelArn"] == arn


def test_encoder_connect_refuses_unknown_keys_and_a_channel_already_live(emulator, ivs):
    _, stream_key = new_channel(ivs)
    go_live(emulator, stream_key)

    assert admin(emulator, "POST", "encoder/connect", {"streamKey": "sk_us-west-2_nope"})[0] == 403
    assert admin(emulator, "POST", "encoder/connect", {"streamKey": stream_key})[0] == 409
    assert admin(emulator, "POST", "encoder/connect", {})[0] == 400


def test_a_channel_has_one_stream_key_and_cannot_be_deleted_while_live(emulator, ivs):
    arn, stream_key = new_channel(ivs)

    second_key = error_of(ivs.create_stream_key, channelArn=arn)
    assert second_key[:2] == ("ServiceQuotaExceededException", 402)
    go_live(emulator, stream_key)
    assert error_of(ivs.delete_channel, arn=arn)[:2] == ("ConflictException", 409)
    ivs.stop_stream(channelArn=arn)
    ivs.delete_channel(arn=arn)
    assert error_of(ivs.get_channel, arn=arn)[:2] == ("ResourceNotFoundException", 404)
    assert error_of(ivs.list_stream_keys, channelArn=arn)[:2] == ("ResourceNotFoundException", 404)


# --- ivschat control plane --------------------------------------------------------------


def new_room(ivschat, **settings: Any) -> str:
    return ivschat.create_room(name="moderators", **settings)["arn"]


def test_rooms_are_created_read_listed_and_deleted(ivschat):
    created = ivschat.create_room(name="room-shapes", maximumMessageLength=200)

    room_arn = created.pop("arn")
    created.pop("ResponseMetadata")
    assert re.fullmatch(rf"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/[A-Za-z0-9]{{12}}", room_arn)
    assert room_arn.endswith("/" + created["id"])
    assert (created["maximumMessageLength"], created["maximumMessageRatePerSecond"]) == (200, 10)
    fetched = ivschat.get_room(identifier=room_arn)
    assert {k: fetched[k] for k in created} == created
    listed = ivschat.list_rooms(name="room-shapes")["rooms"]
    assert [room["arn"] for room in listed] == [room_arn]
    assert set(listed[0]) <= set(ivschat.meta.service_model.shape_for("RoomSummary").members)
    ivschat.delete_room(identifier=room_arn)
    assert error_of(ivschat.get_room, identifier=room_arn)[:2] == ("ResourceNotFoundException", 404)


def test_list_rooms_pages_with_next_token(ivschat):
    arns = [ivschat.create_room(name="paged")["arn"] for _ in range(3)]

    first = ivschat.list_rooms(name="paged", maxResults=2)
    second = ivschat.list_rooms(name="paged", maxResults=2, nextToken=first["nextToken"])

    assert [room["arn"] for room in first["rooms"] + second["rooms"]] == arns
    assert "nextToken" not in second
    code, status, response = error_of(ivschat.list_rooms, nextToken="not a token")
    assert (code, status) == ("ValidationException", 400)
    assert [field["name"] for field in response["fieldList"]] == ["nextToken"]


def sized_attributes(size: int, char: str = "x") -> dict[str, str]:
    """Attributes whose compact UTF-8 JSON is `size` bytes: {"a":"ééé...x"}."""
    count, remainder = divmod(size - len(b'{"a":""}'), len(char.encode()))
    return {"a": char * count + "x" * remainder}


@pytest.mark.parametrize("char", ["x", "é"])
def test_send_event_attributes_may_total_1024_bytes_not_1025(ivschat, char):
    room = new_room(ivschat)

    def send(size: int) -> dict:
        attributes = sized_attributes(size, char)
        return ivschat.send_event(roomIdentifier=room, eventName="E", attributes=attributes)

    assert re.fullmatch(r"[A-Za-z0-9]{12}", send(1024)["id"])
    code, status, response = error_of(send, 1025)
    assert (code, status) == ("ValidationException", 400)
    assert response["reason"] == "FIELD_VALIDATION_FAILED"
    assert [field["name"] for field in response["fieldList"]] == ["attributes"]


def test_event_name_must_be_1_to_100_characters(ivschat, unchecked_ivschat):
    room = new_room(ivschat)

    assert ivschat.send_event(roomIdentifier=room, eventName="E" * 100)["id"]
    for client, name in ((ivschat, "E" * 101), (unchecked_ivschat, "")):
        code, status, response = error_of(client.send_event, roomIdentifier=room, eventName=name)
        assert (code, status) == ("ValidationException", 400)
        assert response["reason"] == "FIELD_VALIDATION_FAILED"
        assert [field["name"] for field in response["fieldList"]] == ["eventName"]


def test_chat_token_capabilities_durations_and_user_ids_are_validated(
    emulator, ivschat, unchecked_ivschat
):
    room = new_room(ivschat)
    valid = {"roomIdentifier": room, "userId": "mod-1"}

    refused = [
        (ivschat, {"capabilities": ["SEND_MESSAGE", "BAN_USER"]}, "capabilities.2.member"),
        (ivschat, {"sessionDurationInMinutes": 181}, "sessionDurationInMinutes"),
        (unchecked_ivschat, {"sessionDurationInMinutes": 0}, "sessionDurationInMinutes"),
        (ivschat, {"userId": "u" * 129}, "userId"),
        (unchecked_ivschat, {"userId": ""}, "userId"),
        (ivschat, {"attributes": sized_attributes(1025)}, "attributes"),
    ]
    for client, change, field in refused:
        code, status, response = error_of(client.create_chat_token, **{**valid, **change})
        assert (code, status) == ("ValidationException", 400), change
        assert [f["name"] for f in response["fieldList"]] == [field]
    # userId is sensitive: the error does not echo it
    too_long = error_of(ivschat.create_chat_token, **{**valid, "userId": "u" * 129})
    assert "u" * 129 not in too_long[2]["message"]

    for minutes in (1, 180):
        before = emulator_now(emulator)
        token = ivschat.create_chat_token(
            **valid,
            capabilities=["SEND_MESSAGE", "DISCONNECT_USER", "DELETE_MESSAGE"],
            sessionDurationInMinutes=minutes,
        )
        assert token["token"]
        connect_within = token["tokenExpirationTime"] - before
        assert timedelta(0) < connect_within <= timedelta(minutes=1, seconds=5)
        session = token["sessionExpirationTime"] - before
        assert abs(session - timedelta(minutes=minutes)) < timedelta(seconds=5)


def test_an_unknown_room_is_resource_not_found_with_its_id(ivschat):
    room = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/NoSuchRoom01"

    for call, params in [
        (ivschat.send_event, {"roomIdentifier": room, "eventName": "E"}),
        (ivschat.create_chat_token, {"roomIdentifier": room, "userId": "u"}),
        (ivschat.disconnect_user, {"roomIdentifier": room, "userId": "u"}),
        (ivschat.delete_message, {"roomIdentifier": room, "id": "AbCdEfGh1234"}),
        (ivschat.get_room, {"identifier": room}),
    ]:
        code, status, response = error_of(call, **params)
        assert (code, status) == ("ResourceNotFoundException", 404)
        assert (response["resourceId"], response["resourceType"]) == ("NoSuchRoom01", "ROOM")


# --- IVS Chat Messaging WebSocket -------------------------------------------------------


def chat_token(ivschat, room: str, user: str = "viewer", *capabilities: str, **extra: Any) -> str:
    return ivschat.create_chat_token(
        roomIdentifier=room, userId=user, capabilities=list(capabilities), **extra
    )["token"]


def ws_url(emulator: str) -> str:
    return emulator.replace("http://", "ws://") + "/"


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive(timeout=5)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


async def refused_status(emulator: str, *protocols: str) -> int:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
            await session.ws_connect(ws_url(emulator), protocols=protocols)
    return raised.value.status


def test_send_event_reaches_every_client_as_an_event_frame(emulator, ivschat):
    room = new_room(ivschat)

    async def scenario() -> None:
        tokens = [
            chat_token(ivschat, room, "moderator-1"),
            chat_token(ivschat, room, "moderator-2"),
        ]
        async with aiohttp.ClientSession() as session:
            clients = [await session.ws_connect(ws_url(emulator), protocols=(t,)) for t in tokens]
            assert [client.protocol for client in clients] == tokens  # the token is echoed
            sent = ivschat.send_event(
                roomIdentifier=room, eventName="STREAM_MODERATION", attributes={"decision": "alert"}
            )
            for client in clients:
                frame = await receive(client)
                assert set(frame) == EVENT_FIELDS
                assert frame["Type"] == "EVENT"
                assert frame["Id"] == sent["id"]
                assert frame["RequestId"] == sent["ResponseMetadata"]["RequestId"]
                assert frame["EventName"] == "STREAM_MODERATION"
                assert frame["Attributes"] == {"decision": "alert"}
                assert RFC3339_MS.match(frame["SendTime"])
                await client.close()

    asyncio.run(scenario())


def test_the_production_moderation_room_reaches_the_websocket(emulator, ivschat):
    room = ModerationRoom(ivschat, new_room(ivschat))

    async def scenario() -> None:
        token = room.token("sub-1", "alice", [], 5)
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(ws_url(emulator), protocols=(token["token"],))
            event_id = room.send({"schemaVersion": "1", "labels": "[]"})
            frame = await receive(ws)
            assert (frame["Id"], frame["EventName"]) == (event_id, "STREAM_MODERATION")
            await ws.close()

    asyncio.run(scenario())


def test_a_token_connects_once_and_only_with_a_token(emulator, ivschat):
    room = new_room(ivschat)
    token = chat_token(ivschat, room)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            first = await session.ws_connect(ws_url(emulator), protocols=(token,))
            assert await refused_status(emulator, token) == 403
            await first.close()
        assert await refused_status(emulator, token) == 403
        assert await refused_status(emulator) == 401
        assert await refused_status(emulator, "not-a-token") == 403

    asyncio.run(scenario())


def test_an_expired_token_cannot_connect_and_a_session_ends_on_time(emulator, ivschat):
    room = new_room(ivschat)
    stale = chat_token(ivschat, room)
    fresh = chat_token(ivschat, room, "viewer", sessionDurationInMinutes=2)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(ws_url(emulator), protocols=(fresh,))
            assert admin(emulator, "POST", "clock", {"advanceSeconds": 61})[0] == 200
            assert await refused_status(emulator, stale) == 403
            assert admin(emulator, "POST", "clock", {"advanceSeconds": 60})[0] == 200
            frame = await receive(ws)
            assert (frame["Type"], frame["ErrorCode"]) == ("ERROR", 401)
            assert (await ws.receive(timeout=5)).type is aiohttp.WSMsgType.CLOSE

    asyncio.run(scenario())


def test_send_message_needs_the_capability_and_reaches_everyone(emulator, ivschat):
    room = new_room(ivschat)
    speaker = chat_token(ivschat, room, "speaker", "SEND_MESSAGE", attributes={"name": "Sam"})
    viewer = chat_token(ivschat, room, "viewer")

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            talk = await session.ws_connect(ws_url(emulator), protocols=(speaker,))
            watch = await session.ws_connect(ws_url(emulator), protocols=(viewer,))
            await watch.send_json({"Action": "SEND_MESSAGE", "Content": "hi", "RequestId": "r-1"})
            refusal = await receive(watch)
            assert set(refusal) == ERROR_FIELDS
            assert (refusal["Type"], refusal["ErrorCode"], refusal["RequestId"]) == (
                "ERROR",
                403,
                "r-1",
            )

            message = {"Content": "héllo", "Attributes": {"k": "v"}, "RequestId": "r-2"}
            await talk.send_json({"Action": "SEND_MESSAGE", **message})
            for ws in (talk, watch):
                frame = await receive(ws)
                assert set(frame) == MESSAGE_FIELDS
                assert frame["Type"] == "MESSAGE"
                assert {field: frame[field] for field in message} == message
                assert frame["Sender"] == {"UserId": "speaker", "Attributes": {"name": "Sam"}}
                assert re.fullmatch(r"[A-Za-z0-9]{12}", frame["Id"])
                assert RFC3339_MS.match(frame["SendTime"])

    asyncio.run(scenario())


def test_client_actions_are_refused_with_the_documented_error_codes(emulator, ivschat, faults):
    room = new_room(ivschat, maximumMessageLength=10, maximumMessageRatePerSecond=1)
    denying = new_room(
        ivschat,
        messageReviewHandler={
            "uri": "arn:aws:lambda:us-west-2:123456789012:function:review",
            "fallbackResult": "DENY",
        },
    )
    everything = ("SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER")
    token = chat_token(ivschat, room, "mod", *everything)
    denied = chat_token(ivschat, denying, "mod", *everything)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(ws_url(emulator), protocols=(token,))
            review = await session.ws_connect(ws_url(emulator), protocols=(denied,))

            async def code(action: Any, client: aiohttp.ClientWebSocketResponse = ws) -> int:
                await client.send_str(action if isinstance(action, str) else json.dumps(action))
                frame = await receive(client)
                assert frame["Type"] == "ERROR", frame
                return frame["ErrorCode"]

            assert await code("{not json") == 400
            await ws.send_bytes(b'{"Action": "SEND_MESSAGE", "Content": "x"}')
            assert (await receive(ws))["ErrorCode"] == 400
            assert await code({"Action": "SHOUT"}) == 400
            assert await code({"Action": "SEND_MESSAGE"}) == 400
            assert await code({"Action": "DELETE_MESSAGE"}) == 400
            assert await code({"Action": "SEND_MESSAGE", "Content": "x" * 11}) == 413
            big = {"Action": "SEND_MESSAGE", "Content": "x", "Attributes": sized_attributes(1025)}
            assert await code(big) == 413
            assert await code({"Action": "SEND_MESSAGE", "Content": "x"}, review) == 406
            await ws.send_json({"Action": "SEND_MESSAGE", "Content": "first"})
            assert (await receive(ws))["Type"] == "MESSAGE"
            assert await code({"Action": "SEND_MESSAGE", "Content": "second"}) == 429
            admin(emulator, "PUT", "faults", {"ivschat": {"error_rate": 1}})
            assert await code({"Action": "DELETE_MESSAGE", "Id": "AbCdEfGh1234"}) == 500
            admin(emulator, "PUT", "faults", {"ivschat": {"throttle_rate": 1}})
            assert await code({"Action": "DELETE_MESSAGE", "Id": "AbCdEfGh1234"}) == 429
            admin(emulator, "DELETE", "faults")
            ivschat.delete_room(identifier=room)
            assert await code({"Action": "DELETE_MESSAGE", "Id": "AbCdEfGh1234"}) == 404

    asyncio.run(scenario())


def test_delete_message_needs_the_capability_and_broadcasts_the_system_event(emulator, ivschat):
    room = new_room(ivschat)
    moderator = chat_token(ivschat, room, "mod", "DELETE_MESSAGE")
    viewer = chat_token(ivschat, room, "viewer", "SEND_MESSAGE")

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            mod = await session.ws_connect(ws_url(emulator), protocols=(moderator,))
            view = await session.ws_connect(ws_url(emulator), protocols=(viewer,))
            await view.send_json({"Action": "DELETE_MESSAGE", "Id": "AbCdEfGh1234"})
            assert (await receive(view))["ErrorCode"] == 403

            action = {"Action": "DELETE_MESSAGE", "Id": "AbCdEfGh1234", "Reason": "spam"}
            await mod.send_json({**action, "RequestId": "d-1"})
            for ws in (mod, view):
                event = await receive(ws)
                assert (event["EventName"], event["RequestId"]) == ("aws:DELETE_MESSAGE", "d-1")
                assert event["Attributes"] == {
                    "MessageId": "AbCdEfGh1234",
                    "MessageID": "AbCdEfGh1234",
                    "Reason": "spam",
                }

            sent = ivschat.delete_message(roomIdentifier=room, id="ZyXwVuTs9876", reason="rude")
            for ws in (mod, view):
                event = await receive(ws)
                assert (event["EventName"], event["Id"]) == ("aws:DELETE_MESSAGE", sent["id"])
                assert event["Attributes"]["MessageId"] == "ZyXwVuTs9876"

    asyncio.run(scenario())


def test_disconnect_user_needs_the_capability_tells_the_room_and_closes_the_user(emulator, ivschat):
    room = new_room(ivschat)
    tokens = {
        "mod": chat_token(ivschat, room, "mod", "DISCONNECT_USER"),
        "troll": chat_token(ivschat, room, "troll", "SEND_MESSAGE"),
        "troll-again": chat_token(ivschat, room, "troll"),
        "bystander": chat_token(ivschat, room, "bystander"),
    }

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = {
                name: await session.ws_connect(ws_url(emulator), protocols=(t,))
                for name, t in tokens.items()
            }
            await ws["troll"].send_json({"Action": "DISCONNECT_USER", "UserId": "mod"})
            assert (await receive(ws["troll"]))["ErrorCode"] == 403

            await ws["mod"].send_json(
                {"Action": "DISCONNECT_USER", "UserId": "troll", "Reason": "spam"}
            )
            for name in ws:
                event = await receive(ws[name])
                assert event["EventName"] == "aws:DISCONNECT_USER"
                assert event["Attributes"] == {"UserId": "troll", "Reason": "spam"}
            for name in ("troll", "troll-again"):
                assert (await ws[name].receive(timeout=5)).type is aiohttp.WSMsgType.CLOSE
            state = next(r for r in admin(emulator, "GET", "state")[1]["rooms"] if r["arn"] == room)
            assert (state["connections"], state["users"]) == (2, ["bystander", "mod"])

            ivschat.disconnect_user(roomIdentifier=room, userId="bystander", reason="bye")
            event = await receive(ws["bystander"])
            assert event["Attributes"] == {"UserId": "bystander", "Reason": "bye"}
            assert (await ws["bystander"].receive(timeout=5)).type is aiohttp.WSMsgType.CLOSE

    asyncio.run(scenario())


# --- Fault injection --------------------------------------------------------------------


def test_throttling_and_server_errors_in_each_services_own_format(
    emulator, rekognition, ivs, ivschat, faults
):
    room = new_room(ivschat)
    channel = f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/AbCdEfGh1234"
    calls = {
        "rekognition": lambda: rekognition.detect_moderation_labels(Image={"Bytes": image()}),
        "ivs": lambda: ivs.get_stream(channelArn=channel),
        "ivschat": lambda: ivschat.send_event(roomIdentifier=room, eventName="E"),
    }
    throttled = {"rekognition": 500, "ivs": 429, "ivschat": 429}
    internal = {
        "rekognition": "InternalServerError",
        "ivs": "InternalServerException",
        "ivschat": "InternalServerException",
    }

    for service, call in calls.items():
        admin(emulator, "PUT", "faults", {service: {"throttle_rate": 1.0}})
        code, status, response = error_of(call)
        assert (code, status) == ("ThrottlingException", throttled[service]), service
        admin(emulator, "PUT", "faults", {service: {"error_rate": 1.0}})
        assert error_of(call)[:2] == (internal[service], 500), service
        admin(emulator, "DELETE", "faults")
    admin(emulator, "PUT", "faults", {"ivschat": {"throttle_rate": 1.0}})
    response = error_of(calls["ivschat"])[2]
    assert (response["resourceId"], response["resourceType"]) == (room.rpartition("/")[2], "ROOM")
    assert isinstance(response["limit"], int)


def test_a_client_with_standard_retries_rides_out_throttling(emulator, faults):
    # Seed 1 draws 0.13 then 0.85: the first attempt is throttled, the second is not.
    admin(emulator, "PUT", "faults", {"ivschat": {"throttle_rate": 0.5}, "seed": 1})
    client = aws("ivschat", emulator, Config(retries={"mode": "standard", "total_max_attempts": 5}))

    response = client.list_rooms()

    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_a_persistent_fault_exhausts_the_retries(emulator, faults):
    admin(emulator, "PUT", "faults", {"ivs": {"error_rate": 1.0}})
    client = aws("ivs", emulator, Config(retries={"mode": "standard", "total_max_attempts": 3}))

    code, status, response = error_of(client.list_channels)

    assert (code, status) == ("InternalServerException", 500)
    assert response["ResponseMetadata"]["RetryAttempts"] == 2


def test_latency_is_added_and_fault_settings_are_checked(emulator, ivs, faults):
    admin(emulator, "PUT", "faults", {"ivs": {"latency_ms": 200}})
    started = time.perf_counter()
    ivs.list_channels()
    assert time.perf_counter() - started >= 0.2

    for body in ({"ivs": {"throttle_rate": 2}}, {"s3": {}}, {"ivs": {"jitter": 1}}, {"seed": "x"}):
        assert admin(emulator, "PUT", "faults", body)[0] == 400, body
    assert admin(emulator, "GET", "faults")[1]["ivs"] == {
        "throttle_rate": 0.0,
        "error_rate": 0.0,
        "latency_ms": 200.0,
    }


# --- Protocol edges and the command line -----------------------------------------------


def test_unimplemented_operations_and_unsigned_requests_are_refused(emulator, ivs):
    assert error_of(ivs.list_playback_key_pairs)[:2] == ("UnknownOperationException", 400)
    status, body = http(f"{emulator}/ListChannels", "POST", {})
    assert (status, body["__type"]) == (403, "MissingAuthenticationTokenException")
    assert http(emulator, "GET")[0] == 400  # the chat endpoint, without a WebSocket upgrade


def test_stopping_the_server_closes_chat_clients(s3_endpoint):
    with ExitStack() as server:
        url = server.enter_context(serve_app(create_app(REGION, ACCOUNT, s3_endpoint)))
        client = aws("ivschat", url)
        token = chat_token(client, new_room(client))

        async def scenario() -> None:
            async with aiohttp.ClientSession() as session:
                ws = await session.ws_connect(ws_url(url), protocols=(token,))
                stopping = asyncio.create_task(asyncio.to_thread(server.close))
                message = await ws.receive(timeout=5)
                assert (message.type, message.data) == (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSCloseCode.GOING_AWAY,
                )
                await stopping

        asyncio.run(scenario())


def test_python_m_local_emulator_serves_on_the_given_port(s3_endpoint):
    port = free_port()
    command = [
        sys.executable, "-m", "local.emulator", "--port", str(port),
        "--s3-endpoint", s3_endpoint, "--events-endpoint", s3_endpoint,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                status, health = admin(f"http://127.0.0.1:{port}", "GET", "health")
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        assert status == 200
        assert (health["region"], health["account"]) == (REGION, ACCOUNT)
        assert "DetectModerationLabels" in health["services"]["rekognition"]
        assert "BatchGetChannel" in health["services"]["ivs"]
        events = admin(f"http://127.0.0.1:{port}", "GET", "state")[1]["events"]
        assert events == {"endpoint": s3_endpoint, "sent": 0, "failed": 0}
    finally:
        process.terminate()
        process.wait(timeout=10)
