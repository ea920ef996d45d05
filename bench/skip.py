"""Frame skipping on real photographs: violating frames missed, Rekognition calls saved.

Scenes of local/footage.py — a static camera, a "be right back" slide, a talking head — at
640x360 and 1280x720, every frame jittered, flickering, noisy and JPEG-compressed. Only the
**held-out** photographs are used here (astronaut, rocket, chelsea as scenes; crops of
those and of retina, moon, brick, gravel, clock as objects), with seeds from 20000: the
change test's threshold was chosen on other photographs and seeds (`TUNING`, 1000-1039 and
5000-5029), so these figures are not fitted to.

Both measures go through the production `FrameSkipper` (chalicelib/frames/skipping.py) on the
benchmark's fake DynamoDB, so the reference item, its binary signature and the policy are
the real ones: the reference is the channel's last analysed frame, reused for at most
30 s, never after a flagged frame.

- **Missed**: per trial, a clean frame is analysed (the reference); 5 to 30 s later a frame
  of the same scene shows a foreign object (a crop of another photograph, 0.5% to 20% of
  the frame, at a random place) for that one frame. It is missed when the skipper reuses the
  clean decision instead of sending it to Rekognition.
- **Calls saved**: a stream of clean frames, 5 s apart; the share that reused a decision.
  With the 30 s bound at most 6 frames in 7 can be saved (85.7%).

The previous whole-frame dHash (64 bits, at most 4 apart) is measured on the same frames
beside ours, as the baseline.
"""

from __future__ import annotations

import argparse
import io
import random
from datetime import UTC, datetime, timedelta

from bench.fakes import Calls, FakeDynamoDB
from chalicelib.decisions.store import DecisionStore
from chalicelib.frames.change import THRESHOLD, compare
from chalicelib.frames.skipping import FrameSkipper
from chalicelib.rules.policy import CLEAN
from local.footage import HELD_OUT, KINDS, OBJECT_SHARES, SIZES, ForeignObject, Scene

INTERVAL_SECONDS = 5
MAX_AGE_SECONDS = 30
SEED = 20000
CHANNEL = "arn:aws:ivs:us-west-2:123456789012:channel/BenchSkip001"
START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SAVINGS_TARGET = {"static": 0.7, "slide": 0.7}  # the talking head is reported as measured


class _Metrics:
    def add_metric(self, **_) -> None:
        pass


def _skipper() -> FrameSkipper:
    store = DecisionStore(FakeDynamoDB(Calls()), "bench-decisions")
    return FrameSkipper(store, enabled=True, max_age_seconds=MAX_AGE_SECONDS, metrics=_Metrics())


class _Dhash:
    """The previous near-duplicate test, as the baseline: a 64-bit difference hash of the
    frame shrunk to 9x8 grey pixels; at most 4 bits apart is a near-duplicate."""

    @staticmethod
    def of(image: bytes) -> int:
        from PIL import Image

        with Image.open(io.BytesIO(image)) as picture:
            picture.draft("L", (160, 90))
            pixels = picture.convert("L").resize((9, 8), Image.Resampling.BILINEAR).tobytes()
        value = 0
        for row in range(8):
            for column in range(8):
                value = (value << 1) | (pixels[row * 9 + column] > pixels[row * 9 + column + 1])
        return value

    @staticmethod
    def same(a: int, b: int) -> bool:
        return (a ^ b).bit_count() <= 4


def _at(n: int) -> datetime:
    return START + timedelta(seconds=n * INTERVAL_SECONDS)


