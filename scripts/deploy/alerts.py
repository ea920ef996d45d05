"""The stage's alert e-mails: who is subscribed to the alerts topic, and to what.

`--alert-email [KIND=]ADDRESS` (KIND high-severity or sla-breach; none: both) and
`--team-email TEAM=ADDRESS` (escalations to that team, and SLA breaches escalated to it),
each repeatable. Every address gets a subscription with a filter policy on the message
attributes chalicelib/alerts/notify.py sets, so it receives only its kind. Subscribing is
idempotent: an address already subscribed gets its policy updated; SNS e-mails a new one a
confirmation link. Addresses no longer given are unsubscribed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scripts.deploy.naming import Refusal

KINDS = ("high-severity", "sla-breach")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Subscription:
    address: str
    policy: dict

    @property
    def policy_json(self) -> str:
        return json.dumps(self.policy, sort_keys=True)


def subscriptions(
    alert_emails: Iterable[str], team_emails: Iterable[str], teams: Sequence[str]
) -> list[Subscription]:
    """The subscriptions the options ask for (one per address; their kinds merged)."""
    kinds: dict[str, set[str]] = {}
    team_of: dict[str, set[str]] = {}
    for option in alert_emails:
        kind, _, address = option.rpartition("=")
        for one in [kind] if kind else KINDS:
            if one not in KINDS:
                raise Refusal(f"--alert-email {option!r}: the kind is {' or '.join(KINDS)}")
            kinds.setdefault(_address(option, address), set()).add(one)
    folded = {team.casefold(): team for team in teams}
    for option in team_emails:
        team, _, address = option.rpartition("=")
        if team.strip().casefold() not in folded:
            raise Refusal(f"--team-email {option!r}: the team is one of ESCALATION_TEAMS")
        team_of.setdefault(_address(option, address), set()).add(folded[team.strip().casefold()])
    wanted = []
    for address in sorted(set(kinds) | set(team_of)):
        wanted.append(Subscription(address, filter_policy(kinds.get(address, ()),
                                                          team_of.get(address, ()))))  # fmt: skip
    return wanted


def filter_policy(kinds: Iterable[str], teams: Iterable[str]) -> dict:
    """Its kinds, or escalations and SLA breaches to its teams (SNS: `$or` of the two)."""
    by_kind = {"kind": sorted(kinds)}
    by_team = {"kind": ["escalation", "sla-breach"], "team": sorted(teams)}
    if not by_team["team"]:
        return by_kind
    if not by_kind["kind"]:
        return by_team
    return {"$or": [by_kind, by_team]}


def _address(option: str, address: str) -> str:
    address = address.strip()
    if not _EMAIL.match(address):
        raise Refusal(f"{option!r}: {address!r} is not an e-mail address")
    return address


def subscribe(
    sns, topic_arn: str, wanted: Sequence[Subscription], say: Callable[[str], None],
    protocol: str = "email",
) -> None:  # fmt: skip
    """Make the topic's `protocol` subscriptions those `wanted`."""
    existing = {}
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for sub in page["Subscriptions"]:
            if sub["Protocol"] == protocol:
                existing[sub["Endpoint"]] = sub["SubscriptionArn"]
    for sub in wanted:
        arn = existing.pop(sub.address, None)
        if arn and arn.startswith("arn:"):
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=sub.policy_json
            )
            say(f"  alerts to {sub.address}: {sub.policy_json}")
            continue
        sns.subscribe(
            TopicArn=topic_arn, Protocol=protocol, Endpoint=sub.address,
            Attributes={"FilterPolicy": sub.policy_json},
        )  # fmt: skip
        say(f"  alerts to {sub.address}: {sub.policy_json} (confirm the e-mail AWS sends)")
    for address, arn in existing.items():
        if arn.startswith("arn:"):  # a pending confirmation cannot be removed; it expires
            sns.unsubscribe(SubscriptionArn=arn)
            say(f"  alerts no longer to {address}")
