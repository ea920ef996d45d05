"""Zero-latency stand-ins for AWS, for measuring the handler's own cost and counting its calls.

Every call is counted by `service:Operation` (the IAM action's name), so the same fakes
give the call counts and cost of a scenario. They answer as AWS does for the calls the
handler makes, no more: this is a measuring instrument, not an emulator (that is
local/emulator, for correctness).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

NO_LABELS = {"ModerationLabels": [], "ModerationModelVersion": "7.0"}


def _conditional_failure(operation: str, item: dict | None = None) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": "ConditionalCheckFailedException", "Message": "The condition failed"}
    }
    if item is not None:
        response["Item"] = item
    return ClientError(response, operation)


class Calls(Counter):
    def cost_per_1000(self, frames: int) -> float:
        """US list prices: Rekognition $0.001 an image; S3 GET $0.0004 per 1000; DynamoDB
        on-demand $1.25 per million write request units (1 KB each) and $0.25 per million
        read request units (a strongly consistent read of up to 4 KB), counted by item size
        (`dynamodb:WriteUnits`, `dynamodb:ReadUnits`). IVS chat events are left out: their
        price depends on the room's traffic."""
        dollars = (
            self["rekognition:DetectModerationLabels"] * 0.001
            + self["s3:GetObject"] * 0.0004 / 1000
            + self[WRITE_UNITS] * 1.25 / 1e6
            + self[READ_UNITS] * 0.25 / 1e6
        )
        return dollars * 1000 / frames


WRITE_UNITS, READ_UNITS = "dynamodb:WriteUnits", "dynamodb:ReadUnits"


def _size(value: Any) -> int:
    """An attribute value's size as DynamoDB counts it, near enough (names + values)."""
    ((kind, inner),) = value.items()
    if kind in ("S", "B"):
        return len(inner.encode() if isinstance(inner, str) else inner)
    if kind == "N":
        return len(inner) // 2 + 1
    if kind == "M":
        return 3 + sum(len(k) + _size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + _size(v) for v in inner)
    return 1  # BOOL, NULL


def _item_size(item: dict | None) -> int:
    return sum(len(k) + _size(v) for k, v in (item or {}).items())


class FakeRekognition:
    def __init__(self, calls: Calls, labels_for: Callable[[dict], dict]) -> None:
        self.calls, self.labels_for = calls, labels_for

    def detect_moderation_labels(self, Image: dict, MinConfidence: float = 50) -> dict:
        self.calls["rekognition:DetectModerationLabels"] += 1
        return self.labels_for(Image)


class FakeS3:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.objects: dict[tuple[str, str], bytes] = {}

    def get_object(self, Bucket: str, Key: str, **conditions) -> dict:
        """The object (IfMatch and VersionId are not checked: every write here is current)."""
        self.calls["s3:GetObject"] += 1
        body = self.objects[(Bucket, Key)]
        return {"Body": io.BytesIO(body), "ContentLength": len(body)}


class FakeChat:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def send_event(self, **request) -> dict:
        self.calls["ivschat:SendEvent"] += 1
        return {"id": f"{self.calls['ivschat:SendEvent']:012d}"}


class FakeIvs:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def stop_stream(self, channelArn: str) -> dict:
        self.calls["ivs:StopStream"] += 1
        return {}

    def get_channel(self, arn: str) -> dict:
        self.calls["ivs:GetChannel"] += 1
        return {"channel": {"arn": arn, "name": "bench-" + arn.rsplit("/", 1)[1]}}


# Each table's key (infra/tables.yaml), by the last word of its name.
TABLE_KEYS = {
    "decisions": ("channelArn", "sortKey"),
    "idempotency": ("id",),
    "incidents": ("incidentId",),
    "channels": ("channelArn",),
}


