"""Shared fixtures: moto for S3 and DynamoDB, Stubbers for what moto lacks, the app."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from chalice.test import Client
from moto import mock_aws
from support import BUCKET, REGION, TABLES, seed_channel

from local.resources import create_tables


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        create_tables(boto3.client("dynamodb"), TABLES)
        seed_channel()
        yield


@pytest.fixture
def app_module(aws):
    import app
    from chalicelib import dependencies

    dependencies.reset()  # every lazily built dependency of the app
    yield app
    dependencies.reset()


@pytest.fixture
def client(app_module, tmp_path) -> Client:
    # A project dir without .chalice/config.json: the test's environment is the whole config.
    return Client(app_module.app, project_dir=str(tmp_path))


@pytest.fixture
def jwks(monkeypatch):
    """The user pool's keys (tests/tokens.py), served at the COGNITO_JWKS_URL the app reads."""
    from tokens import Jwks

    served = Jwks()
    threading.Thread(target=served.server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("COGNITO_JWKS_URL", served.url)
    yield served
    served.server.shutdown()


def _stubber(app_module, service: str) -> Iterator[Stubber]:
    stub = Stubber(app_module.aws_client(service))
    with stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def rekognition(app_module) -> Iterator[Stubber]:
    yield from _stubber(app_module, "rekognition")


@pytest.fixture
def ivschat(app_module) -> Iterator[Stubber]:
    yield from _stubber(app_module, "ivschat")


@pytest.fixture
def ivs(app_module) -> Iterator[Stubber]:
    yield from _stubber(app_module, "ivs")


@pytest.fixture
def sent_events(app_module) -> list[dict[str, str]]:
    """The attributes of every SendEvent the app makes (stubbed or not), in order."""
    sent: list[dict[str, str]] = []

    def capture(params, **kwargs) -> None:
        sent.append(params["attributes"])

    client = app_module.aws_client("ivschat")
    client.meta.events.register("before-parameter-build.ivschat.SendEvent", capture)
    yield sent
    client.meta.events.unregister("before-parameter-build.ivschat.SendEvent", capture)


@pytest.fixture(autouse=True)
def room_answers(request):
    """Tests that run the app without stubbing IVS chat get its SendEvent answered (a frame
    that cannot be moderated is told to the room); tests that use `ivschat` stub it
    themselves, call by call."""
    if "client" not in request.fixturenames or {"ivschat", "chat"} & set(request.fixturenames):
        yield
        return
    from botocore.awsrequest import AWSResponse

    client = request.getfixturevalue("app_module").aws_client("ivschat")

    def answer(model, **_):
        if model.name != "SendEvent":
            return None
        return AWSResponse("https://ivschat.invalid", 200, {}, None), {"id": "AnsweredEvnt"}

    client.meta.events.register_first("before-call.ivschat.SendEvent", answer)
    yield
    client.meta.events.unregister("before-call.ivschat.SendEvent", answer)
