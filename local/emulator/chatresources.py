"""IVS chat's room settings, logging configurations and tags: the operations a deploy makes.

- UpdateRoom changes the members given: ``messageReviewHandler`` (an empty ``uri``
  detaches the handler; ``fallbackResult`` defaults to ALLOW), the message rate and length,
  and up to 3 ``loggingConfigurationIdentifiers`` (the ARNs of existing configurations).
- Logging configurations (Create, Get, List, Update, Delete): ARNs
  ``arn:aws:ivschat:<region>:<account>:logging-configuration/<id>``, ``state`` ACTIVE at
  once, exactly one destination (s3, cloudWatchLogs or firehose), at most
  `MAX_LOGGING_CONFIGURATIONS` per account (ServiceQuotaExceededException). Only
  CloudWatch Logs destinations receive records (chatlogs.py).
- Tags (TagResource, UntagResource, ListTagsForResource, ``/tags/<arn>``) on rooms and
  logging configurations. botocore's ResourceArn pattern admits a one-letter resource type
  only, which IVS does not enforce; here an ARN must name an existing resource instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from local.emulator.clock import rfc3339
from local.emulator.validation import Violation
from local.emulator.wire import ApiError, Params, random_id

if TYPE_CHECKING:
    from local.emulator.rooms import Room

MAX_LOGGING_CONFIGURATIONS = 10  # per account and region (IVS chat's service quotas)
# The model's ResourceType enum has ROOM only: errors about logging configurations say ROOM.
RESOURCE_TYPE = "ROOM"
ROOM_SETTINGS = ("name", "maximumMessageRatePerSecond", "maximumMessageLength")


class ChatResources:
    """Mixed into IvsChat, whose rooms, clock, region and account these act on."""

    rooms: dict[str, Room]
    logging_configurations: dict[str, dict[str, Any]]

    def review_handler(self, params: Params) -> dict[str, str] | None:
        """A room's messageReviewHandler as set: None when the uri is empty (detached)."""
        handler = params["messageReviewHandler"]
        if not handler.get("uri"):
            return None
        return {"fallbackResult": "ALLOW", **handler}

    def check_logging_identifiers(self, params: Params) -> None:
        for identifier in params.get("loggingConfigurationIdentifiers", []):
            self._logging_configuration(identifier)

    async def update_room(self, params: Params, request_id: str) -> dict[str, Any]:
        room = self._room(params["identifier"])
        self.check_logging_identifiers(params)
        data = room.data
        data.update({name: params[name] for name in ROOM_SETTINGS if name in params})
        if "loggingConfigurationIdentifiers" in params:
            data["loggingConfigurationIdentifiers"] = list(
                params["loggingConfigurationIdentifiers"]
            )
        if "messageReviewHandler" in params:
            handler = self.review_handler(params)
            if handler is None:
                data.pop("messageReviewHandler", None)
            else:
                data["messageReviewHandler"] = handler
        data["updateTime"] = rfc3339(self._clock.now())
        return data

    async def create_logging_configuration(self, params: Params, request_id: str) -> dict:
        if len(self.logging_configurations) >= MAX_LOGGING_CONFIGURATIONS:
            raise self.error(
                "ServiceQuotaExceededException",
                f"At most {MAX_LOGGING_CONFIGURATIONS} logging configurations per account",
                resourceId=self._account,
                resourceType=RESOURCE_TYPE,
                limit=MAX_LOGGING_CONFIGURATIONS,
            )
        self._check_destination(params["destinationConfiguration"])
        config_id = random_id()
        now = rfc3339(self._clock.now())
        config = {
            "arn": f"arn:aws:ivschat:{self._region}:{self._account}:logging-configuration/"
            f"{config_id}",
            "id": config_id,
            "createTime": now,
            "updateTime": now,
            "name": params.get("name", ""),
            "destinationConfiguration": params["destinationConfiguration"],
            "state": "ACTIVE",
            "tags": params.get("tags", {}),
        }
        self.logging_configurations[config["arn"]] = config
        return config

    async def get_logging_configuration(self, params: Params, request_id: str) -> dict:
        return self._logging_configuration(params["identifier"])

    async def list_logging_configurations(self, params: Params, request_id: str) -> dict:
        summaries = [
            self.project("LoggingConfigurationSummary", config)
            for config in self.logging_configurations.values()
        ]
        return self.page(summaries, params, "loggingConfigurations", 50)

    async def update_logging_configuration(self, params: Params, request_id: str) -> dict:
        config = self._logging_configuration(params["identifier"])
        if "destinationConfiguration" in params:
            self._check_destination(params["destinationConfiguration"])
            config["destinationConfiguration"] = params["destinationConfiguration"]
        if "name" in params:
            config["name"] = params["name"]
        config["updateTime"] = rfc3339(self._clock.now())
        return config

    async def delete_logging_configuration(self, params: Params, request_id: str) -> None:
        """Rooms that named it keep the identifier, and log nowhere through it."""
        del self.logging_configurations[self._logging_configuration(params["identifier"])["arn"]]

    async def tag_resource(self, params: Params, request_id: str) -> dict[str, Any]:
        self._tagged(params["resourceArn"]).update(params["tags"])
        return {}

    async def untag_resource(self, params: Params, request_id: str) -> dict[str, Any]:
        tags = self._tagged(params["resourceArn"])
        for key in params["tagKeys"]:
            tags.pop(key, None)
        return {}

    async def list_tags_for_resource(self, params: Params, request_id: str) -> dict[str, Any]:
        return {"tags": dict(self._tagged(params["resourceArn"]))}

    def log_groups(self, room: Room) -> list[str]:
        """The CloudWatch Logs groups `room` logs to."""
        groups = []
        for identifier in room.data["loggingConfigurationIdentifiers"]:
            config = self.logging_configurations.get(identifier)
            destination = (config or {}).get("destinationConfiguration", {})
            if "cloudWatchLogs" in destination:
                groups.append(destination["cloudWatchLogs"]["logGroupName"])
        return groups

    def _tagged(self, arn: str) -> dict[str, str]:
        if arn in self.rooms:
            return self.rooms[arn].data.setdefault("tags", {})
        if arn in self.logging_configurations:
            return self.logging_configurations[arn].setdefault("tags", {})
        raise self.error(
            "ResourceNotFoundException",
            f"Resource {arn} not found",
            resourceId=self._resource_id(arn),
            resourceType=RESOURCE_TYPE,
        )

    def _logging_configuration(self, arn: str) -> dict[str, Any]:
        if arn not in self.logging_configurations:
            raise self.error(
                "ResourceNotFoundException",
                f"Logging configuration {arn} not found",
                resourceId=self._resource_id(arn),
                resourceType=RESOURCE_TYPE,
            )
        return self.logging_configurations[arn]

    def _check_destination(self, destination: dict[str, Any]) -> None:
        if len(destination) != 1:
            constraint = "Member must have exactly one of s3, cloudWatchLogs, firehose"
            violation = Violation("destinationConfiguration", constraint, sorted(destination))
            raise self.validation_error([violation])

    # Provided by IvsChat and its bases:
    if TYPE_CHECKING:
        _clock: Any
        _region: str
        _account: str

        def _room(self, arn: str) -> Room: ...
        def _resource_id(self, arn: str | None) -> str: ...
        def error(
            self, code: str, message: str, status: int | None = None, **f: Any
        ) -> ApiError: ...
        def validation_error(self, found: list[Violation]) -> ApiError: ...
        def project(self, shape_name: str, value: dict[str, Any]) -> dict[str, Any]: ...
        def page(self, items: list, params: Params, key: str, default_size: int) -> dict: ...