class FakeDynamoDB:
    """The low-level DynamoDB client, for the tables the handler writes: items in wire
    format, keyed by each table's key; conditional writes honour the conditions the handler
    uses, evaluated for what they are (this is single-threaded: no races to model)."""

    def __init__(self, calls: Calls, *, units: bool = True) -> None:
        self.calls = calls
        self.items: dict[tuple, dict] = {}
        self.units = units  # count request units by item size (for cost; costs time)

    def _key(self, table: str, item: dict) -> tuple:
        names = TABLE_KEYS[table.rsplit("-", 1)[1]]  # bench-decisions -> decisions
        return (table, *(item[name]["S"] for name in names))

    def _write_units(self, *items: dict | None) -> None:
        if self.units:
            self.calls[WRITE_UNITS] += max(1, -(-max(map(_item_size, items)) // 1024))

    def get_item(self, TableName: str, Key: dict, **_) -> dict:
        self.calls["dynamodb:GetItem"] += 1
        item = self.items.get(self._key(TableName, Key))
        if self.units:
            self.calls[READ_UNITS] += max(1, -(-_item_size(item) // 4096))
        return {"Item": dict(item)} if item else {}

    def put_item(self, TableName: str, Item: dict, **request) -> dict:
        self.calls["dynamodb:PutItem"] += 1
        key = self._key(TableName, Item)
        old = self.items.get(key)
        self._write_units(old, Item)  # conditional failures consume them too
        if not _holds(request, old):
            raise _conditional_failure("PutItem", old)
        self.items[key] = dict(Item)
        return {}

    def update_item(self, TableName: str, Key: dict, **request) -> dict:
        self.calls["dynamodb:UpdateItem"] += 1
        key = self._key(TableName, Key)
        old = self.items.get(key)
        if not _holds(request, old):
            raise _conditional_failure("UpdateItem", old)
        item = {**(old or Key)}
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        expression = request["UpdateExpression"]
        sets, _, removes = expression.partition(" REMOVE ")
        if sets.startswith("REMOVE "):
            sets, removes = "", sets[len("REMOVE ") :]
        for assignment in sets.removeprefix("SET ").split(", ") if sets else []:
            name, value = assignment.split(" = ")
            item[names[name]] = values[value]
        for name in removes.split(", ") if removes else []:
            item.pop(names[name], None)
        self._write_units(old, item)
        self.items[key] = item
        return {}

    def delete_item(self, TableName: str, Key: dict, **_) -> dict:
        self.calls["dynamodb:DeleteItem"] += 1
        self._write_units(self.items.pop(self._key(TableName, Key), None))
        return {}

    def transact_write_items(self, TransactItems: list) -> dict:
        """All or nothing: every condition is checked before anything is written."""
        self.calls["dynamodb:TransactWriteItems"] += 1
        writes = [next(iter(item.items())) for item in TransactItems]
        for kind, request in writes:
            target = request["Item"] if kind == "Put" else request["Key"]
            if not _holds(request, self.items.get(self._key(request["TableName"], target))):
                raise ClientError(
                    {
                        "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                        "CancellationReasons": [{"Code": "ConditionalCheckFailed"}],
                    },
                    "TransactWriteItems",
                )
        for kind, request in writes:
            request = {k: v for k, v in request.items() if k != "ConditionExpression"}
            if self.units:  # transactional writes cost twice
                self.calls[WRITE_UNITS] += 1
            (self.put_item if kind == "Put" else self.update_item)(**request)
        return {}


def _holds(request: dict, item: dict | None) -> bool:
    """Whether the handler's condition holds for `item` (None: no such item). The handler
    uses these forms only: attribute_(not_)exists(a), a = :v, a <= :v, joined by OR."""
    condition = request.get("ConditionExpression")
    if not condition:
        return True
    names = request.get("ExpressionAttributeNames", {})
    values = request.get("ExpressionAttributeValues", {})

    def attribute(name: str):
        value = (item or {}).get(names.get(name, name))
        return None if value is None else next(iter(value.values()))

    def holds(clause: str) -> bool:
        clause = clause.strip()
        if clause.startswith("attribute_not_exists("):
            return attribute(clause[21:-1]) is None
        if clause.startswith("attribute_exists("):
            return attribute(clause[17:-1]) is not None
        for operator, test in ((" <= ", lambda a, b: a <= b), (" = ", lambda a, b: a == b)):
            if operator in clause:
                left, right = clause.split(operator)
                current = attribute(left)
                wanted = next(iter(values[right.strip()].values()))
                return current is not None and test(current, wanted)
        raise ValueError(f"condition the fake does not know: {clause}")

    return any(holds(clause) for clause in condition.split(" OR "))


class FakeAws:
    """One account's worth of fakes, sharing one call counter; `units=False` leaves out
    DynamoDB's request units (they cost the measuring instrument time)."""

    def __init__(
        self, labels_for: Callable[[dict], dict] = lambda image: NO_LABELS, *, units: bool = True
    ) -> None:
        self.calls = Calls()
        self.s3 = FakeS3(self.calls)
        self.clients = {
            "rekognition": FakeRekognition(self.calls, labels_for),
            "s3": self.s3,
            "ivschat": FakeChat(self.calls),
            "ivs": FakeIvs(self.calls),
            "dynamodb": FakeDynamoDB(self.calls, units=units),
        }

    def client(self, service: str):
        return self.clients[service]
