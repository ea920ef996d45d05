"""Policies as data (docs/policies.md): list, read, save, restore, delete, and backtest a draft.

Reading is for triage and up, changing and backtesting for admins (api/roles.py). A save is
conditional on the version the editor saw (`expectedVersion`, 0 for a new policy): of two
admins saving at once one wins, the other gets a 409 naming who saved since.
"""

from __future__ import annotations

from typing import Any

from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.requests import json_body, query_params
from chalicelib.core.errors import BadRequest, NotFound
from chalicelib.core.schema import Field, Integer, Text, fields
from chalicelib.core.validation import shown, whole_number
from chalicelib.policies.service import valid_name, writable_name

policies = ApiBlueprint(__name__)

MAX_VERSION = 10**9
VERSION = Integer(0, MAX_VERSION)
COMMENT = Text(500, multiline=True, blank=True)


class Document(Field):
    """A policy document: a JSON object, validated by policies/model.py when it is used."""

    def parse(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise BadRequest(f"{name} must be a JSON object (a policy document)")
        return value


@policies.route("/policies", methods=["GET", "OPTIONS"])
def list_policies():
    signed_in(policies)
    query_params(policies.current_request, ())
    return _service().listing()


@policies.route("/policies/{name}", methods=["GET", "OPTIONS"])
def get_policy(name: str):
    signed_in(policies)
    query_params(policies.current_request, ())
    return _service().policy(_known(name))


@policies.route("/policies/{name}/versions/{version}", methods=["GET", "OPTIONS"])
def get_policy_version(name: str, version: str):
    signed_in(policies)
    query_params(policies.current_request, ())
    try:
        number = whole_number(version, "version", minimum=0, maximum=MAX_VERSION)
    except BadRequest:
        raise NotFound(f"no such version of {shown(name)}: {shown(version)}") from None
    return _service().version(_known(name), number)


@policies.route("/policies/{name}", methods=["PUT"])  # OPTIONS: with GET
def save_policy(name: str):
    moderator = signed_in(policies)
    body = _body(
        {"document": Document(), "expectedVersion": VERSION, "comment": COMMENT},
        required=("document", "expectedVersion"),
    )
    return _service().save(
        writable_name(name),
        body["document"],
        expected=body["expectedVersion"],
        by=moderator.username,
        comment=body.get("comment", ""),
    )


@policies.route("/policies/{name}/restore", methods=["POST", "OPTIONS"])
def restore_policy(name: str):
    moderator = signed_in(policies)
    body = _body(
        {"version": Integer(1, MAX_VERSION), "expectedVersion": VERSION},
        required=("version", "expectedVersion"),
    )
    return _service().restore(
        writable_name(_known(name)),
        body["version"],
        expected=body["expectedVersion"],
        by=moderator.username,
    )


@policies.route("/policies/{name}", methods=["DELETE"])
def delete_policy(name: str):
    moderator = signed_in(policies)
    params = query_params(policies.current_request, ("expectedVersion",))
    if "expectedVersion" not in params:
        raise BadRequest("expectedVersion is required: the version you saw (?expectedVersion=3)")
    expected = whole_number(
        params["expectedVersion"], "expectedVersion", minimum=1, maximum=MAX_VERSION
    )
    return _service().delete(writable_name(_known(name)), expected, by=moderator.username)


@policies.route("/policies/backtest", methods=["POST", "OPTIONS"])
def backtest_policy():
    signed_in(policies)
    body = _body(
        {
            "name": Text(40),
            "draft": Document(),
            "hours": Integer(1, 168),
            "cursor": Text(64),
        },
        required=("name", "draft"),
    )
    return _service().backtest(
        body["name"], body["draft"], hours=body.get("hours", 6), cursor=body.get("cursor")
    )


# --- helpers --------------------------------------------------------------------------------


def _service():
    from chalicelib.dependencies.policies import policy_service

    return policy_service()


def _known(name: str) -> str:
    """The path's name, when a policy could have it (else 404: no such policy)."""
    if not valid_name(name):
        raise NotFound(f"no such policy: {shown(name)}")
    return name


def _body(spec: dict[str, Field], required: tuple[str, ...] = ()) -> dict[str, Any]:
    query_params(policies.current_request, ())
    body = json_body(policies.current_request, required=bool(required)) or {}
    return fields(body, spec, required=required)
