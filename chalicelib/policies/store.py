"""The policies table (POLICIES_TABLE, keys `pk`, `sk`; docs/policies.md):

- ``policy`` / name: the current version (the head) `{name, version, document, savedAt,
  savedBy}`;
- ``policy#<name>`` / ``v#000001``: every version, immutable `{document, version, savedAt,
  savedBy, comment, diff, restoredFrom?, deleted?}`;
- ``channel`` / channel ARN: a policy set on one channel `{policy, setAt, setBy}`;
- ``watch`` / channel ARN: a channel on the watchlist `{until, reason, addedBy, addedAt,
  incidentId?, expiresAt}` (TTL deletes late: every read checks `until`);
- ``log`` / ``<iso time>#<id>``: an audit line of a channel assignment or a watchlist change
  `{what, who, at, before, after}`.

A save writes the version and the head in one transaction, conditional on the version the
editor saw: a conflict (`PolicyConflict`, a 409) names who saved since.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.core.dynamo import Delete, Put, Table, transact
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.times import iso_time
from chalicelib.policies.assignments import NEW, ChannelRecords, plain
from chalicelib.policies.checks import PolicyInvalid
from chalicelib.policies.model import MAX_POLICIES, PolicyDocument, check_name, diff

HEADS = "policy"


class PolicyConflict(Conflict):
    """The policy changed since the editor read it: the message names who saved since."""

    def __init__(self, message: str, head: Mapping[str, Any] | None) -> None:
        super().__init__(message)
        self.head = dict(head) if head else None


class PolicyNotFound(NotFound):
    pass


def version_key(version: int) -> str:
    return f"v#{version:06d}"


class PolicyStore(ChannelRecords):
    """Policies, their versions, and (ChannelRecords) assignments, watchlist and audit log."""

    def __init__(self, dynamodb, table_name: str) -> None:
        self.table = Table(dynamodb, table_name, ("pk", "sk"))

    # --- policies ------------------------------------------------------------------------

    def head(self, name: str) -> dict[str, Any] | None:
        """The policy's current version, or None."""
        return self.table.get({"pk": HEADS, "sk": name})

    def heads(self) -> list[dict[str, Any]]:
        """Every policy's current version, by name."""
        return self._all(HEADS)

    def save(
        self,
        name: str,
        document: PolicyDocument,
        *,
        expected_version: int,
        by: str,
        at: datetime,
        comment: str = "",
        restored_from: int | None = None,
    ) -> dict[str, Any]:
        """Save a new version (the head and the version in one transaction) if the head is
        still `expected_version` (0: the policy does not exist); PolicyConflict otherwise."""
        check_name(name)
        before = self.head(name)
        if (before["version"] if before else 0) != expected_version:
            raise _conflict(name, before, expected_version)
        if before is None and len(self.heads()) >= MAX_POLICIES:
            raise PolicyInvalid("name", f"there are {MAX_POLICIES} policies already, the most")
        # A policy deleted before keeps its versions: a new one goes on after them.
        version = (expected_version or self._last_version(name)) + 1
        after = document.to_json()
        record = {
            "document": after,
            "version": version,
            "savedAt": iso_time(at),
            "savedBy": by,
            "comment": comment,
            "diff": diff(before["document"] if before else None, after),
            "restoredFrom": restored_from,
        }
        head = {"name": name, "version": version, "document": after, **_when(record)}
        written = transact(
            self.table.client,
            [
                Put(
                    self.table, {"pk": f"policy#{name}", "sk": version_key(version), **record}, NEW
                ),
                _head_write(self.table, {"pk": HEADS, "sk": name, **head}, expected_version),
            ],
        )
        if not written:
            raise _conflict(name, self.head(name), expected_version)
        return head

    def restore(
        self, name: str, version: int, *, expected_version: int, by: str, at: datetime
    ) -> dict[str, Any]:
        """Save version `version`'s document as a new version (`restoredFrom`)."""
        old = self.version(name, version)
        if old is None or old.get("deleted"):
            raise PolicyNotFound(f"{name} has no version {version} to restore")
        document = PolicyDocument.parse(old["document"], name)
        return self.save(
            name,
            document,
            expected_version=expected_version,
            by=by,
            at=at,
            comment=f"restored version {version}",
            restored_from=version,
        )

    def delete(self, name: str, *, expected_version: int, by: str, at: datetime) -> int:
        """Write a last version (`deleted: true`) and remove the head; its version number."""
        before = self.head(name)
        if before is None:
            raise PolicyNotFound(f"there is no policy {name}")
        if before["version"] != expected_version:
            raise _conflict(name, before, expected_version)
        version = expected_version + 1
        record = {
            "version": version,
            "savedAt": iso_time(at),
            "savedBy": by,
            "comment": "deleted",
            "diff": diff(before["document"], None),
            "deleted": True,
        }
        written = transact(
            self.table.client,
            [
                Put(
                    self.table, {"pk": f"policy#{name}", "sk": version_key(version), **record}, NEW
                ),
                Delete(
                    self.table,
                    {"pk": HEADS, "sk": name},
                    "version = :seen",
                    {":seen": expected_version},
                ),
            ],
        )
        if not written:
            raise _conflict(name, self.head(name), expected_version)
        return version

    def versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of the policy, newest first, without their documents."""
        return [
            {k: v for k, v in item.items() if k not in ("pk", "sk", "document")}
            for item in self._all(f"policy#{name}", newest_first=True)
        ]

    def version(self, name: str, version: int) -> dict[str, Any] | None:
        item = self.table.get({"pk": f"policy#{name}", "sk": version_key(version)})
        return plain(item)

    def _last_version(self, name: str) -> int:
        items, _ = self.table.query(
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": f"policy#{name}"},
            ConsistentRead=True,
            ScanIndexForward=False,
            Limit=1,
        )
        return items[0]["version"] if items else 0


def _when(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"savedAt": record["savedAt"], "savedBy": record["savedBy"]}


def _head_write(table: Table, head: Mapping[str, Any], expected_version: int) -> Put:
    if expected_version == 0:
        return Put(table, head, NEW)
    return Put(table, head, "version = :seen", {":seen": expected_version})


def _conflict(name: str, head: Mapping[str, Any] | None, expected: int) -> PolicyConflict:
    if head is None:
        message = f"{name} was deleted since version {expected} was read"
    else:
        message = (
            f"{name} was saved by {head['savedBy']} at {head['savedAt']} (version"
            f" {head['version']}) since version {expected} was read: reload it and try again"
        )
    return PolicyConflict(message, head)
