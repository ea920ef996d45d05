"""The backtest's arithmetic (docs/policies.md, "Backtest"): what a draft policy would have
decided of each frame already in the decision log, beside what was decided.

A frame is recomputed from what its record kept — its labels and content types — with the
draft's compiled `Policy.evaluate`, the very code that decides live frames (the watchlist's
overlay of the draft when the record says the overlay applied). Frames whose record cannot
say (skipped near-duplicates, sampled, unscannable, failed, superseded writes, records
without labels) are counted apart and said so. Incidents and auto-stops are estimated the
same way on both sides: a channel's flagged frames of one recording form one incident, and
one recording is stopped at most once. `Tally` is the running state of one backtest, kept
between its requests (policies/backtest_run.py reads the pages).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.rules.policy import ALERT, AUTO_STOP, CLEAN, Label, Verdict

FLAGGED = (ALERT, AUTO_STOP)
DECIDED = (CLEAN, ALERT, AUTO_STOP)
# Why a frame cannot be recomputed, in the order the answer lists them.
NOT_RECOMPUTABLE = ("skipped", "sampled", "unscannable", "failed", "stale", "superseded")
MAX_EXAMPLES = 20
EXAMPLES_PER_FLIP = 5


class Evaluates(Protocol):
    def evaluate(self, labels: Iterable[Label], content_types: Iterable[Any] = ()) -> Verdict: ...


def recorded_labels(item: Mapping[str, Any]) -> tuple[Label, ...]:
    """The labels a frame's record kept (frames/record.py `label_item`), as Rekognition's."""
    return tuple(Label.from_item(label) for label in item.get("labels", []))


def recorded_content_types(item: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """The content types a frame's record kept, `{name, confidence}` (evaluate takes them)."""
    return tuple(item.get("contentTypes", []))


def why_not(item: Mapping[str, Any], *, needs_content_types: bool = False) -> str | None:
    """Why this frame's record cannot be recomputed (one of NOT_RECOMPUTABLE), or None."""
    decision = item.get("decision")
    if decision in ("sampled", "unscannable", "failed", "superseded"):
        return str(decision)
    if item.get("skipped"):
        return "skipped"
    labels = item.get("labels")
    if decision not in DECIDED or not isinstance(labels, list):
        return "stale"
    if needs_content_types and "contentTypes" not in item:
        return "stale"  # recorded before content types were kept: the draft's rules need them
    keys = ("name", "level", "confidence")
    if any(not isinstance(label, Mapping) or any(k not in label for k in keys) for label in labels):
        return "stale"
    return None


def draft_verdict(item: Mapping[str, Any], draft: Evaluates, watched: Evaluates) -> Verdict:
    """What the draft decides of a recomputable frame: the same evaluate as a live frame."""
    policy = watched if item.get("watchlisted") else draft
    return policy.evaluate(recorded_labels(item), recorded_content_types(item))


@dataclass
class ChannelTally:
    name: str = ""
    frames: int = 0
    flips: dict[str, int] = field(default_factory=dict)
    # recordings with a flagged frame, and with an auto-stop: ({current}, {draft})
    flagged: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))
    stopped: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()))


