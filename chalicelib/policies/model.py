"""A policy document (docs/policies.md): validated, compiled into the rules' `Policy`, compared.

`PolicyDocument.parse(raw, name)` validates a client's JSON and refuses it with `PolicyInvalid`,
a 400 whose message starts with the field at fault as a path (`alert.Weaponz: unknown
category ...`). `document.compile()` gives the `chalicelib.rules.policy.Policy` that decides
frames; the other parts (frame skipping, sampling, chat toxicity, appliesTo, watchHours) are
the document's own attributes. `stage_default(settings)` is the read-only `default` (version
0) built from the stage's variables, `default_watchlist` the stage's `watchlist` policy until
an admin saves one, and `overlay(base, watch)` what a watchlisted channel is decided by.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.policies import checks
from chalicelib.policies.checks import PolicyInvalid
from chalicelib.rules.policy import Overlay, Policy, Thresholds

DEFAULT, WATCHLIST = "default", "watchlist"  # reserved names
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
CONTENT_TYPES = ("Animated", "Illustrated")  # Rekognition's ContentTypes
MAX_POLICIES = 100
MAX_DESCRIPTION = 500
MAX_INTERVAL_SECONDS = 300
MAX_PRIORITY = 1000
WATCH_HOURS, MAX_WATCH_HOURS = 24, 720
_FIELDS = frozenset(
    {
        "description",
        "alert",
        "autoStop",
        "ignored",
        "contentTypes",
        "frameSkipping",
        "minFrameIntervalSeconds",
        "chat",
        "appliesTo",
        "watchHours",
    }
)


@dataclass(frozen=True)
class AppliesTo:
    """How a policy finds its channels: IVS tags (all must match) or name patterns."""

    tags: Mapping[str, str] = field(default_factory=dict)
    name_patterns: tuple[str, ...] = ()
    priority: int = 0

    def match(self, name: str, tags: Mapping[str, str]) -> str | None:
        """Why it applies to a channel of this name and tags ("tag k=v", "name k*"), or None."""
        if self.tags and all(tags.get(k) == v for k, v in self.tags.items()):
            return "tag " + ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items()))
        for pattern in self.name_patterns:
            if name and fnmatch.fnmatchcase(name, pattern):
                return f"name {pattern}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "tags": dict(self.tags),
            "namePatterns": list(self.name_patterns),
            "priority": self.priority,
        }


@dataclass(frozen=True)
class Rules:
    """Thresholds and ignored categories: the document's own, or a content type's."""

    alert: Mapping[str, float] = field(default_factory=dict)
    auto_stop: Mapping[str, float] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "alert": dict(self.alert),
            "autoStop": dict(self.auto_stop),
            "ignored": [*self.ignored],
        }


@dataclass(frozen=True)
class PolicyDocument:
    rules: Rules
    description: str = ""
    content_types: Mapping[str, Rules] = field(default_factory=dict)
    frame_skipping: bool = True
    min_frame_interval_seconds: int = 0
    chat_toxicity: Mapping[str, float] | None = None  # None: the stage's
    applies_to: AppliesTo | None = None
    watch_hours: int | None = None  # the watchlist policy's only

    @classmethod
    def parse(cls, raw: Any, name: str = "") -> PolicyDocument:
        """The validated document; PolicyInvalid naming the field when it is not one."""
        if not isinstance(raw, Mapping):
            raise PolicyInvalid("document", "must be a JSON object")
        checks.unknown_fields(raw, _FIELDS)
        if "alert" not in raw:
            raise PolicyInvalid("alert", "is required (an object of category: confidence)")
        watch = name == WATCHLIST
        if "watchHours" in raw and not watch:
            raise PolicyInvalid("watchHours", f"only the {WATCHLIST} policy has it")
        if "appliesTo" in raw and watch:
            raise PolicyInvalid("appliesTo", f"the {WATCHLIST} policy applies to watched channels")
        content = checks.object_of(raw.get("contentTypes", {}), "contentTypes")
        for kind in content:
            if kind not in CONTENT_TYPES:
                raise PolicyInvalid(
                    checks.at("contentTypes.", kind),
                    f"not a content type: {', '.join(CONTENT_TYPES)}",
                )
        chat = checks.object_of(raw.get("chat", {}), "chat")
        checks.unknown_fields(chat, ("toxicity",), "chat.")
        return cls(
            rules=_rules(raw, ""),
            description=checks.text(raw.get("description", ""), "description", MAX_DESCRIPTION),
            content_types={k: _rules(v, f"contentTypes.{k}.") for k, v in content.items()},
            frame_skipping=checks.boolean(raw.get("frameSkipping", True), "frameSkipping"),
            min_frame_interval_seconds=checks.integer(
                raw.get("minFrameIntervalSeconds", 0),
                "minFrameIntervalSeconds",
                0,
                MAX_INTERVAL_SECONDS,
            ),
            chat_toxicity=checks.toxicity(chat["toxicity"]) if "toxicity" in chat else None,
            applies_to=_applies_to(raw["appliesTo"]) if "appliesTo" in raw else None,
            watch_hours=checks.integer(
                raw.get("watchHours", WATCH_HOURS), "watchHours", 1, MAX_WATCH_HOURS
            )
            if watch
            else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The document as stored and answered (every field written out)."""
        document: dict[str, Any] = {
            "description": self.description,
            **self.rules.to_json(),
            "contentTypes": {k: v.to_json() for k, v in self.content_types.items()},
            "frameSkipping": self.frame_skipping,
            "minFrameIntervalSeconds": self.min_frame_interval_seconds,
        }
        if self.chat_toxicity is not None:
            document["chat"] = {"toxicity": dict(self.chat_toxicity)}
        if self.applies_to is not None:
            document["appliesTo"] = self.applies_to.to_json()
        if self.watch_hours is not None:
            document["watchHours"] = self.watch_hours
        return document

    def compile(self) -> Policy:
        """The rules that decide a frame (`Policy.evaluate`)."""
        return Policy(
            alert=Thresholds(dict(self.rules.alert)),
            auto_stop=Thresholds(dict(self.rules.auto_stop)),
            ignored=frozenset(self.rules.ignored),
            content_types={
                kind: Overlay(
                    alert=Thresholds(dict(rules.alert)),
                    auto_stop=Thresholds(dict(rules.auto_stop)),
                    ignored=frozenset(rules.ignored),
                )
                for kind, rules in self.content_types.items()
            },
        )


