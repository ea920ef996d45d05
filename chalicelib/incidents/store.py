"""The incidents table: one item per incident, read strongly, and its keys-only indexes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.core.dynamo import Table


class IncidentStore:
    def __init__(self, dynamodb, table_name: str) -> None:
        self.table = Table(dynamodb, table_name, ("incidentId",))

    def get(self, incident_id: str) -> dict[str, Any] | None:
        return self.table.get({"incidentId": incident_id})

    def many(self, incident_ids: list[str]) -> list[dict[str, Any]]:
        return self.table.batch_get([{"incidentId": i} for i in dict.fromkeys(incident_ids)])

    def index_page(
        self,
        index: str,
        partition: tuple[str, str],
        sort: tuple[str, str, str],
        *,
        limit: int,
        newest_first: bool = True,
        start: Mapping[str, Any] | None = None,
    ) -> tuple[list[str], dict[str, Any] | None]:
        """Incident ids from one partition of a keys-only index, the sort key in a range."""
        (p_name, p_value), (s_name, lower, upper) = partition, sort
        request: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": "#p = :p AND #s BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#p": p_name, "#s": s_name},
            "ExpressionAttributeValues": {":p": p_value, ":lo": lower, ":hi": upper},
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = start
        items, last = self.table.query(**request)
        return [item["incidentId"] for item in items], last
