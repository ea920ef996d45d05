"""AWS calls and cost per 1000 frames on replayed streams, ours against the reference design.

Each scene of bench/scenes.py (real photographs; one channel, a thumbnail every 5 s) goes
through the production handler and through the reference port, both on zero-latency fakes
that count every call. A violating frame is missed when our decision for it is not an alert.
"""

from __future__ import annotations

import hashlib

from bench import reference
from bench.fakes import NO_LABELS, FakeAws
from bench.harness import ROOM, Ours, object_created, thumbnail_key, write
from bench.scenes import SCENES, SIZE, frames
from local.footage import ForeignObject, Scene

INTERVAL_SECONDS = 5
VIOLENCE = {
    "ModerationLabels": [
        {"Name": "Violence", "ParentName": "", "TaxonomyLevel": 1, "Confidence": 96.0},
        {"Name": "Weapons", "ParentName": "Violence", "TaxonomyLevel": 2, "Confidence": 96.0},
    ],
    "ModerationModelVersion": "7.0",
}


def labeller(keys: list[str], stream: list[tuple[bytes, bool]]):
    """The fake Rekognition's answer for a frame of `stream` written at `keys`, whether
    asked by S3 reference (the reference port) or with the bytes (ours)."""
    truth_by_key = {key: violating for key, (_, violating) in zip(keys, stream, strict=True)}
    truth_by_hash = {hashlib.sha256(image).hexdigest(): violating for image, violating in stream}

    def labels_for(image: dict) -> dict:
        if "Bytes" in image:
            violating = truth_by_hash[hashlib.sha256(image["Bytes"]).hexdigest()]
        else:
            violating = truth_by_key[image["S3Object"]["Name"]]
        return VIOLENCE if violating else NO_LABELS

    return labels_for


def replay(scene: str, stream: tuple[tuple[bytes, bool], ...] | None = None) -> dict:
    stream = stream if stream is not None else frames(scene)
    keys = [
        thumbnail_key("Bench" + scene[:6].title().replace(" ", ""), n) for n in range(len(stream))
    ]
    events = [object_created(key, n * INTERVAL_SECONDS) for n, key in enumerate(keys)]

    ours_aws = FakeAws(labeller(keys, stream))
    ours = Ours(ours_aws)
    missed = 0
    for event, key, (image, violating) in zip(events, keys, stream, strict=True):
        write(ours_aws, key, image)
        decision = ours.handle(event)["decision"]
        missed += violating and decision not in ("alert", "auto-stop")

    ref_aws = FakeAws(labeller(keys, stream))
    for event in events:
        reference.handle(event, ref_aws.client("rekognition"), ref_aws.client("ivschat"), ROOM)

    n = len(stream)
    return {
        "frames": n,
        "violating": sum(v for _, v in stream),
        "missed": missed,
        "ours": dict(ours_aws.calls),
        "reference": dict(ref_aws.calls),
        "ours_cost_per_1000": ours_aws.calls.cost_per_1000(n),
        "reference_cost_per_1000": ref_aws.calls.cost_per_1000(n),
    }


# A violation that lasts: the same object in view for two minutes (24 thumbnails 5 s apart).
SUSTAINED_FRAMES = range(20, 44)
SUSTAINED_MINUTES = len(SUSTAINED_FRAMES) * INTERVAL_SECONDS / 60
UPDATE_SECONDS = 30  # INCIDENT_UPDATE_SECONDS' default


def sustained() -> tuple[tuple[bytes, bool], ...]:
    """A static camera with one violation in view for two minutes, clean before and after."""
    footage = Scene("static", "rocket", SIZE, seed=47)
    thing = ForeignObject("moon", 0.05, seed=47)
    return tuple(
        (footage.frame(n, thing if n in SUSTAINED_FRAMES else None), n in SUSTAINED_FRAMES)
        for n in range(60)
    )


def chat_events_per_violating_minute() -> list[dict]:
    """Events the room hears while one violation lasts two minutes, ours and the reference's.
    Target: one when the incident opens plus at most one update per 30 s."""
    result = replay("sustained violation", sustained())
    ours = result["ours"].get("ivschat:SendEvent", 0)  # clean frames send nothing
    # The reference sends one event for every frame: those of the violating ones.
    ref = result["reference"].get("ivschat:SendEvent", 0) * result["violating"] / result["frames"]
    allowed = 1 + int(SUSTAINED_MINUTES * 60 // UPDATE_SECONDS)
    return [
        {
            "benchmark": "Chat events per violating minute (one 2-minute violation)",
            "metric": "SendEvent",
            "value": round(ours / SUSTAINED_MINUTES, 1),
            "unit": "events/min",
            "baseline": round(ref / SUSTAINED_MINUTES, 1),
            "baseline_name": "reference",
            "ratio": round(ours / ref, 3) if ref else None,
            "target": f"≤ {allowed} in 2 min (open + one per 30 s)",
            "met": ours <= allowed and result["missed"] == 0,
        }
    ]


def measure() -> dict:
    rows, details = chat_events_per_violating_minute(), {}
    for scene in SCENES:
        result = details[scene] = replay(scene)
        n = result["frames"]
        ours = result["ours"].get("rekognition:DetectModerationLabels", 0)
        ref = result["reference"]["rekognition:DetectModerationLabels"]
        saving = 1 - ours / ref
        target = "≥ 50% fewer" if scene in ("static camera", "talking head") else None
        rows += [
            {
                "benchmark": f"Rekognition calls per 1000 frames, {scene}",
                "metric": "calls",
                "value": round(ours * 1000 / n),
                "unit": "calls",
                "baseline": round(ref * 1000 / n),
                "baseline_name": "reference",
                "ratio": round(ours / ref, 3),
                "target": target,
                "met": (saving >= 0.5) if target else None,
            },
            {
                "benchmark": f"Chat events per 1000 frames, {scene}",
                "metric": "SendEvent",
                "value": round(result["ours"].get("ivschat:SendEvent", 0) * 1000 / n),
                "unit": "events",
                "baseline": round(result["reference"].get("ivschat:SendEvent", 0) * 1000 / n),
                "baseline_name": "reference",
                "ratio": None,
                "target": None,
                "met": None,
            },
            {
                "benchmark": f"AWS cost per 1000 frames, {scene}",
                "metric": "USD",
                "value": round(result["ours_cost_per_1000"], 4),
                "unit": "$",
                "baseline": round(result["reference_cost_per_1000"], 4),
                "baseline_name": "reference",
                "ratio": round(result["ours_cost_per_1000"] / result["reference_cost_per_1000"], 3),
                "target": None,
                "met": None,
            },
            {
                "benchmark": f"Violating frames missed, {scene}",
                "metric": "missed",
                "value": result["missed"],
                "unit": f"of {result['violating']}",
                "baseline": None,
                "baseline_name": None,
                "ratio": None,
                "target": "0",
                "met": result["missed"] == 0,
            },
        ]
    return {"rows": rows, "scenarios": details}
