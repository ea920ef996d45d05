"""Admins saving one policy at the same moment, through the running local stack's HTTP API
(docs/policies.md: "A save ... conditional on the version the editor saw").

RACERS admins of their own, released at once by a barrier, each save the same policy as
they saw it (the same `expectedVersion`): exactly one save wins, every other is a 409 that
names the winner, and the policy's history holds exactly one new version — the winner's.
The local stack's DynamoDB applies one request at a time (local/dynamodb.py), as DynamoDB
applies each transaction atomically; on stock moto two conditional transactions can both win.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter

import pytest
import requests

from local.stack_client import api, sign_in
from local.users import add_user

RACERS = 6


@pytest.fixture(scope="module")
def admins(stack) -> list[tuple[str, str]]:
    """RACERS admins of their own: (username, ID token)."""
    members = []
    for n in range(RACERS):
        username = f"policy-admin{n}-{secrets.token_hex(2)}"
        stack[username] = add_user(stack, f"{username}@example.com", "admin", username)
        members.append((username, sign_in(stack, username)))
    return members


def race(stack, admins, request_of) -> list[tuple[str, int, dict]]:
    barrier = threading.Barrier(len(admins), timeout=30)
    results: list = [None] * len(admins)

    def one(n: int) -> None:
        username, token = admins[n]
        method, path, body = request_of(n)
        barrier.wait()
        try:
            response = api(stack, method, path, token, body)
            results[n] = (username, response.status_code, response.json())
        except requests.RequestException as error:
            results[n] = (username, 0, {"Message": str(error)})

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(admins))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def one_winner(results) -> tuple[str, dict]:
    statuses = Counter(status for _, status, _ in results)
    assert statuses == {200: 1, 409: len(results) - 1}, results
    [(winner, _, body)] = [r for r in results if r[1] == 200]
    for _, _, lost in (r for r in results if r[1] == 409):
        assert f"saved by {winner}" in lost["Message"], (winner, lost["Message"])
    return winner, body


@pytest.mark.parametrize("seen", [0, 1], ids=["new policy", "a change"])
def test_admins_saving_one_policy_at_once_one_wins_the_others_hear_who(stack, admins, seen):
    name = f"race-{seen}-{secrets.token_hex(3)}"
    first_token = admins[0][1]
    if seen:
        saved = api(stack, "PUT", f"/policies/{name}", first_token, {
            "document": {"alert": {"*": 80}}, "expectedVersion": 0,
        })  # fmt: skip
        assert saved.status_code == 200, saved.text

    def save(n: int):
        document = {"alert": {"*": 50 + n}, "description": f"by racer {n}"}
        return "PUT", f"/policies/{name}", {"document": document, "expectedVersion": seen}

    winner, body = one_winner(race(stack, admins, save))

    assert body["version"] == seen + 1 and body["savedBy"] == winner
    policy = api(stack, "GET", f"/policies/{name}", first_token).json()
    assert [v["version"] for v in policy["versions"]] == list(range(seen + 1, 0, -1))
    assert policy["versions"][0]["savedBy"] == winner
    assert policy["document"] == body["document"]
