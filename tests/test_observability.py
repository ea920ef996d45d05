"""What devops read: JSON logs with the event id and channel, and CloudWatch EMF metrics."""

from __future__ import annotations

import io
import json

import pytest
from support import CHANNEL_ARN, VIOLENCE, object_created, thumbnail_key, written


@pytest.fixture
def logs(app_module, monkeypatch) -> io.StringIO:
    """What the Powertools logger writes (its handler holds the stdout of import time)."""
    buffer = io.StringIO()
    monkeypatch.setattr(app_module.logger.registered_handler, "stream", buffer)
    return buffer


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_moderated_frame_logs_json_with_event_and_channel_and_emits_metrics(
    client, rekognition, ivschat, logs, capsys
):
    event = written(thumbnail_key(12), event_id="0f4bd6a3-11a5-4b8e-9c1e-5b7f0c3f2f10")
    rekognition.add_response("detect_moderation_labels", VIOLENCE)
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    client.lambda_.invoke("moderate_thumbnail", event)

    out = json_lines(logs.getvalue())
    [moderated] = [line for line in out if line.get("message") == "frame moderated"]
    assert moderated["level"] == "INFO"
    assert moderated["service"] == "ivs-moderation"
    assert moderated["event_id"] == event["id"]
    assert moderated["channel"] == CHANNEL_ARN
    assert moderated["decision"] == "alert"
    assert moderated["delivery"] == "delivered"

    [emf] = [line for line in json_lines(capsys.readouterr().out) if "_aws" in line]
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "IvsModeration"
    names = {metric["Name"] for metric in directive["Metrics"]}
    assert {"FramesModerated", "FramesFlagged", "RekognitionLatency"} <= names
    assert emf["FramesModerated"] == [1.0]
    assert emf["FramesFlagged"] == [1.0]
    assert emf["RekognitionLatency"][0] >= 0


def test_an_ignored_key_is_logged_with_its_reason_and_counted(client, logs, capsys):
    client.lambda_.invoke("moderate_thumbnail", object_created("uploads/avatar.jpg"))

    out = json_lines(logs.getvalue())
    assert all(line["event_id"] for line in out)
    [ignored] = [line for line in out if line.get("message", "").startswith("ignored")]
    assert ignored["key"] == "uploads/avatar.jpg"
    assert "channel" not in ignored  # no channel: the key is not an IVS thumbnail
    [emf] = [line for line in json_lines(capsys.readouterr().out) if "_aws" in line]
    assert emf["ObjectsIgnored"] == [1.0]
