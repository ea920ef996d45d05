"""A DynamoDB table through the low-level client: no resource model to load on a cold
start, and the same client the idempotency layer already built."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

BATCH_GET_MAX = 100  # BatchGetItem's limit per request


class Table:
    def __init__(self, dynamodb, name: str, key: Sequence[str]) -> None:
        self._dynamodb = dynamodb
        self.name = name
        self._key = tuple(key)

    @property
    def client(self):
        return self._dynamodb

    def get(self, key: Mapping[str, Any]) -> dict[str, Any] | None:
        """The item (a strongly consistent read), or None."""
        response = self._dynamodb.get_item(
            TableName=self.name, Key=to_dynamo(key), ConsistentRead=True
        )
        item = response.get("Item")
        return from_dynamo(item) if item is not None else None

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> bool:
        """Write the item; False (nothing written) when the condition does not hold."""
        request: dict[str, Any] = {"TableName": self.name, "Item": to_dynamo(item)}
        return self._conditional(self._dynamodb.put_item, request, condition, values, names)

    def create(self, item: Mapping[str, Any]) -> bool:
        """Write a new item; False when one with its key exists."""
        return self.put(item, condition=f"attribute_not_exists({self._key[0]})")

    def update(
        self,
        key: Mapping[str, Any],
        changes: Mapping[str, Any],
        *,
        remove: Iterable[str] = (),
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> bool:
        """Set (and remove) attributes; False when the condition does not hold. Attribute
        names in `changes` and `remove` are placeholders here, so reserved words are fine."""
        set_names = {f"#s{i}": name for i, name in enumerate(changes)}
        set_values = {f":s{i}": value for i, value in enumerate(changes.values())}
        removed = {f"#r{i}": name for i, name in enumerate(remove)}
        clauses = []
        if changes:
            clauses.append("SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(changes))))
        if removed:
            clauses.append("REMOVE " + ", ".join(removed))
        request: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_dynamo(key),
            "UpdateExpression": " ".join(clauses),
        }
        return self._conditional(
            self._dynamodb.update_item,
            request,
            condition,
            {**set_values, **(values or {})},
            {**set_names, **removed, **(names or {})},
        )

    def query(self, **request: Any) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query page: (items, the key to continue from or None). Values in
        ExpressionAttributeValues and ExclusiveStartKey are plain Python."""
        request = {"TableName": self.name, **request}
        for field in ("ExpressionAttributeValues", "ExclusiveStartKey"):
            if request.get(field):
                request[field] = to_dynamo(request[field])
        response = self._dynamodb.query(**request)
        last = response.get("LastEvaluatedKey")
        items = [from_dynamo(item) for item in response.get("Items", [])]
        return items, (from_dynamo(last) if last else None)

    def scan(
        self, limit: int, start: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        request: dict[str, Any] = {"TableName": self.name, "Limit": limit}
        if start:
            request["ExclusiveStartKey"] = to_dynamo(start)
        response = self._dynamodb.scan(**request)
        last = response.get("LastEvaluatedKey")
        items = [from_dynamo(item) for item in response.get("Items", [])]
        return items, (from_dynamo(last) if last else None)

    def batch_get(self, keys: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The items of these keys that exist (in no particular order)."""
        items: list[dict[str, Any]] = []
        for first in range(0, len(keys), BATCH_GET_MAX):
            pending = [to_dynamo(key) for key in keys[first : first + BATCH_GET_MAX]]
            for _ in range(5):  # unprocessed keys come back under load: ask again, bounded
                if not pending:
                    break
                response = self._dynamodb.batch_get_item(
                    RequestItems={self.name: {"Keys": pending, "ConsistentRead": True}}
                )
                items += [from_dynamo(item) for item in response["Responses"].get(self.name, [])]
                pending = response.get("UnprocessedKeys", {}).get(self.name, {}).get("Keys", [])
            if pending:
                raise ConditionFailed(f"{len(pending)} keys stayed unprocessed") from None
        return items

    @staticmethod
    def _conditional(call, request, condition, values, names) -> bool:
        if condition:
            request["ConditionExpression"] = condition
        if values:
            request["ExpressionAttributeValues"] = to_dynamo(values)
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        try:
            call(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True


@dataclass(frozen=True)
class Put:
    """One conditional write of a transaction: a whole item."""

    table: Table
    item: Mapping[str, Any]
    condition: str
    values: Mapping[str, Any] | None = None
    names: Mapping[str, str] | None = None  # placeholders (#name) the condition uses


@dataclass(frozen=True)
class Set:
    """One conditional write of a transaction: attributes of an item (created if absent),
    and attributes it no longer has (`remove`)."""

    table: Table
    key: Mapping[str, Any]
    changes: Mapping[str, Any]
    condition: str
    values: Mapping[str, Any] | None = None
    names: Mapping[str, str] | None = None  # placeholders (#name) the condition uses
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delete:
    """One conditional write of a transaction: the item removed."""

    table: Table
    key: Mapping[str, Any]
    condition: str
    values: Mapping[str, Any] | None = None
    names: Mapping[str, str] | None = None


def transact(dynamodb, writes: Sequence[Put | Set | Delete]) -> bool:
    """All the writes or none (TransactWriteItems); False when a condition did not hold."""
    items = []
    for write in writes:
        values = dict(write.values or {})
        request: dict[str, Any] = {
            "TableName": write.table.name,
            "ConditionExpression": write.condition,
        }
        names = dict(write.names or {})
        if isinstance(write, Put):
            request["Item"] = to_dynamo(write.item)
            kind = "Put"
        elif isinstance(write, Delete):
            request["Key"] = to_dynamo(write.key)
            kind = "Delete"
        else:
            changed = {f"#s{i}": name for i, name in enumerate(write.changes)}
            removed = {f"#r{i}": name for i, name in enumerate(write.remove)}
            values.update({f":s{i}": value for i, value in enumerate(write.changes.values())})
            clauses = []
            if changed:
                clauses.append("SET " + ", ".join(f"{n} = :s{i}" for i, n in enumerate(changed)))
            if removed:
                clauses.append("REMOVE " + ", ".join(removed))
            request.update(Key=to_dynamo(write.key), UpdateExpression=" ".join(clauses))
            names.update({**changed, **removed})
            kind = "Update"
        if names:
            request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = to_dynamo(values)
        items.append({kind: request})
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons", [])
        # A condition that did not hold, or another transaction on the same item at the
        # same moment (TransactionConflict, which botocore does not retry): either way the
        # caller re-reads and tries again, as a lost race.
        if any(r.get("Code") in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons):
            return False
        raise
    return True


class ConditionFailed(Exception):
    """DynamoDB would not do what was asked, whatever was retried."""


_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values in DynamoDB's wire format; None values are left out."""
    return {k: _serializer.serialize(_decimals(v)) for k, v in item.items() if v is not None}


def _decimals(value: Any) -> Any:
    """DynamoDB takes Decimal, not float."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _decimals(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_decimals(v) for v in value]
    return value


def from_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    """Decimal back to int or float, Binary to bytes, for JSON and comparisons."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value
