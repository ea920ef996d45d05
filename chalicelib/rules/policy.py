"""The moderation policy: which labels alert the moderators and which stop a stream.

Thresholds are per top-level (L1) category of the v7 taxonomy; every label counts
for its L1 category, so ``Weapon Violence`` at 91% counts as ``Violence`` at 91%.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from chalicelib.rules.taxonomy import TOP_LEVEL, top_level_category

CLEAN = "clean"
ALERT = "alert"
AUTO_STOP = "auto-stop"
UNSCANNABLE = "unscannable"

ANY_CATEGORY = "*"


@dataclass(frozen=True)
class Label:
    """One label of a DetectModerationLabels answer."""

    name: str
    parent: str
    level: int
    confidence: float

    @property
    def category(self) -> str:
        return top_level_category(self.name, self.parent)


@dataclass(frozen=True)
class Thresholds:
    """Confidence (0-100) at which a category triggers; ``*`` applies to unlisted ones."""

    by_category: Mapping[str, float] = field(default_factory=dict)

    def for_category(self, category: str) -> float | None:
        return self.by_category.get(category, self.by_category.get(ANY_CATEGORY))

    def __bool__(self) -> bool:
        return bool(self.by_category)


@dataclass(frozen=True)
class Verdict:
    decision: str  # CLEAN, ALERT or AUTO_STOP
    top_label: Label | None  # the strongest label that counted, None when clean
    # The strongest label of each category that triggered, strongest first.
    by_category: tuple[Label, ...] = ()

    @property
    def flagged_categories(self) -> tuple[str, ...]:
        return tuple(label.category for label in self.by_category)


@dataclass(frozen=True)
class Policy:
    alert: Thresholds = field(default_factory=lambda: Thresholds({ANY_CATEGORY: 80.0}))
    auto_stop: Thresholds = field(default_factory=Thresholds)  # empty: never stops a stream
    ignored: frozenset[str] = frozenset()

    def evaluate(self, labels: Iterable[Label]) -> Verdict:
        """Decide what a frame with these labels calls for."""
        counted = [label for label in labels if label.category not in self.ignored]
        stopping = [label for label in counted if _meets(label, self.auto_stop)]
        alerting = [label for label in counted if _meets(label, self.alert)]
        if stopping:
            decision, reasons = AUTO_STOP, stopping
        elif alerting:
            decision, reasons = ALERT, alerting
        else:
            return Verdict(CLEAN, None)
        # The strongest label wins; on a tie the more specific (deeper) one says more.
        strength = lambda label: (label.confidence, label.level)  # noqa: E731
        top = max(reasons, key=strength)
        strongest: dict[str, Label] = {}  # over every label that met a threshold
        for label in sorted({*stopping, *alerting}, key=strength, reverse=True):
            strongest.setdefault(label.category, label)
        return Verdict(decision, top, tuple(strongest.values()))


def _meets(label: Label, thresholds: Thresholds) -> bool:
    threshold = thresholds.for_category(label.category)
    return threshold is not None and label.confidence >= threshold


class PolicyError(ValueError):
    pass


def parse_thresholds(text: str) -> Thresholds:
    """Parse ``"*=80; Explicit=60; Violence=90"`` (``;`` or newline separated)."""
    by_category: dict[str, float] = {}
    for entry in _entries(text):
        category, sep, value = entry.partition("=")
        category = category.strip()
        if not sep:
            raise PolicyError(f"{entry!r} is not CATEGORY=CONFIDENCE")
        _check_category(category, allow_any=True)
        try:
            confidence = float(value)
        except ValueError:
            raise PolicyError(f"{category}: {value.strip()!r} is not a number") from None
        if not 0 <= confidence <= 100:
            raise PolicyError(f"{category}: confidence {confidence:g} is outside 0-100")
        if category in by_category:
            raise PolicyError(f"{category} is given twice")
        by_category[category] = confidence
    return Thresholds(by_category)


def parse_categories(text: str) -> frozenset[str]:
    """Parse ``"Alcohol; Swimwear or Underwear"``."""
    categories = frozenset(_entries(text))
    for category in categories:
        _check_category(category, allow_any=False)
    return categories


def _entries(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ";").split(";") if part.strip()]


def _check_category(category: str, *, allow_any: bool) -> None:
    if category in TOP_LEVEL or (allow_any and category == ANY_CATEGORY):
        return
    known = ", ".join(TOP_LEVEL)
    raise PolicyError(f"unknown category {category!r}; the v7 top-level categories are: {known}")
