"""A small decision log for the history tests, written as the writers write it.

Only items listed across channels carry `day` (the sparse `byDay` index): flagged,
unscannable and failed frames, stops and incidents; clean and superseded frames do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from support import ACCOUNT, BUCKET, CHANNEL_ARN, DECISIONS_TABLE, thumbnail_key

from chalicelib.decisions.store import DecisionStore

OTHER_CHANNEL = f"arn:aws:ivs:us-west-2:{ACCOUNT}:channel/ZzYyXxWw9876"
WINDOW = {"from": "2025-03-09T00:00:00Z", "to": "2025-03-10T23:59:59Z"}
LISTED_ACROSS_CHANNELS = {"alert", "auto-stop", "unscannable", "failed"}

# (id, channel, time, decision): frames of two channels over two days
FRAMES = [
    ("frame0", CHANNEL_ARN, "2025-03-09T23:58:00.000Z", "clean"),
    ("frame1", OTHER_CHANNEL, "2025-03-09T23:59:00.000Z", "alert"),
    ("frame2", CHANNEL_ARN, "2025-03-10T00:01:00.000Z", "superseded"),
    ("frame3", CHANNEL_ARN, "2025-03-10T00:02:00.000Z", "alert"),
    ("frame4", OTHER_CHANNEL, "2025-03-10T00:03:00.000Z", "unscannable"),
    ("frame5", CHANNEL_ARN, "2025-03-10T00:03:30.000Z", "clean"),
]


def store() -> DecisionStore:
    return DecisionStore(boto3.client("dynamodb"), DECISIONS_TABLE)


def frame_item(decision_id: str, channel: str, at: str, decision: str, n: int = 0) -> dict:
    item = {
        "channelArn": channel,
        "sortKey": f"{at}#{decision_id}",
        "kind": "frame",
        "decisionId": decision_id,
        "bucket": BUCKET,
        "thumbnailKey": thumbnail_key(n, channel=channel.rsplit("/", 1)[1]),
        "frameTime": at,
        "decision": decision,
        "expiresAt": 1900000000,
    }
    if decision in LISTED_ACROSS_CHANNELS:
        item["day"] = at[:10]
    return item


def seed_history() -> list[dict]:
    """FRAMES, a stop and an incident; returned newest first."""
    log = store()
    items = [frame_item(*frame, n=i) for i, frame in enumerate(FRAMES)]
    items.append(
        {
            "channelArn": CHANNEL_ARN,
            "sortKey": "2025-03-10T00:04:00.000Z#stop1",
            "day": "2025-03-10",
            "kind": "stop",
            "auditId": "stop1",
            "at": "2025-03-10T00:04:00.000Z",
            "moderatorName": "maria",
            "reason": "Weapon",
            "outcome": "stopped",
        }
    )
    items.append(
        {
            "channelArn": OTHER_CHANNEL,
            "sortKey": "2025-03-10T00:05:00.000Z#incident1",
            "day": "2025-03-10",
            "kind": "incident",
            "incidentId": "incident1",
            "at": "2025-03-10T00:05:00.000Z",
            "action": "acknowledge",
        }
    )
    for item in items:
        log.create(item)
    return sorted(items, key=lambda item: item["sortKey"], reverse=True)


def ids(body: dict) -> list[str]:
    return [
        item.get("decisionId") or item.get("auditId") or item["incidentId"]
        for item in body["items"]
    ]


@contextmanager
def counted_queries(client) -> Iterator[list[dict]]:
    """Every DynamoDB Query the `client` sends while inside, as its parameters."""
    queries: list[dict] = []

    def count(params, **_):
        queries.append(params)

    client.meta.events.register("provide-client-params.dynamodb.Query", count)
    try:
        yield queries
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.Query", count)


# Incidents for the routes that act on one: one to acknowledge, one to resolve, one to reopen.
INCIDENT_TO_ACKNOWLEDGE = "0123456789abcdef0000000a"
INCIDENT_TO_RESOLVE = "0123456789abcdef0000000b"
INCIDENT_TO_REOPEN = "0123456789abcdef0000000c"
INCIDENT_HELD = "0123456789abcdef0000000d"  # acknowledged by HOLDER
HOLDER = "maria"  # tests/tokens.py's moderator


def seed_incidents() -> None:
    """Incidents of CHANNEL_ARN as the service writes them: two open, one acknowledged by
    HOLDER, one resolved."""
    from datetime import UTC, datetime

    from support import INCIDENTS_TABLE

    from chalicelib.core.dynamo import Table
    from chalicelib.core.times import iso_time

    now = iso_time(datetime.now(UTC))
    table = Table(boto3.client("dynamodb"), INCIDENTS_TABLE, ("incidentId",))
    for incident_id in (
        INCIDENT_TO_ACKNOWLEDGE,
        INCIDENT_TO_RESOLVE,
        INCIDENT_TO_REOPEN,
        INCIDENT_HELD,
    ):
        incident = {
            "incidentId": incident_id,
            "version": 0,
            "channelArn": CHANNEL_ARN,
            "channelName": "arena-shooter",
            "sessionId": "Rec0AbCdEfGh",
            "state": "open",
            "openedAt": now,
            "openedDay": now[:10],
            "activeQueue": "active",
            "firstFrameTime": now,
            "lastFrameTime": now,
            "latestFrameKey": thumbnail_key(1),
            "frameCount": 1,
            "frames": [{"decisionId": "frame3", "key": thumbnail_key(1), "frameTime": now}],
            "categories": {"Violence": {"label": "Weapon Violence", "confidence": 93.5}},
            "topLabel": "Weapon Violence",
            "topCategory": "Violence",
            "topConfidence": 93.5,
            "severity": "medium",
            "contentTypes": [],
            "trail": [{"at": now, "by": "system", "action": "opened"}],
            "lastAnnouncedAt": now,
        }
        if incident_id == INCIDENT_HELD:
            incident.update(state="acknowledged", acknowledgedBy=HOLDER, acknowledgedAt=now)
            incident.update(assignedTo=HOLDER, assignedAt=now)
        if incident_id == INCIDENT_TO_REOPEN:
            incident.pop("activeQueue")
            incident.update(
                state="resolved",
                resolution="warned",
                resolvedBy="maria",
                resolvedAt=now,
                resolvedDay=now[:10],
            )
        table.create(incident)


VIEWER_ROOM = f"arn:aws:ivschat:us-west-2:{ACCOUNT}:room/ViewRoom0001"
CHAT_TO_BAN = "c0" * 12  # open chat incidents of a user in VIEWER_ROOM
CHAT_TO_TIME_OUT = "c1" * 12
CHAT_TO_CLEAN = "c2" * 12  # with a message in its context to delete
CHAT_TO_UNBAN = "c3" * 12  # resolved as banned, with the ban in force
CHAT_USER = "viewer-troll"


def seed_chat_incidents() -> None:
    """Chat incidents as chat/service.py writes them, and the ban CHAT_TO_UNBAN put."""
    from datetime import UTC, datetime

    from support import CHAT_TABLE, INCIDENTS_TABLE

    from chalicelib.core.dynamo import Table
    from chalicelib.core.times import iso_time

    now = iso_time(datetime.now(UTC))
    table = Table(boto3.client("dynamodb"), INCIDENTS_TABLE, ("incidentId",))
    chat = Table(boto3.client("dynamodb"), CHAT_TABLE, ("pk", "sk"))
    for n, incident_id in enumerate((CHAT_TO_BAN, CHAT_TO_TIME_OUT, CHAT_TO_CLEAN, CHAT_TO_UNBAN)):
        user = f"{CHAT_USER}-{n}"
        message = {
            "id": f"Msg{n}AbCdEfGh"[:12],
            "content": "you are an idiot",
            "sentAt": now,
            "reason": "insult",
            "source": "comprehend",
            "labels": [["INSULT", "INSULT", 91.0]],
            "deleted": True,
        }
        incident = {
            "incidentId": incident_id,
            "kind": "chat",
            "version": 0,
            "roomArn": VIEWER_ROOM,
            "userId": user,
            "channelArn": CHANNEL_ARN,
            "channelName": "arena-shooter",
            "sessionId": "",
            "state": "open",
            "openedAt": now,
            "openedDay": now[:10],
            "activeQueue": "active",
            "firstFrameTime": now,
            "lastFrameTime": now,
            "messageCount": 1,
            "messages": [message],
            "context": [{"id": "Ctx0AbCdEfGh", "userId": user, "content": "hi", "sentAt": now}],
            "earlierIncidents": [],
            "categories": {"INSULT": {"label": "INSULT", "confidence": 91.0}},
            "topLabel": "INSULT",
            "topCategory": "INSULT",
            "topConfidence": 91.0,
            "severity": "medium",
            "strikes": 1,
            "trail": [{"at": now, "by": "system", "action": "opened"}],
            "lastAnnouncedAt": now,
        }
        if incident_id == CHAT_TO_UNBAN:
            incident.pop("activeQueue")
            incident.update(
                state="resolved",
                resolution="banned",
                resolvedBy="maria",
                resolvedAt=now,
                resolvedDay=now[:10],
                bannedFrom=VIEWER_ROOM,
            )
            chat.create(
                {
                    "pk": f"ban#{VIEWER_ROOM}",
                    "sk": user,
                    "roomArn": VIEWER_ROOM,
                    "userId": user,
                    "kind": "ban",
                    "until": "",
                    "reason": "abuse",
                    "by": "maria",
                    "at": now,
                    "incidentId": incident_id,
                }
            )
        table.create(incident)


def seed_terms() -> None:
    """A blocked term of every room, for DELETE /chat/terms to remove."""
    from datetime import UTC, datetime

    from support import CHAT_TABLE

    from chalicelib.chat.store import ChatStore

    ChatStore(boto3.client("dynamodb"), CHAT_TABLE).put_term(
        "*", "spoiler", by="maria", now=datetime.now(UTC), until=""
    )


# Policies for the routes that act on one (docs/policies.md): one to read, one with two
# versions to restore, one to delete; a channel on the watchlist to take off.
POLICY_TO_READ = "kids"
POLICY_TO_RESTORE = "teens"
POLICY_TO_DELETE = "old-rules"
WATCHED_CHANNEL = OTHER_CHANNEL
KIDS = {
    "description": "Children's channels: stricter on everything",
    "alert": {"*": 60, "Weapons": 50},
    "autoStop": {"Explicit": 80},
    "appliesTo": {"tags": {"moderation-policy": "kids"}, "priority": 10},
}


def seed_policies() -> None:
    """POLICY_TO_READ (v1), POLICY_TO_RESTORE (v1, v2), POLICY_TO_DELETE (v1), and
    WATCHED_CHANNEL on the watchlist, saved as the API saves them."""
    from datetime import UTC, datetime

    from support import POLICIES_TABLE

    from chalicelib.policies.model import PolicyDocument
    from chalicelib.policies.store import PolicyStore

    policies = PolicyStore(boto3.client("dynamodb"), POLICIES_TABLE)
    now = datetime.now(UTC)

    def save(name: str, raw: dict, expected: int = 0) -> None:
        document = PolicyDocument.parse(raw, name)
        policies.save(name, document, expected_version=expected, by="alice", at=now)

    save(POLICY_TO_READ, KIDS)
    save(POLICY_TO_RESTORE, {"alert": {"*": 70}})
    save(POLICY_TO_RESTORE, {"alert": {"*": 65}}, expected=1)
    save(POLICY_TO_DELETE, {"alert": {"Violence": 90}})
    policies.put_watch(WATCHED_CHANNEL, hours=24, reason="warned by tom", by="tom", at=now)
