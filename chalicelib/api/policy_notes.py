"""The policy that applied, on incident and channel answers (docs/policies.md): cheap.

An incident's policy is what its frames' records say decided them (`policy`, `policyVersion`,
`policyWhy`, `watchlisted`): its latest frame's, read with one BatchGetItem for a whole page
of incidents (none for frames decided before policies were recorded: `policy` null). A
channel's is the one that applies now, resolved from the policy book this container keeps
(no read unless the book is due). `watchlisted` is `{until, reason}` while the channel is on
the watchlist, from the same book, else null.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib import dependencies
from chalicelib.policies.service import watch_answer


def _book():
    return dependencies.policy_book()


def recorded_policy(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What decided a frame, as its record says: {name, version, why, watchlisted}, or None."""
    if not record or "policy" not in record:
        return None
    return {
        "name": record["policy"],
        "version": record.get("policyVersion"),
        "why": record.get("policyWhy", ""),
        "watchlisted": bool(record.get("watchlisted")),
    }


def with_incident_policies(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Frame incidents with `policy` (their latest frame's) and `watchlisted`; chat ones
    (a user's, not a channel's) as they are."""
    keys = {}
    for incident in incidents:
        frames = incident.get("frames") or []
        if incident.get("kind") != "chat" and incident.get("channelArn") and frames:
            last = frames[-1]
            keys[incident["incidentId"]] = {
                "channelArn": incident["channelArn"],
                "sortKey": f"{last['frameTime']}#{last['decisionId']}",
            }
    records = {}
    if keys:
        table = dependencies.decision_store().table
        found = table.batch_get(list({tuple(k.values()): k for k in keys.values()}.values()))
        records = {(item["channelArn"], item["sortKey"]): item for item in found}
    watches = _book().book().watches
    now = dependencies.now()
    answers = []
    for incident in incidents:
        if incident.get("kind") == "chat" or not incident.get("channelArn"):
            answers.append(incident)
            continue
        key = keys.get(incident["incidentId"])
        record = records.get(tuple(key.values())) if key else None
        answers.append(
            {
                **incident,
                "policy": recorded_policy(record),
                "watchlisted": watch_answer(watches.get(incident["channelArn"]), now),
            }
        )
    return answers


def frames_with_policies(incident: Mapping[str, Any], frames: Iterable[dict]) -> list[dict]:
    """An incident's frames, each with the policy its record says decided it."""
    frames = list(frames)
    keys = [{"channelArn": incident["channelArn"], "sortKey": _sort_key(f)} for f in frames]
    found = dependencies.decision_store().table.batch_get(keys) if keys else []
    records = {item["sortKey"]: item for item in found}
    return [{**f, "policy": recorded_policy(records.get(_sort_key(f)))} for f in frames]


def channel_policy(channel: Mapping[str, Any], book=None) -> dict[str, Any]:
    """A channel's (an item of the channels table) `policy` that applies now, and
    `watchlisted`."""
    policy_book = _book()
    now = dependencies.now()
    applied = policy_book.resolve(
        channel["channelArn"],
        channel.get("name", ""),
        channel.get("tags") or {},
        now,
        book=book or policy_book.book(),
    )
    return {
        "policy": {"name": applied.name, "version": applied.version, "why": applied.why},
        "watchlisted": watch_answer(applied.watch, now),
    }


def channel_policies(channels: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """`channel_policy` of each channel, by ARN, from one book."""
    book = _book().book()
    return {channel["channelArn"]: channel_policy(channel, book) for channel in channels}


def _sort_key(frame: Mapping[str, Any]) -> str:
    return f"{frame['frameTime']}#{frame['decisionId']}"
