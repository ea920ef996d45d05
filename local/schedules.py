"""The app's @app.schedule handlers on the local stack, as EventBridge's schedule rules run
them: every rate (LOCAL_SCHEDULE_SECONDS shortens it, for a demo), in the relay's pool, with
a "Scheduled Event". A failed tick is logged; the next one runs. `python -m local.schedules
NAME` runs one tick now, with the stack's environment (`make sweep` runs the SLA sweep)."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from local.lambda_payloads import lambda_context, scheduled_event
from local.routes import ScheduleRoute

log = logging.getLogger("local.relay")


def every(schedule: ScheduleRoute) -> int:
    return int(os.environ.get("LOCAL_SCHEDULE_SECONDS") or schedule.seconds)


def ticking(
    schedule: ScheduleRoute, handler: Callable[..., Any], relay: Any, stopping: threading.Event
) -> threading.Thread:
    """A thread that submits the schedule's invoke to the relay's pool on every tick."""
    region, account = relay._routes.region, relay._routes.account

    def tick() -> None:
        while not stopping.wait(every(schedule)):
            relay.submit(run_once, schedule, handler, region, account)

    log.info("%s <- every %d s", schedule.function.name, every(schedule))
    return threading.Thread(target=tick)


def run_once(schedule: ScheduleRoute, handler: Callable[..., Any], region: str, account: str):
    event = scheduled_event(region, account)
    try:
        result = handler(event, lambda_context(schedule.function, event["id"]))
    except Exception:
        log.exception("%s failed; the next tick runs it again", schedule.function.name)
        return None
    log.info("%s: %s", schedule.function.name, result)
    return result


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import app  # after the environment is set

    name = sys.argv[1] if len(sys.argv) > 1 else "sla_sweep"
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", f"ivs-moderation-local-{name}")
    from local.routes import Function

    function = Function(name, function_name, "", 60, 128)
    print(run_once(ScheduleRoute(function, 60), app.app.handler_map[name], "", ""))


if __name__ == "__main__":
    main()