@dataclass
class Tally:
    """A backtest's counts so far."""

    frames: int = 0
    recomputed: int = 0
    not_recomputable: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(NOT_RECOMPUTABLE, 0)
    )
    flips: dict[str, int] = field(default_factory=dict)
    channels: dict[str, ChannelTally] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    watchlisted: int = 0

    def count(
        self,
        item: Mapping[str, Any],
        draft: Evaluates,
        watched: Evaluates,
        *,
        name: str = "",
        needs_content_types: bool = False,
    ) -> str | None:
        """Count one frame of the log; the draft's decision (None: not recomputable)."""
        channel = self.channels.setdefault(item["channelArn"], ChannelTally(name))
        self.frames += 1
        channel.frames += 1
        before = item.get("decision", "")
        reason = why_not(item, needs_content_types=needs_content_types)
        verdict = None
        if reason is not None:
            self.not_recomputable[reason] += 1
            after = before  # what it was decided stands on both sides
        else:
            verdict = draft_verdict(item, draft, watched)
            after = verdict.decision
            self.recomputed += 1
            self.watchlisted += bool(item.get("watchlisted"))
        recording = str(item.get("recordingId", ""))
        for side, decision in enumerate((before, after)):
            if decision in FLAGGED:
                channel.flagged[side].add(recording)
            if decision == AUTO_STOP:
                channel.stopped[side].add(recording)
        if verdict is not None and after != before:
            flip = f"{before}->{after}"
            self.flips[flip] = self.flips.get(flip, 0) + 1
            channel.flips[flip] = channel.flips.get(flip, 0) + 1
            self._example(item, before, verdict, flip)
        return None if verdict is None else after

    def _example(self, item: Mapping[str, Any], before: str, verdict: Verdict, flip: str) -> None:
        same = sum(1 for example in self.examples if example["flip"] == flip)
        if len(self.examples) >= MAX_EXAMPLES or same >= EXAMPLES_PER_FLIP:
            return
        top = verdict.top_label
        label = top.name if top is not None else item.get("topLabel", "")
        confidence = top.confidence if top is not None else item.get("topConfidence")
        self.examples.append(
            {
                "decisionId": item.get("decisionId", ""),
                "channelArn": item["channelArn"],
                "frameTime": item.get("frameTime", ""),
                "before": before,
                "after": verdict.decision,
                "label": label,
                "confidence": None if confidence is None else round(float(confidence), 2),
                "flip": flip,
            }
        )

    def answer(self) -> dict[str, Any]:
        """The counts as the answer shows them (docs/policies.md)."""
        return {
            "frames": self.frames,
            "recomputed": self.recomputed,
            "notRecomputable": dict(self.not_recomputable),
            "flips": dict(sorted(self.flips.items())),
            "byChannel": [
                {
                    "channelArn": arn,
                    "name": channel.name,
                    "frames": channel.frames,
                    "flips": dict(sorted(channel.flips.items())),
                    "incidents": _sides(channel.flagged),
                    "autoStops": _sides(channel.stopped),
                }
                for arn, channel in sorted(self.channels.items(), key=lambda c: (c[1].name, c[0]))
            ],
            "examples": [dict(example) for example in self.examples],
        }

    # --- kept between the requests of one backtest ------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "recomputed": self.recomputed,
            "notRecomputable": dict(self.not_recomputable),
            "flips": dict(self.flips),
            "watchlisted": self.watchlisted,
            "examples": list(self.examples),
            "channels": {
                arn: {
                    "name": c.name,
                    "frames": c.frames,
                    "flips": dict(c.flips),
                    "flagged": [sorted(s) for s in c.flagged],
                    "stopped": [sorted(s) for s in c.stopped],
                }
                for arn, c in self.channels.items()
            },
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Tally:
        tally = cls(
            frames=int(state["frames"]),
            recomputed=int(state["recomputed"]),
            not_recomputable={k: int(state["notRecomputable"].get(k, 0)) for k in NOT_RECOMPUTABLE},
            flips={k: int(v) for k, v in state["flips"].items()},
            examples=[dict(example) for example in state["examples"]],
            watchlisted=int(state.get("watchlisted", 0)),
        )
        for arn, c in state["channels"].items():
            tally.channels[arn] = ChannelTally(
                name=c["name"],
                frames=int(c["frames"]),
                flips={k: int(v) for k, v in c["flips"].items()},
                flagged=(set(c["flagged"][0]), set(c["flagged"][1])),
                stopped=(set(c["stopped"][0]), set(c["stopped"][1])),
            )
        return tally


def _sides(recordings: tuple[set[str], set[str]]) -> dict[str, int]:
    return {"current": len(recordings[0]), "draft": len(recordings[1])}


def honesty(tally: Tally, *, min_confidence: float, lowest_threshold: float | None) -> list[str]:
    """What the backtest could not know, in words (docs/policies.md)."""
    lines = []
    n = tally.not_recomputable
    said = {
        "skipped": "were skipped as near-duplicates: they reuse the decision of a frame analysed "
        "before them (clean), so the draft is not applied to them; it is counted as it was",
        "sampled": "were sampled (not analysed): there are no labels to apply the draft to",
        "unscannable": "could not be scanned by Rekognition: the draft cannot judge them either",
        "failed": "failed to be moderated: no labels were recorded for them",
        "stale": "were recorded without the labels (or content types) the draft needs: "
        "counted as they were decided",
        "superseded": "were overwritten before they were read: the frame that replaced each is "
        "counted in its place",
    }
    for reason in NOT_RECOMPUTABLE:
        if n[reason]:
            words = said[reason] if n[reason] != 1 else said[reason].replace("were ", "was ", 1)
            lines.append(f"{_frames(n[reason])} {words}.")
    if lowest_threshold is not None and lowest_threshold < min_confidence:
        lines.append(
            f"Labels under {min_confidence:g}% are not recorded (MIN_CONFIDENCE): the draft's "
            f"threshold of {lowest_threshold:g} is judged only on labels of {min_confidence:g}% "
            "and more."
        )
    if tally.watchlisted:
        lines.append(
            f"{_frames(tally.watchlisted)} {'was' if tally.watchlisted == 1 else 'were'} decided "
            "under the watchlist: the watchlist policy is laid over the draft for them, as it "
            "would be live."
        )
    if tally.frames:
        lines.append(
            "Incidents and auto-stops are estimated per recording (a channel's flagged frames of "
            "one recording form one incident; a stop ends the recording), the same way on both "
            "sides, without moderators' resolutions or quiet times after a dismissal."
        )
    return lines


def _frames(n: int) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"
