"""The emulator's Amazon Comprehend DetectToxicContent, driven by boto3's own client.

The emulator runs on a free local port; boto3's ``comprehend`` client reaches it through
`endpoint_url`, as the stack's code reaches it through AWS_ENDPOINT_URL_COMPREHEND.
Scores are declared (admin /_emulator/toxicity) or come from the built-in insult list.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from local_servers import serve_app
from support import ACCOUNT, REGION

from local.emulator import create_app
from local.emulator.comprehend import ABUSIVE_WORDS, BASELINE_SCORE, LABEL_NAMES

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with serve_app(create_app(REGION, ACCOUNT, "http://127.0.0.1:9")) as url:
        yield url


def client(emulator: str, config: Config = NO_RETRIES):
    return boto3.client(
        "comprehend",
        endpoint_url=emulator,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


@pytest.fixture(scope="module")
def comprehend(emulator: str):
    return client(emulator)


@pytest.fixture(scope="module")
def unchecked(emulator: str):
    """A client that sends what botocore would refuse (an empty list, an empty text)."""
    return client(emulator, NO_RETRIES.merge(Config(parameter_validation=False)))


def admin(emulator: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{emulator}/_emulator/{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@pytest.fixture
def declarations(emulator: str) -> Iterator[None]:
    yield
    assert admin(emulator, "DELETE", "toxicity")[0] == 204
    assert admin(emulator, "DELETE", "faults")[0] == 204


def scores(comprehend, *texts: str) -> list[dict[str, float]]:
    response = comprehend.detect_toxic_content(
        TextSegments=[{"Text": text} for text in texts], LanguageCode="en"
    )
    return [
        {label["Name"]: label["Score"] for label in result["Labels"]}
        for result in response["ResultList"]
    ]


def error_of(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        str(response["Error"].get("Message", "")),
    )


def test_an_undeclared_text_has_all_seven_labels_with_low_scores(comprehend):
    # GIVEN a text nobody declared, WHEN it is checked
    response = comprehend.detect_toxic_content(
        TextSegments=[{"Text": "good game everyone"}, {"Text": "see you tomorrow"}],
        LanguageCode="en",
    )
    # THEN one result per segment, each with the seven labels in the model's enum
    assert len(response["ResultList"]) == 2
    for result in response["ResultList"]:
        assert [label["Name"] for label in result["Labels"]] == list(LABEL_NAMES)
        assert all(label["Score"] == BASELINE_SCORE for label in result["Labels"])
        assert result["Toxicity"] == BASELINE_SCORE


def test_declared_text_and_contains_rules_score_as_declared(emulator, comprehend, declarations):
    # GIVEN an exact text and a contained word declared
    status, _ = admin(
        emulator, "PUT", "toxicity", {"text": "you play like a bot", "labels": {"INSULT": 0.77}}
    )
    assert status == 200
    body = {"contains": "noob", "labels": {"HARASSMENT_OR_ABUSE": 0.88, "INSULT": 0.6}}
    assert admin(emulator, "PUT", "toxicity", body)[0] == 200
    # WHEN texts with them (and one with the word inside another word) are checked
    exact, contained, inside = scores(
        comprehend, "you play like a bot", "total NOOB!", "snoobish is fine"
    )
    # THEN the declarations answer; undeclared labels keep the baseline; whole words only
    assert exact["INSULT"] == 0.77 and exact["SEXUAL"] == BASELINE_SCORE
    assert contained["HARASSMENT_OR_ABUSE"] == 0.88 and contained["INSULT"] == 0.6
    assert max(inside.values()) == BASELINE_SCORE
    listed = admin(emulator, "GET", "toxicity")[1]
    assert listed["byText"] == {"you play like a bot": {"INSULT": 0.77}}
    assert listed["contains"] == {"noob": {"HARASSMENT_OR_ABUSE": 0.88, "INSULT": 0.6}}
    # AND a declaration can be forgotten
    query = urllib.parse.urlencode({"contains": "noob"})
    assert admin(emulator, "DELETE", f"toxicity?{query}")[0] == 204
    assert max(scores(comprehend, "total NOOB!")[0].values()) == BASELINE_SCORE


def test_the_built_in_insults_score_high_without_any_declaration(comprehend):
    # GIVEN no declaration, WHEN a built-in insult is sent (capitalised, with accents folded)
    [flagged] = scores(comprehend, "You are an IDIOT, really")
    # THEN it scores high on INSULT and PROFANITY, and every listed word does
    assert flagged["INSULT"] >= 0.9 and flagged["PROFANITY"] >= 0.8
    assert all(scores(comprehend, f"what a {word}")[0]["INSULT"] >= 0.9 for word in ABUSIVE_WORDS)


def test_an_exact_declaration_wins_over_the_built_in_words(emulator, comprehend, declarations):
    # GIVEN a text with a built-in insult declared clean
    assert admin(emulator, "PUT", "toxicity", {"text": "idiot proof", "labels": {}})[0] == 200
    # WHEN it is checked, THEN it is clean
    assert max(scores(comprehend, "idiot proof")[0].values()) == BASELINE_SCORE


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {"TextSegments": [{"Text": "hola"}], "LanguageCode": "es"},
            "UnsupportedLanguageException",
        ),
        ({"TextSegments": [{"Text": "hi"}] * 11, "LanguageCode": "en"}, "InvalidRequestException"),
        (
            {"TextSegments": [{"Text": "é" * 513}], "LanguageCode": "en"},
            "TextSizeLimitExceededException",
        ),
        ({"TextSegments": [], "LanguageCode": "en"}, "ValidationException"),
        ({"TextSegments": [{"Text": "hi"}], "LanguageCode": "xx"}, "ValidationException"),
    ],
)
def test_requests_comprehend_refuses(unchecked, kwargs, code):
    # GIVEN a request outside Comprehend's limits, WHEN it is sent, THEN its error answers, 400
    assert error_of(unchecked.detect_toxic_content, **kwargs)[:2] == (code, 400)


def test_ten_segments_of_1_kb_are_accepted(comprehend):
    # GIVEN ten segments of exactly 1,024 UTF-8 bytes (10 KB in all), THEN all are scored
    assert len(scores(comprehend, *["é" * 512] * 10)) == 10


def test_a_validation_error_does_not_echo_the_sensitive_text(unchecked):
    # GIVEN an empty segment (the model's min is 1 and Text is sensitive), WHEN it is sent
    code, _, message = error_of(
        unchecked.detect_toxic_content, TextSegments=[{"Text": ""}], LanguageCode="en"
    )
    # THEN the message redacts the value, as AWS does
    assert code == "ValidationException"
    assert "*** Sensitive Data Redacted ***" in message


def test_faults_throttle_and_fail_comprehend(emulator, comprehend, declarations):
    # GIVEN Comprehend always throttled, THEN ThrottlingException
    assert admin(emulator, "PUT", "faults", {"comprehend": {"throttle_rate": 1}})[0] == 200
    call = {"TextSegments": [{"Text": "hi"}], "LanguageCode": "en"}
    assert error_of(comprehend.detect_toxic_content, **call)[:2] == ("ThrottlingException", 400)
    # AND always failing: InternalServerException, 500
    faults = {"comprehend": {"throttle_rate": 0, "error_rate": 1}}
    assert admin(emulator, "PUT", "faults", faults)[0] == 200
    assert error_of(comprehend.detect_toxic_content, **call)[:2] == ("InternalServerException", 500)


def test_health_lists_comprehend_and_the_call_log_records_its_calls(emulator, comprehend):
    # GIVEN a call, WHEN health and the call log are read
    scores(comprehend, "logged text")
    services = admin(emulator, "GET", "health")[1]["services"]
    calls = admin(emulator, "GET", "calls?service=comprehend&operation=DetectToxicContent")[1]
    # THEN Comprehend is served and the call is there with its parameters
    assert services["comprehend"] == ["DetectToxicContent"]
    assert calls["calls"][-1]["params"]["TextSegments"] == [{"Text": "logged text"}]
    assert calls["calls"][-1]["outcome"] == "ok"


@pytest.mark.parametrize(
    "body",
    [
        {"labels": {"INSULT": 0.5}},
        {"text": "a", "contains": "b", "labels": {}},
        {"text": "", "labels": {}},
        {"text": "a", "labels": {"RUDE": 0.5}},
        {"text": "a", "labels": {"INSULT": 91}},
        {"text": "a", "labels": [{"Name": "INSULT", "Score": 0.5}]},
    ],
)
def test_toxicity_declarations_are_checked(emulator, body):
    # GIVEN a malformed declaration, WHEN it is put, THEN it is refused with a message
    status, answer = admin(emulator, "PUT", "toxicity", body)
    assert status == 400 and answer["message"]
