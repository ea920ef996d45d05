"""The decision log: one DynamoDB item per moderated frame (and, later, per moderator action).

Key schema (see infra/tables.yaml): ``channelArn`` (partition) and ``sortKey`` =
``<ISO-8601 time>#<id>``, so a channel's history reads newest first with one Query; the
``byDay`` index (``day``, ``sortKey``) serves the history of all channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError


def sort_key(at: datetime, item_id: str) -> str:
    return f"{iso_time(at)}#{item_id}"


def iso_time(at: datetime) -> str:
    """UTC, millisecond precision, ``Z`` suffix: sorts as text in time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """An ISO-8601 time with a zone (``Z`` or an offset), in UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def expiry(now: datetime, days: int) -> int | None:
    """TTL attribute value (epoch seconds), or None to keep the item for good."""
    return int((now + timedelta(days=days)).timestamp()) if days > 0 else None


class DecisionStore:
    """The decision log table, through the low-level DynamoDB client: no resource model to
    load on a cold start, and the same client the idempotency layer already built."""

    def __init__(self, dynamodb, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def get(self, channel_arn: str, key: str) -> dict[str, Any] | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=_key(channel_arn, key), ConsistentRead=True
        )
        item = response.get("Item")
        return _from_dynamo(item) if item is not None else None

    def create(self, item: Mapping[str, Any]) -> bool:
        """Write a new item; False (and nothing written) when one with its key exists."""
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=_to_dynamo(item),
                ConditionExpression="attribute_not_exists(sortKey)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def update(self, channel_arn: str, key: str, changes: Mapping[str, Any]) -> None:
        """Set the given attributes of an existing item."""
        names = {f"#a{i}": name for i, name in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        assignments = ", ".join(f"#a{i} = :v{i}" for i in range(len(changes)))
        self._dynamodb.update_item(
            TableName=self._table,
            Key=_key(channel_arn, key),
            UpdateExpression=f"SET {assignments}",
            ConditionExpression="attribute_exists(sortKey)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_to_dynamo(values),
        )

    def put_if_newer(self, item: Mapping[str, Any], time_attribute: str) -> bool:
        """Write the item unless the stored one has a later `time_attribute`; False if not."""
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=_to_dynamo(item),
                ConditionExpression="attribute_not_exists(sortKey) OR #t <= :t",
                ExpressionAttributeNames={"#t": time_attribute},
                ExpressionAttributeValues=_to_dynamo({":t": item[time_attribute]}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

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
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#p = :p AND sortKey BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": _to_dynamo(
                {":p": channel_arn if channel_arn is not None else day, ":lo": lower, ":hi": upper}
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if channel_arn is not None:
            kwargs["ExpressionAttributeNames"] = {"#p": "channelArn"}
        else:  # `day` is a DynamoDB reserved word, hence the name placeholder
            kwargs.update(IndexName="byDay", ExpressionAttributeNames={"#p": "day"})
        if start:
            kwargs["ExclusiveStartKey"] = _to_dynamo(start)
        response = self._dynamodb.query(**kwargs)
        items = [_from_dynamo(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return items, (_from_dynamo(last) if last else None)


def _key(channel_arn: str, key: str) -> dict[str, Any]:
    return {"channelArn": {"S": channel_arn}, "sortKey": {"S": key}}


_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values in DynamoDB's wire format; None values are left out."""
    return {k: _serializer.serialize(_decimals(v)) for k, v in item.items() if v is not None}


def _decimals(value: Any) -> Any:
    """DynamoDB takes Decimal, not float."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decimals(v) for v in value]
    return value


def _from_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    """Decimal back to int or float, for JSON."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
