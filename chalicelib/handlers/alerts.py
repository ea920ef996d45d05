"""The alerts' handlers: the SLA sweep (every minute) and the e-mails of alerting events."""

from __future__ import annotations

from typing import Any

from chalicelib import dependencies


def sla_sweep() -> dict[str, Any]:
    return dependencies.sla_sweep().sweep()


def send_alerts(event: dict[str, Any]) -> list[str]:
    return dependencies.alert_sender().send(event["detail"])
