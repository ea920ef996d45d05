"""The service's structured logs and CloudWatch metrics (AWS Lambda Powertools), built on
first use so importing chalicelib reads nothing from the environment.

One way to log: every module logs to `logging.getLogger(__name__)`; `configure_logging`
(app.py) routes the `chalicelib` loggers through Powertools' JSON logger, and `correlate`
adds keys (event id, channel, moderator) to every line of the current invoke."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

SERVICE = "ivs-moderation"
NAMESPACE = "IvsModeration"


@cache
def logger() -> Logger:
    """JSON logs; chalicelib's own `logging` loggers are routed through it by app.py."""
    return Logger(service=SERVICE)


@cache
def metrics() -> Metrics:
    """EMF metrics, flushed after each event by the middleware in app.py."""
    return Metrics(namespace=NAMESPACE, service=SERVICE)


def configure_logging() -> Logger:
    """Route every `chalicelib` logger, those imported later included, through `logger()`."""
    logging.getLogger("chalicelib")  # registered now, so modules imported later inherit it
    copy_config_to_registered_loggers(source_logger=logger(), include={"chalicelib"})
    return logger()


def correlate(**keys: Any) -> None:
    """Keys every log line of this invoke carries (cleared when the next one starts)."""
    logger().append_keys(**keys)
