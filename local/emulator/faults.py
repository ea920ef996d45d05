"""Fault injection: throttling, server errors and latency, per service, off by default.

The production code relies on botocore's standard retries and on Lambda's retry of a
failed invoke; these faults let tests and benchmarks exercise both against real HTTP.
Each service answers a fault in its own wire format (see `AwsService.throttled` and
`AwsService.internal_error`); the chat WebSocket answers ERROR frames 429 and 500.

Rates are probabilities drawn from one seedable RNG: 1.0 always fails, 0.0 never does,
and a seed makes a mixed rate reproducible.
"""

from __future__ import annotations

import asyncio
import enum
import random
from dataclasses import asdict, dataclass, fields
from typing import Any

SERVICES = ("rekognition", "ivs", "ivschat", "comprehend")


class Fault(enum.Enum):
    THROTTLE = "throttle"
    ERROR = "error"


@dataclass(frozen=True)
class FaultConfig:
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: float = 0.0

    @classmethod
    def parse(cls, service: str, body: Any) -> FaultConfig:
        if not isinstance(body, dict):
            raise ValueError(f"{service}: expected an object")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(body) - known)
        if unknown:
            raise ValueError(f"{service}: unknown setting(s) {', '.join(unknown)}")
        for name, value in body.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{service}.{name} must be a number")
            if name.endswith("_rate") and not 0 <= value <= 1:
                raise ValueError(f"{service}.{name} must be between 0 and 1")
            if value < 0:
                raise ValueError(f"{service}.{name} must not be negative")
        return cls(**{name: float(value) for name, value in body.items()})


class Faults:
    def __init__(self) -> None:
        self._configs: dict[str, FaultConfig] = {}
        self._rng = random.Random()

    def configure(self, body: Any) -> None:
        """Apply `{"<service>": {...}, "seed": n}`; services not named keep their settings."""
        if not isinstance(body, dict):
            raise ValueError("expected an object")
        unknown = sorted(set(body) - {*SERVICES, "seed"})
        if unknown:
            raise ValueError(f"unknown service(s) {', '.join(unknown)}; known: {SERVICES}")
        configs = {name: FaultConfig.parse(name, body[name]) for name in SERVICES if name in body}
        if "seed" in body:
            if isinstance(body["seed"], bool) or not isinstance(body["seed"], int):
                raise ValueError("seed must be an integer")
            self._rng.seed(body["seed"])
        self._configs.update(configs)

    def reset(self) -> None:
        self._configs.clear()

    def snapshot(self) -> dict[str, dict[str, float]]:
        return {name: asdict(self._configs.get(name, FaultConfig())) for name in SERVICES}

    async def inject(self, service: str) -> Fault | None:
        """Delay as configured, then draw whether this request throttles or fails."""
        config = self._configs.get(service, FaultConfig())
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if self._rng.random() < config.throttle_rate:
            return Fault.THROTTLE
        if self._rng.random() < config.error_rate:
            return Fault.ERROR
        return None
