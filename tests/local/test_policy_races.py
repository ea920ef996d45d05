"""Editors racing to save one policy, on the local stack's DynamoDB (local/dynamodb.py, which
keeps TransactWriteItems atomic as DynamoDB does): every round exactly one save wins, every
other is refused naming the winner, and the versions hold the winner's document only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from test_dynamodb_transactions import THREADS, client, dynamodb_server

from chalicelib.policies.model import PolicyDocument
from chalicelib.policies.store import PolicyConflict, PolicyStore
from local.resources import create_tables

ROUNDS = 3
NAMES = ("DecisionsTable", "IdempotencyTable", "IncidentsTable", "ChannelsTable", "ChatTable")
AT = datetime(2026, 12, 4, tzinfo=UTC)


def race(store: PolicyStore, seen: int) -> dict[str, object]:
    """THREADS editors save at once over version `seen`: each one's head or conflict."""
    barrier = threading.Barrier(THREADS)
    outcomes: dict[str, object] = {}

    def save(editor: str, confidence: int) -> None:
        document = PolicyDocument.parse({"alert": {"*": confidence}}, "kids")
        barrier.wait()
        try:
            outcomes[editor] = store.save("kids", document, expected_version=seen, by=editor, at=AT)
        except PolicyConflict as conflict:
            outcomes[editor] = conflict

    threads = [threading.Thread(target=save, args=(f"editor{i}", 10 + i)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_saves_of_the_version_seen_have_one_winner_and_conflicts_naming_it():
    with dynamodb_server() as url:
        dynamodb = client(url)
        create_tables(dynamodb, {**{n: n.lower() for n in NAMES}, "PoliciesTable": "policies"})
        store = PolicyStore(dynamodb, "policies")
        first = PolicyDocument.parse({"alert": {"*": 80}}, "kids")
        store.save("kids", first, expected_version=0, by="setup", at=AT)
        for seen in range(1, ROUNDS + 1):
            outcomes = race(store, seen)

            won = {e: o for e, o in outcomes.items() if not isinstance(o, PolicyConflict)}
            assert len(outcomes) == THREADS and len(won) == 1, outcomes
            [(winner, head)] = won.items()
            assert head["version"] == seen + 1
            for editor, outcome in outcomes.items():
                assert editor == winner or f"saved by {winner}" in str(outcome), outcome
            assert store.head("kids")["document"] == head["document"]
            versions = store.versions("kids")
            assert len(versions) == seen + 1 and versions[0]["savedBy"] == winner