def check_name(name: Any) -> str:
    """A policy's name (PolicyInvalid naming `name` otherwise); `default` cannot be saved."""
    if not isinstance(name, str) or not NAME.match(name):
        raise PolicyInvalid(
            "name", "must be 1-40 of a-z, 0-9 and -, starting with a letter or digit"
        )
    if name == DEFAULT:
        raise PolicyInvalid("name", "default is the stage's own policy, set by its variables")
    return name


# What changed between two versions


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[dict]:
    """The changed fields of two documents (JSON), as `[{path, before, after}]`; a field
    that one side lacks is None there. Objects are compared field by field, lists whole."""
    changes: list[dict] = []
    _diff(before or {}, after or {}, "", changes)
    return changes


def _diff(before: Any, after: Any, prefix: str, changes: list[dict]) -> None:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted({*before, *after}, key=str):
            _diff(before.get(key), after.get(key), f"{prefix}{key}.", changes)
    elif before != after:
        changes.append({"path": prefix[:-1], "before": before, "after": after})


def _rules(raw: Any, prefix: str) -> Rules:
    raw = checks.object_of(raw, prefix[:-1] or "document")
    if prefix:
        checks.unknown_fields(raw, ("alert", "autoStop", "ignored"), prefix)
    return Rules(
        alert=checks.thresholds(raw.get("alert", {}), f"{prefix}alert"),
        auto_stop=checks.thresholds(raw.get("autoStop", {}), f"{prefix}autoStop"),
        ignored=checks.ignored_list(raw.get("ignored", []), f"{prefix}ignored"),
    )


def _applies_to(raw: Any) -> AppliesTo:
    raw = checks.object_of(raw, "appliesTo")
    checks.unknown_fields(raw, ("tags", "namePatterns", "priority"), "appliesTo.")
    return AppliesTo(
        tags=checks.tags(raw.get("tags", {})),
        name_patterns=checks.name_patterns(raw.get("namePatterns", [])),
        priority=checks.integer(raw.get("priority", 0), "appliesTo.priority", 0, MAX_PRIORITY),
    )
