"""What the dashboard's browser tests do with the local stack and with a page.

Channels of their own (IVS CreateChannel on the emulator, an encoder connected when a test
needs the channel live), violating frames written as IVS would (see stack_helpers), a
second moderator in moto's Cognito, and signing in as a person would. Viewers' chat rooms
of a channel, and their messages queued for the deep pass as the review handler queues them.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import UTC, datetime

import requests
from playwright.sync_api import Locator, Page, expect
from stack_helpers import aws, stage_setting, table, thumbnail_key, wait_for, write_frame

from local.stack_client import api, sign_in

# Chromium as root, with no network but this machine (see the README).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIOLENCE = [{"Name": "Weapon Violence", "Confidence": 94.0}]
GESTURE = [{"Name": "Middle Finger", "Confidence": 91.0}]
MODERATORS_GROUP = "moderators"


def event_time_now() -> str:
    """Now, as a STREAM_MODERATION event's `eventTime` (the dashboard ages what it shows)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Channel:
    """An IVS channel of the emulator, named for the test, and its violating frames."""

    def __init__(self, stack: dict, purpose: str, *, live: bool = False) -> None:
        self.stack = stack
        self.name = f"dash-{purpose}-{secrets.token_hex(3)}"
        created = aws(stack, "ivs").create_channel(name=self.name)
        self.arn = created["channel"]["arn"]
        self.id = self.arn.rsplit("/", 1)[1]
        self.stream_key = created["streamKey"]["value"]
        self.frames = 0
        if live:
            self.connect()

    def connect(self) -> None:
        """An encoder goes live with the channel's key."""
        self._emulator("encoder/connect", {"streamKey": self.stream_key})

    def disconnect(self) -> None:
        self._emulator("encoder/disconnect", {"channelArn": self.arn})

    def _emulator(self, path: str, body: dict) -> None:
        url = f"{self.stack['emulator_url']}/_emulator/{path}"
        requests.post(url, json=body, timeout=5).raise_for_status()

    def flag(self, labels: list[dict] = VIOLENCE, count: int = 1) -> None:
        """Write `count` violating frames of the channel's stream."""
        for _ in range(count):
            self.frames += 1
            write_frame(self.stack, thumbnail_key(self.stack, self.id, self.frames), labels)

    def incident(self, token: str, **where) -> dict:
        """The channel's newest incident, once the API has it (and it matches `where`)."""

        def found():
            answer = api(self.stack, "GET", f"/incidents?channelArn={self.arn}", token)
            items = sorted(answer.json()["items"], key=lambda item: item["openedAt"])
            if items and all(items[-1].get(k) == v for k, v in where.items()):
                return items[-1]
            return None

        return wait_for(found, 30, f"an incident of {self.name} with {where}")


class ViewerRoom:
    """A viewers' chat room of the emulator, tagged with its channel as `make chat-rooms` does.

    `said` keeps a clean line as the deep pass keeps every message it sees (as context, before
    judging it: the local stack has no Comprehend to find it clean); `send` queues a message
    for the deep pass, as the review handler queues what it allowed.
    """

    def __init__(self, stack: dict, channel_arn: str, purpose: str) -> None:
        self.stack = stack
        self.name = f"viewers-{purpose}-{secrets.token_hex(3)}"
        room = aws(stack, "ivschat").create_room(
            name=self.name, tags={"moderation-channel": channel_arn}
        )
        self.arn = room["arn"]

    def said(self, user_id: str, content: str) -> dict:
        message = self._message(user_id, content)
        table(self.stack, stage_setting("CHAT_TABLE")).put_item(
            Item={
                "pk": f"recent#{self.arn}",
                "sk": f"{message['sentAt']}#{message['id']}",
                **{k: message[k] for k in ("id", "userId", "content", "sentAt")},
                "expiresAt": int(time.time()) + 600,
            }
        )
        return message

    def send(self, user_id: str, content: str, attributes: dict | None = None) -> dict:
        message = {**self._message(user_id, content), "attributes": attributes or {}}
        queued = {**message, "source": "review", "reviewed": "ALLOW"}
        aws(self.stack, "sqs").send_message(
            QueueUrl=self.stack["queues"]["moderate_chat_messages"], MessageBody=json.dumps(queued)
        )
        return message

    def _message(self, user_id: str, content: str) -> dict:
        time.sleep(0.002)  # each message its own millisecond: context is ordered by sentAt
        ident = secrets.token_hex(6)
        return {"id": ident, "roomArn": self.arn, "userId": user_id, "content": content,
                "sentAt": event_time_now()}  # fmt: skip

    def incident(self, token: str, user_id: str, **where) -> dict:
        """The user's newest chat incident in this room, once the API has it (matching `where`)."""

        def found():
            items = api(self.stack, "GET", "/incidents", token).json()["items"]
            mine = [
                i for i in items
                if i.get("kind") == "chat" and i["roomArn"] == self.arn and i["userId"] == user_id
            ]  # fmt: skip
            mine.sort(key=lambda item: item["openedAt"])
            if mine and all(mine[-1].get(k) == v for k, v in where.items()):
                return mine[-1]
            return None

        return wait_for(found, 30, f"a chat incident of {user_id!r} in {self.name} with {where}")


