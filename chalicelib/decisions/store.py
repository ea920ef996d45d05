"""The decision log: one DynamoDB item per moderated frame (and, later, per moderator action).

Key schema (see infra/tables.yaml): ``channelArn`` (partition) and ``sortKey`` =
``<ISO-8601 time>#<id>``, so a channel's history reads newest first with one Query; the
``byDay`` index (``day``, ``sortKey``) serves the history of all channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.core.dynamo import ConditionFailed, Table
from chalicelib.core.times import iso_time


def sort_key(at: datetime, item_id: str) -> str:
    return f"{iso_time(at)}#{item_id}"


class DecisionStore:
    """The decision log table (see the module's docstring for its keys)."""

    def __init__(self, dynamodb, table_name: str) -> None:
        self.table = Table(dynamodb, table_name, ("channelArn", "sortKey"))

    def get(self, channel_arn: str, key: str) -> dict[str, Any] | None:
        return self.table.get({"channelArn": channel_arn, "sortKey": key})

    def create(self, item: Mapping[str, Any]) -> bool:
        """Write a new item; False (and nothing written) when one with its key exists."""
        return self.table.create(item)

    def replace_failed(self, item: Mapping[str, Any]) -> bool:
        """Write a decision over the `failed` record of the same frame (a later delivery of
        its event succeeded); False when that record is no longer `failed`."""
        return self.table.put(
            item, condition="#d = :failed", names={"#d": "decision"}, values={":failed": "failed"}
        )

    def update(self, channel_arn: str, key: str, changes: Mapping[str, Any]) -> None:
        """Set the given attributes of an existing item."""
        if not self.table.update(
            {"channelArn": channel_arn, "sortKey": key},
            changes,
            condition="attribute_exists(sortKey)",
        ):
            raise ConditionFailed(f"no decision-log item {channel_arn} {key} to update")

    def put_if_newer(self, item: Mapping[str, Any], time_attribute: str) -> bool:
        """Write the item unless the stored one has a later `time_attribute`; False if not."""
        return self.table.put(
            item,
            condition="attribute_not_exists(sortKey) OR #t <= :t",
            names={"#t": time_attribute},
            values={":t": item[time_attribute]},
        )

    def query(
        self,
        *,
        channel_arn: str | None,
        day: str | None,
        lower: str,
        upper: str,
        limit: int,
        start: Mapping[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Items of one channel, or of one UTC day (``byDay``), newest first, sortKey in range."""
        request: dict[str, Any] = {
            "KeyConditionExpression": "#p = :p AND sortKey BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":p": channel_arn if channel_arn is not None else day,
                ":lo": lower,
                ":hi": upper,
            },
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if channel_arn is not None:
            request["ExpressionAttributeNames"] = {"#p": "channelArn"}
        else:  # `day` is a DynamoDB reserved word, hence the name placeholder
            request.update(IndexName="byDay", ExpressionAttributeNames={"#p": "day"})
        if start:
            request["ExclusiveStartKey"] = start
        return self.table.query(**request)
