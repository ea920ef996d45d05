"""The moderation policy: which labels alert the moderators and which stop a stream.

Thresholds and ignored categories may name a category at any level of the v7 taxonomy (L1
``Violence``, L2 ``Graphic Violence``, L3 ``Weapon Violence``) or ``*`` (every category not
listed). A label is decided by the rule of the most specific category on its path (the label,
its parent, ..., its L1 category, then ``*``). A label is *covered*, and does not decide on its
own, when a label below it in the same answer is decided by a rule set deeper than its own (an
ignored category counts as a rule at its level): with ``Weapons=60; Violence=90`` the
``Violence`` 92 that Rekognition returns beside ``Weapons`` 92 is decided as ``Weapons``. With
L1 rules only, every label counts for its L1 category, as it always did (docs/policies.md).

Content types (``Animated``, ``Illustrated``) may lay their own rules over the policy's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from chalicelib.rules.taxonomy import CATEGORIES, TOP_LEVEL, category_path, top_level_category

CLEAN = "clean"
ALERT = "alert"
AUTO_STOP = "auto-stop"
UNSCANNABLE = "unscannable"

ANY_CATEGORY = "*"
CONTENT_TYPE_CONFIDENCE = 50.0  # a content type counts from this confidence on


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

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Label:
        """A label as the decision log keeps it (`{name, parent, level, confidence}`)."""
        return cls(
            item["name"], item.get("parent", ""), int(item["level"]), float(item["confidence"])
        )

    @property
    def path(self) -> tuple[str, ...]:
        """The label and its categories, most specific first (taxonomy.category_path)."""
        return category_path(self.name, self.parent)


class ContentKind(Protocol):
    """What kind of picture a frame is (core.detection.ContentType has this shape)."""

    @property
    def name(self) -> str: ...

    @property
    def confidence(self) -> float: ...


@dataclass(frozen=True)
class Thresholds:
    """Confidence (0-100) at which a category triggers; ``*`` applies to unlisted ones."""

    by_category: Mapping[str, float] = field(default_factory=dict)

    def for_category(self, category: str) -> float | None:
        return self.by_category.get(category, self.by_category.get(ANY_CATEGORY))

    def rule(self, path: tuple[str, ...]) -> tuple[float, int] | None:
        """The threshold of the most specific category on `path` and the depth it is set at
        (its level; 0 for ``*``), or None when no rule applies."""
        for index, category in enumerate(path):
            if category in self.by_category:
                return self.by_category[category], len(path) - index
        if ANY_CATEGORY in self.by_category:
            return self.by_category[ANY_CATEGORY], 0
        return None

    def __bool__(self) -> bool:
        return bool(self.by_category)


@dataclass(frozen=True)
class Overlay:
    """A content type's rules: each category listed replaces the policy's; ignored adds."""

    alert: Thresholds = field(default_factory=Thresholds)
    auto_stop: Thresholds = field(default_factory=Thresholds)
    ignored: frozenset[str] = frozenset()


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
    content_types: Mapping[str, Overlay] = field(default_factory=dict)  # name -> its rules

    def for_content(
        self, content_types: Iterable[ContentKind | tuple[str, float] | Mapping[str, Any]] = ()
    ) -> Policy:
        """This policy with the overlays of the frame's content types (confidence >= 50) laid
        over it; where two set the same category, the lower (stricter) confidence wins."""
        names = sorted(
            {
                name
                for name, confidence in map(_kind, content_types)
                if confidence >= CONTENT_TYPE_CONFIDENCE and name in self.content_types
            }
        )
        if not names:
            return self
        layers = [self.content_types[name] for name in names]
        return replace(
            self,
            alert=_laid_over(self.alert, [layer.alert for layer in layers]),
            auto_stop=_laid_over(self.auto_stop, [layer.auto_stop for layer in layers]),
            ignored=self.ignored.union(*(layer.ignored for layer in layers)),
            content_types={},
        )

    def evaluate(
        self,
        labels: Iterable[Label],
        content_types: Iterable[ContentKind | tuple[str, float] | Mapping[str, Any]] = (),
    ) -> Verdict:
        """Decide what a frame with these labels (and content types) calls for."""
        policy = self.for_content(content_types)
        answer = list(labels)
        counted = [label for label in answer if not policy._ignored_at(label.path)]
        stopping = policy._triggered(counted, answer, policy.auto_stop)
        alerting = policy._triggered(counted, answer, policy.alert)
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

    def _ignored_at(self, path: tuple[str, ...]) -> int:
        """The level of the deepest ignored category on `path`; 0 when none is ignored."""
        return max((len(path) - i for i, c in enumerate(path) if c in self.ignored), default=0)

    def _triggered(
        self, counted: list[Label], answer: list[Label], thresholds: Thresholds
    ) -> list[Label]:
        """The counted labels that meet their own rule and are not covered by one below."""
        met = []
        for label in counted:
            rule = thresholds.rule(label.path)
            if (
                rule is not None
                and label.confidence >= rule[0]
                and not self._covered(label, rule[1], answer, thresholds)
            ):
                met.append(label)
        return met

    def _covered(
        self, label: Label, depth: int, answer: list[Label], thresholds: Thresholds
    ) -> bool:
        for other in answer:
            path = other.path
            if label.name not in path[1:]:
                continue  # not below this label
            rule = thresholds.rule(path)
            if self._ignored_at(path) > depth or (rule is not None and rule[1] > depth):
                return True
        return False


def _kind(kind: ContentKind | tuple[str, float] | Mapping[str, Any]) -> tuple[str, float]:
    if isinstance(kind, tuple):
        return kind[0], float(kind[1])
    if isinstance(kind, Mapping):  # as the decision log keeps it: {name, confidence}
        return kind["name"], float(kind["confidence"])
    return kind.name, float(kind.confidence)


def _laid_over(base: Thresholds, layers: list[Thresholds]) -> Thresholds:
    overlaid: dict[str, float] = {}
    for layer in layers:
        for category, confidence in layer.by_category.items():
            overlaid[category] = min(confidence, overlaid.get(category, confidence))
    return Thresholds({**base.by_category, **overlaid})


class PolicyError(ValueError):
    pass


def parse_thresholds(text: str) -> Thresholds:
    """Parse ``"*=80; Explicit=60; Weapons=90"`` (``;`` or newline separated; any level)."""
    by_category: dict[str, float] = {}
    for entry in _entries(text):
        category, sep, value = entry.partition("=")
        category = category.strip()
        if not sep:
            raise PolicyError(f"{entry!r} is not CATEGORY=CONFIDENCE")
        check_category(category, allow_any=True)
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
    """Parse ``"Alcohol; Swimwear or Underwear; Weapons"`` (any level)."""
    categories = frozenset(_entries(text))
    for category in categories:
        check_category(category, allow_any=False)
    return categories


def _entries(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ";").split(";") if part.strip()]


def check_category(category: str, *, allow_any: bool) -> None:
    """PolicyError unless `category` is a v7 category of any level (or ``*`` if allowed)."""
    if category in CATEGORIES or (allow_any and category == ANY_CATEGORY):
        return
    known = ", ".join(TOP_LEVEL)
    raise PolicyError(
        f"unknown category {category!r}: a v7 category of any level (L2 and L3 as in"
        f" chalicelib/rules/taxonomy.py); the top-level ones are: {known}"
    )
