"""Any event that matches the thumbnail rule ends recorded or ignored, never in an exception.

Events are generated to match the app's own EventBridge pattern (source, detail-type, the
recording bucket, a `.jpg` key). EventBridge always writes the envelope (`version`, `id`,
`account`, `time`, `region`, `resources`: `aws.*` sources cannot be forged with PutEvents),
and Chalice reads it before the handler runs; everything S3 puts in `detail` is hostile
here: missing or mistyped fields and keys that almost look like IVS's (anyone who may write
to the bucket chooses the key). No object exists, so a well-formed IVS key ends as an
`unscannable` decision (NoSuchKey) and anything else as ignored.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ACCOUNT, BUCKET, CHANNEL_ID, REGION, decisions

HANDLER = "moderate_thumbnail"

texts = st.text(max_size=60)
junk = st.one_of(st.none(), st.integers(), st.booleans(), texts, st.lists(texts, max_size=2))
ivs_keys = st.builds(
    lambda rec, seq, y, m: (
        f"ivs/v1/{ACCOUNT}/{CHANNEL_ID}/{y}/{m}/21/9/58/{rec}/media/thumbnails/thumb{seq}.jpg"
    ),
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["2026", "0000", "9999", "٢٠٢٦"]),
    st.sampled_from(["11", "13", "0", "1"]),
)
odd_keys = st.one_of(
    ivs_keys,
    ivs_keys.map(lambda key: key + "\n.jpg"),
    texts.map(lambda text: f"ivs/v1/{text}.jpg"),
    texts.map(lambda text: text + ".jpg"),
)
times = st.one_of(
    st.just("2026-11-21T10:00:12Z"),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]),
)


@st.composite
def matching_events(draw) -> dict:
    obj = {"key": draw(odd_keys)}
    for name in ("etag", "sequencer", "version-id", "size"):
        if draw(st.booleans()):
            obj[name] = draw(junk)
    detail = {"bucket": {"name": BUCKET}, "object": obj}
    for name in ("reason", "requester", "request-id"):
        if draw(st.booleans()):
            detail[name] = draw(junk)
    return {
        "version": "0",
        "id": draw(st.uuids()).hex,
        "source": "aws.s3",
        "detail-type": "Object Created",
        "account": ACCOUNT,
        "time": draw(times),
        "region": REGION,
        "resources": [f"arn:aws:s3:::{BUCKET}"],
        "detail": detail,
    }


@pytest.mark.parametrize("seed", [0])
@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(event=matching_events())
def test_any_matching_event_is_recorded_or_ignored(client, event, seed):
    before = len(decisions())

    result = client.lambda_.invoke(HANDLER, event).payload  # raises if the handler did

    assert result["decision"] in ("ignored", "unscannable", "duplicate-in-progress")
    recorded = len(decisions()) - before
    assert recorded == (1 if result["decision"] == "unscannable" else 0) or (
        result["decision"] == "unscannable" and recorded == 0  # a duplicate: answered again
    )
