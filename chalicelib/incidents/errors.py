"""The 409 that carries the incident as it now is, so a client can show who acted first."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.core.errors import Conflict
from chalicelib.incidents.model import public


class IncidentConflict(Conflict):
    """409 with the incident as it now is (its public form)."""

    def __init__(self, message: str, incident: dict[str, Any]) -> None:
        super().__init__(message)
        self.incident = incident

    def response(self) -> Response:
        response = super().response()
        response.body = {**response.body, "incident": public(self.incident)}
        return response