def missed(kind: str, size: tuple[int, int], trials: int) -> dict:
    """Violating frames judged unchanged, per object share, ours and the baseline's."""
    ours = dict.fromkeys(OBJECT_SHARES, 0)
    baseline = dict.fromkeys(OBJECT_SHARES, 0)
    lowest = dict.fromkeys(OBJECT_SHARES, float("inf"))
    redraws = 0
    for trial in range(trials):
        rng = random.Random(f"{SEED}/missed/{kind}/{size}/{trial}")
        photo = rng.choice(HELD_OUT["scenes"])
        scene = Scene(kind, photo, size, seed=SEED + trial)
        skipper = _skipper()
        reference = scene.frame(0)
        reference_print = skipper.fingerprint(reference)
        skipper.remember(
            CHANNEL,
            reference_print,
            decision_id=f"ref{trial}",
            frame_time=_at(0),
            decision=CLEAN,
            now=_at(0),
        )
        reference_hash = _Dhash.of(reference)
        n = rng.randint(1, MAX_AGE_SECONDS // INTERVAL_SECONDS)
        for share in OBJECT_SHARES:
            source = rng.choice([name for name in HELD_OUT["objects"] if name != photo])
            obj = ForeignObject(source, share, rng.getrandbits(32))
            redraws += scene.place(obj, n).redraws
            frame = scene.frame(n, obj)
            fingerprint = skipper.fingerprint(frame)
            if skipper.reuse(CHANNEL, fingerprint, _at(n)) is not None:
                ours[share] += 1
            score = compare(reference_print.signature, fingerprint.signature).score
            lowest[share] = min(lowest[share], score)
            baseline[share] += _Dhash.same(reference_hash, _Dhash.of(frame))
    return {
        "trials": trials,
        "ours": ours,
        "baseline": baseline,
        "lowest_score": lowest,
        "redraws": redraws,
    }


def saved(kind: str, size: tuple[int, int], frames: int) -> dict:
    """A clean stream through the skipper: the share of frames that reused a decision."""
    photo = random.Random(f"{SEED}/saved/{kind}/{size}").choice(HELD_OUT["scenes"])
    scene = Scene(kind, photo, size, seed=SEED + 500)
    skipper = _skipper()
    skipped = baseline_skipped = 0
    reference_hash, reference_at = None, None
    for n in range(frames):
        frame = scene.frame(n)
        fingerprint = skipper.fingerprint(frame)
        if skipper.reuse(CHANNEL, fingerprint, _at(n)) is not None:
            skipped += 1
        else:
            skipper.remember(
                CHANNEL, fingerprint, decision_id=f"f{n}", frame_time=_at(n), decision=CLEAN,
                now=_at(n),
            )  # fmt: skip
        frame_hash = _Dhash.of(frame)
        fresh = reference_at is not None and (n - reference_at) * INTERVAL_SECONDS <= 30
        if fresh and _Dhash.same(reference_hash, frame_hash):
            baseline_skipped += 1
        else:
            reference_hash, reference_at = frame_hash, n
    return {"photo": photo, "frames": frames, "ours": skipped, "baseline": baseline_skipped}


def _share(label: float) -> str:
    return f"{label * 100:g}%"


def measure(trials: int = 80, frames: int = 120) -> dict:
    rows, details, lines = [], {}, []
    header = " | ".join(f"missed at {_share(s)}" for s in OBJECT_SHARES)
    lines += [
        f"Frame skipping on held-out photographs: violating frames missed of {trials} per "
        f"cell (ours / previous dHash), and calls saved on a clean stream of {frames} frames",
        "",
        f"| Scene | Size | {header} | Calls saved (ours / dHash) |",
        "| --- | --- | " + " | ".join("---" for _ in OBJECT_SHARES) + " | --- |",
    ]
    for kind in KINDS:
        for size in SIZES:
            name = f"{kind} {size[0]}x{size[1]}"
            miss, save = missed(kind, size, trials), saved(kind, size, frames)
            details[name] = {"missed": miss, "saved": save}
            cells = [f"{miss['ours'][s]} / {miss['baseline'][s]}" for s in OBJECT_SHARES]
            ours_saved, base_saved = save["ours"] / frames, save["baseline"] / frames
            lines.append(
                f"| {kind} | {size[0]}x{size[1]} | {' | '.join(cells)} | "
                f"{ours_saved:.1%} / {base_saved:.1%} |"
            )
            safe = all(miss["ours"][s] == 0 for s in OBJECT_SHARES if s >= 0.01)
            rows.append(
                {
                    "benchmark": f"Violating frames missed, objects ≥ 1%, {name}",
                    "metric": "missed",
                    "value": sum(miss["ours"][s] for s in OBJECT_SHARES if s >= 0.01),
                    "unit": f"of {trials * sum(s >= 0.01 for s in OBJECT_SHARES)}",
                    "baseline": sum(miss["baseline"][s] for s in OBJECT_SHARES if s >= 0.01),
                    "baseline_name": "dHash",
                    "ratio": None,
                    "target": "0",
                    "met": safe,
                }
            )
            target = SAVINGS_TARGET.get(kind)
            rows.append(
                {
                    "benchmark": f"Rekognition calls saved on clean frames, {name}",
                    "metric": "saved",
                    "value": round(ours_saved * 100, 1),
                    "unit": "%",
                    "baseline": round(base_saved * 100, 1),
                    "baseline_name": "dHash",
                    "ratio": None,
                    "target": f"≥ {target:.0%}" if target else None,
                    "met": (ours_saved >= target) if target else None,
                }
            )
    redraws = sum(d["missed"]["redraws"] for d in details.values())
    lowest = {
        s: min(d["missed"]["lowest_score"][s] for d in details.values()) for s in OBJECT_SHARES
    }
    lines += [
        "",
        f"Lowest change score of a violating frame (the frame has changed from {THRESHOLD:g}): "
        + ", ".join(f"{_share(s)}: {lowest[s]:g}" for s in OBJECT_SHARES)
        + ".",
        f"Near-invisible object placements drawn again (local/footage.py, VISIBLE): {redraws} "
        f"of {redraws + trials * len(OBJECT_SHARES) * len(details)} draws.",
    ]
    return {"rows": rows, "skip": details, "markdown": "\n".join(lines)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials, for a quick look")
    args = parser.parse_args()
    result = measure(*((15, 40) if args.quick else (80, 120)))
    print(result["markdown"])


if __name__ == "__main__":
    main()