def block_term(stack: dict, room: str = "*") -> str:
    """A new word blocked (PUT /chat/terms) by the stack's admin (blocked terms are a policy):
    a message with it is removed, and flagged."""
    term = f"zq{secrets.token_hex(4)}"
    token = sign_in(stack, "admin")
    answer = api(stack, "PUT", "/chat/terms", token, {"roomArn": room, "term": term})
    assert answer.status_code == 200, answer.text
    return term


def chat_card(page: Page, user_id: str) -> Locator:
    """The queue's card of `user_id`'s chat incident."""
    title = page.locator("h2.chat-user", has_text=re.compile(f"^{re.escape(user_id)}$"))
    return page.locator("#incidents > li.incident", has=title)


def create_moderator(stack: dict, username: str) -> dict:
    """A second moderator, made as an administrator would (moto's Cognito admin API)."""
    idp = aws(stack, "cognito-idp")
    password = f"Mod-{secrets.token_urlsafe(12)}1a"
    pool = stack["user_pool_id"]
    idp.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool, Username=username, Password=password, Permanent=True
    )
    idp.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=MODERATORS_GROUP)
    return {"username": username, "password": password}


def sign_in_as(page: Page, stack: dict, user: dict, *, live: bool = True) -> None:
    page.goto(stack["dashboard_url"])
    page.get_by_label("Username").fill(user["username"])
    page.get_by_label("Password", exact=True).fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    if live:
        expect(page.locator("#connection")).to_have_text("Live")


def card(page: Page, name: str) -> Locator:
    """The queue's card of the channel `name`'s incident (the newest, if there are several)."""
    title = page.locator("h2.channel-name", has_text=re.compile(f"^{re.escape(name)}$"))
    return page.locator("#incidents > li.incident", has=title)


def standing(page: Page, name: str) -> Locator:
    return card(page, name).locator(".standing")


def horizontal_overflow(page: Page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def token_of(stack: dict, user: dict) -> str:
    """An ID token of a moderator made by `create_moderator`, for the API as them."""
    result = aws(stack, "cognito-idp").initiate_auth(
        ClientId=stack["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )
    return result["AuthenticationResult"]["IdToken"]


def fake_incident(name: str, severity: str, minutes_ago: float, **fields) -> dict:
    """An incident of GET /incidents as the API lists it, opened `minutes_ago`, of a channel
    `name` that only the page knows (a test adds it to the API's answer)."""
    opened = datetime.now(UTC).timestamp() - minutes_ago * 60
    at = datetime.fromtimestamp(opened, UTC).isoformat(timespec="milliseconds")
    category = fields.pop("category", "Violence")
    return {
        "incidentId": secrets.token_hex(16),
        "version": 1,
        "channelArn": f"arn:aws:ivs:us-east-1:123456789012:channel/{secrets.token_hex(6)}",
        "channelName": name,
        "state": "open",
        "severity": severity,
        "topLabel": "Weapon Violence",
        "topCategory": category,
        "topConfidence": 94.0,
        "categories": {category: {"label": "Weapon Violence", "confidence": 94.0}},
        "contentTypes": [],
        "frameCount": 1,
        "openedAt": at.replace("+00:00", "Z"),
        "trail": [{"at": at, "by": "system", "action": "opened"}],
        **fields,
    }
