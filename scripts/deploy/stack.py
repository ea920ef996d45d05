"""CloudFormation: create or update a stack, or delete it, showing each resource as it goes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from scripts.deploy.naming import Refusal

DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"}
STUCK = {"UPDATE_ROLLBACK_FAILED", "DELETE_FAILED", "ROLLBACK_FAILED"}
MAX_WAIT_SECONDS = 3600


class StackFailed(Exception):
    """The stack did not reach the state asked for; the message says which resources failed."""


@dataclass
class Stack:
    name: str
    status: str
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


class Stacks:
    def __init__(self, cloudformation, say: Callable[[str], None], poll_seconds: float = 5.0):
        self._cfn = cloudformation
        self._say = say
        self.poll_seconds = poll_seconds

    def describe(self, name: str) -> Stack | None:
        try:
            [stack] = self._cfn.describe_stacks(StackName=name)["Stacks"]
        except botocore.exceptions.ClientError as error:
            if "does not exist" in error.response["Error"].get("Message", ""):
                return None
            raise
        if stack["StackStatus"] == "DELETE_COMPLETE":
            return None
        return Stack(
            name=name,
            status=stack["StackStatus"],
            parameters={
                p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])
            },
            outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        )

    def deploy(self, name: str, body: str, parameters: Mapping[str, str]) -> Stack:
        """Create the stack, or update it in place; returns it as it then is."""
        current = self.describe(name)
        if current and current.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
            raise Refusal(f"stack {name} failed to create ({current.status}): delete it first")
        if current and current.status.endswith("_IN_PROGRESS"):
            raise Refusal(f"stack {name} is busy ({current.status}): wait for it, then run again")
        if current and current.status in STUCK:
            raise Refusal(
                f"stack {name} is {current.status}: fix it in the CloudFormation console "
                "(continue the rollback or delete it), then run again"
            )
        arguments: dict[str, Any] = {
            "StackName": name,
            "TemplateBody": body,
            "Parameters": [
                {"ParameterKey": key, "ParameterValue": str(value)}
                for key, value in parameters.items()
            ],
            "Capabilities": ["CAPABILITY_IAM"],
            "Tags": [{"Key": "ivs-moderation:stack", "Value": name}],
        }
        started = self._latest_event_time(name) if current else None
        if current is None:
            self._say(f"  creating stack {name}")
            self._cfn.create_stack(**arguments, OnFailure="ROLLBACK")
        else:
            try:
                self._cfn.update_stack(**arguments)
            except botocore.exceptions.ClientError as error:
                if "No updates are to be performed" in error.response["Error"].get("Message", ""):
                    self._say(f"  stack {name} is up to date")
                    return current
                raise
            self._say(f"  updating stack {name}")
        return self._wait(name, started, ok={"CREATE_COMPLETE", "UPDATE_COMPLETE"})

    def delete(self, name: str) -> None:
        if self.describe(name) is None:
            return
        started = self._latest_event_time(name)
        self._cfn.delete_stack(StackName=name)
        self._wait(name, started, ok={"DELETE_COMPLETE"})

    def _wait(self, name: str, since, ok: set[str]) -> Stack | None:
        seen: set[str] = set()
        deadline = time.monotonic() + MAX_WAIT_SECONDS
        while True:
            stack = self.describe(name)
            for event in self._events_since(name, since):
                if event["EventId"] in seen:
                    continue
                seen.add(event["EventId"])
                if event["LogicalResourceId"] == name:
                    continue  # the stack's own status is said at the end
                reason = event.get("ResourceStatusReason", "")
                self._say(
                    f"    {event['LogicalResourceId']:<30} {event['ResourceStatus']}"
                    + (f"  {reason}" if reason and "FAILED" in event["ResourceStatus"] else "")
                )
            status = stack.status if stack else "DELETE_COMPLETE"
            if not status.endswith("_IN_PROGRESS"):
                break
            if time.monotonic() > deadline:
                raise StackFailed(f"stack {name} is still {status} after an hour")
            time.sleep(self.poll_seconds)
        if status not in ok:
            raise StackFailed(f"stack {name} ended {status}: {self._failures(name, since)}")
        self._say(f"  stack {name}: {status}")
        return stack

    def _events_since(self, name: str, since) -> list[dict[str, Any]]:
        try:
            pages = self._cfn.get_paginator("describe_stack_events").paginate(StackName=name)
            events = []
            for page in pages:
                fresh = [e for e in page["StackEvents"] if since is None or e["Timestamp"] > since]
                events.extend(fresh)
                if len(fresh) < len(page["StackEvents"]):
                    break  # newest first: the rest is older
        except botocore.exceptions.ClientError:
            return []  # a deleted stack has no events to show
        return list(reversed(events))

    def _latest_event_time(self, name: str):
        try:
            events = self._cfn.describe_stack_events(StackName=name)["StackEvents"]
        except botocore.exceptions.ClientError:
            return None
        return max((event["Timestamp"] for event in events), default=None)

    def _failures(self, name: str, since) -> str:
        reasons = [
            f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
            for event in self._events_since(name, since)
            if event["ResourceStatus"].endswith("FAILED") and event["LogicalResourceId"] != name
        ]
        return "; ".join(reasons) or "see the stack's events in the CloudFormation console"
