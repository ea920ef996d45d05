"""The service's structured logger and CloudWatch metrics (AWS Lambda Powertools), built on
first use so importing chalicelib reads nothing from the environment."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger, Metrics

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
