"""The stage's own policies and the watchlist overlay (docs/policies.md): `stage_default`
(`default`, version 0, read-only, from the stage's variables), `default_watchlist` (the stage's
`watchlist` policy until an admin saves one) and `overlay(base, watch)`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from chalicelib.core.config import Settings
from chalicelib.policies.model import WATCH_HOURS, PolicyDocument, Rules
from chalicelib.rules.policy import ANY_CATEGORY
from chalicelib.rules.taxonomy import category_path

WATCH_LOWER_BY = 20  # the stage's watchlist policy: the default's thresholds, this much lower


def stage_default(settings: Settings) -> PolicyDocument:
    """`default` (version 0, read-only): ALERT_THRESHOLDS, AUTO_STOP_THRESHOLDS,
    IGNORED_CATEGORIES and FRAME_SKIP_ENABLED as a document."""
    policy = settings.policy
    return PolicyDocument(
        rules=Rules(
            alert=dict(policy.alert.by_category),
            auto_stop=dict(policy.auto_stop.by_category),
            ignored=tuple(sorted(policy.ignored)),
        ),
        description="The stage's default: its ALERT_THRESHOLDS, AUTO_STOP_THRESHOLDS, "
        "IGNORED_CATEGORIES and FRAME_SKIP_ENABLED",
        frame_skipping=settings.frame_skip_enabled,
    )


def default_watchlist(default: PolicyDocument) -> PolicyDocument:
    """The stage's `watchlist` policy until an admin saves one: the default's thresholds
    lowered by 20 points, no skipping, no sampling, for 24 hours."""

    def lower(thresholds: Mapping[str, float]) -> dict[str, float]:
        return {k: max(0.0, float(v) - WATCH_LOWER_BY) for k, v in thresholds.items()}

    return PolicyDocument(
        rules=Rules(
            alert=lower(default.rules.alert),
            auto_stop=lower(default.rules.auto_stop),
            ignored=default.rules.ignored,
        ),
        description=f"Channels on the watchlist: the default's thresholds, {WATCH_LOWER_BY} "
        "points lower, no skipping, no sampling",
        frame_skipping=False,
        watch_hours=WATCH_HOURS,
    )


def overlay(base: PolicyDocument, watch: PolicyDocument) -> PolicyDocument:
    """What decides a watchlisted channel: for each category the lower threshold of the two,
    ignored only what both ignore, no skipping, no sampling (docs/policies.md)."""
    kinds = sorted({*base.content_types, *watch.content_types})
    empty = Rules()

    def under(document: PolicyDocument, kind: str) -> Rules:
        extra = document.content_types.get(kind, empty)
        return Rules(
            alert={**document.rules.alert, **extra.alert},
            auto_stop={**document.rules.auto_stop, **extra.auto_stop},
            ignored=(*document.rules.ignored, *extra.ignored),
        )

    chat = None
    if base.chat_toxicity is not None or watch.chat_toxicity is not None:
        chat = _stricter(base.chat_toxicity or {}, watch.chat_toxicity or {}, lambda k: (k,))
    return replace(
        base,
        rules=_stricter_rules(base.rules, watch.rules),
        content_types={k: _stricter_rules(under(base, k), under(watch, k)) for k in kinds},
        frame_skipping=False,
        min_frame_interval_seconds=0,
        chat_toxicity=chat,
        watch_hours=watch.watch_hours,
    )


def _stricter_rules(one: Rules, other: Rules) -> Rules:
    return Rules(
        alert=_stricter(one.alert, other.alert, category_path),
        auto_stop=_stricter(one.auto_stop, other.auto_stop, category_path),
        ignored=tuple(
            sorted(
                c
                for c in {*one.ignored, *other.ignored}
                if _ignores(one.ignored, c) and _ignores(other.ignored, c)
            )
        ),
    )


def _stricter(one: Mapping[str, float], other: Mapping[str, float], path) -> dict[str, float]:
    """Per category of either, the lower of the two rules that decide it (a side with no
    rule for it never triggers, so the other's stands)."""
    merged = {}
    for category in sorted({*one, *other}):
        rules = (_rule(one, category, path), _rule(other, category, path))
        merged[category] = min(r for r in rules if r is not None)
    return merged


def _rule(thresholds: Mapping[str, float], category: str, path) -> float | None:
    names = (ANY_CATEGORY,) if category == ANY_CATEGORY else (*path(category), ANY_CATEGORY)
    for name in names:
        if name in thresholds:
            return thresholds[name]
    return None


def _ignores(ignored: tuple[str, ...], category: str) -> bool:
    return any(name in ignored for name in category_path(category))
