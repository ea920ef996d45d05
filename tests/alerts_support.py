"""What the alerts' tests share: moto's EventBridge delivering the app's events to a queue."""

from __future__ import annotations

import json

import boto3

from chalicelib.alerts.events import SOURCE


class BusQueue:
    """A rule on the default bus for the app's events, its target an SQS queue read here."""

    def __init__(self, name: str = "incident-events") -> None:
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = boto3.client("events")
        events.put_rule(Name=name, EventPattern=json.dumps({"source": [SOURCE]}))
        events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])

    def events(self) -> list[dict]:
        """Every event delivered since the last read, in the order they were sent."""
        found = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                break
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return found

    def details(self) -> list[dict]:
        return [event["detail"] for event in self.events()]
