"""Committed incident transitions published on EventBridge: one PutEvents call per change.

The change is already committed when it is published, so a publish that fails (after the
client's bounded retries, then once more for entries PutEvents refused) never undoes it:
the events are logged, counted (metric `IncidentEventsDeferred`) and kept in an outbox,
one item of the incidents table, which the SLA sweep publishes every minute (`catch_up`)
and empties as they go out. Only if even the outbox cannot be written is an event lost:
that is logged as an error and counted (`IncidentEventsLost`). Delivery is at least once:
a consumer tells duplicates by (incidentId, incidentVersion, type).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.alerts.events import DETAIL_TYPE, SOURCE, transition_events
from chalicelib.core.dynamo import Table
from chalicelib.core.times import iso_time

logger = logging.getLogger(__name__)

BUS = "default"  # README, "Events and alerts": why the default bus
OUTBOX_KEY = {"incidentId": "#unpublished-events"}  # in no index: it has no index key
MAX_ENTRIES = 10  # PutEvents' limit per call
_PREFIX = "e_"  # the outbox item's attributes that are events


class EventPublisher:
    def __init__(
        self,
        events,
        outbox: Table,
        *,
        count: Callable[[str, int], None],
        clock: Callable[[], datetime],
        bus: str = BUS,
    ) -> None:
        self._events = events
        self._outbox = outbox
        self._count = count
        self._clock = clock
        self._bus = bus

    def publish(
        self,
        previous: Mapping[str, Any] | None,
        incident: Mapping[str, Any],
        entries: Sequence[Mapping[str, Any]],
        announce: str | None = None,
    ) -> None:
        """Publish the events of a committed change; never raises (see the docstring)."""
        at = iso_time(self._clock())
        details = transition_events(previous, incident, entries, announce=announce, at=at)
        if not details:
            return
        resources = [incident["channelArn"]]
        pending = [self._entry(detail, resources) for detail in details]
        failed = self._put(pending)
        if failed:
            self._defer(failed)

    def catch_up(self) -> int:
        """Publish what the outbox holds; the number published."""
        item = self._outbox.get(OUTBOX_KEY) or {}
        held = {name: json.loads(text) for name, text in item.items() if name.startswith(_PREFIX)}
        if not held:
            return 0
        names = list(held)
        failed = self._put([held[name] for name in names])
        sent = [name for name in names if held[name] not in failed]
        if sent:
            self._outbox.update(OUTBOX_KEY, {}, remove=sent)
        logger.info("deferred incident events published", extra={"published": len(sent)})
        return len(sent)

    def _entry(self, detail: Mapping[str, Any], resources: list[str]) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": json.dumps(detail, separators=(",", ":"), ensure_ascii=False),
            "Resources": resources,
            "EventBusName": self._bus,
        }

    def _put(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries that could not be published (PutEvents refused them twice, or failed)."""
        failed: list[dict[str, Any]] = []
        for first in range(0, len(entries), MAX_ENTRIES):
            batch = entries[first : first + MAX_ENTRIES]
            for _ in range(2):  # a refused entry (throttled, internal) is tried once more
                try:
                    response = self._events.put_events(Entries=batch)
                except (ClientError, BotoCoreError) as error:
                    logger.warning("PutEvents failed", extra={"error": str(error)})
                    break
                results = response.get("Entries", [])
                batch = [e for e, r in zip(batch, results, strict=False) if r.get("ErrorCode")]
                if not batch:
                    break
            failed += batch
        return failed

    def _defer(self, entries: list[dict[str, Any]]) -> None:
        """Kept for the SLA sweep to publish (`catch_up`)."""
        self._count("IncidentEventsDeferred", len(entries))
        held = {f"{_PREFIX}{uuid.uuid4().hex}": json.dumps(entry) for entry in entries}
        logger.error("incident events not published: deferred", extra={"events": len(entries)})
        try:
            self._outbox.update(OUTBOX_KEY, held)
        except (ClientError, BotoCoreError) as error:
            self._count("IncidentEventsLost", len(entries))
            logger.error(
                "incident events lost: neither published nor deferred",
                extra={"error": str(error), "events": [e["Detail"] for e in entries]},
            )
