"""The local stack's DynamoDB (local/dynamodb.py) keeps TransactWriteItems atomic under races.

Each round releases THREADS conditional transactions at once (a barrier) that only one can
satisfy, against `python -m local.dynamodb` on a free port, over real HTTP. Exactly one
must succeed, every other must be cancelled with ConditionalCheckFailed, and the table must
hold the winner's writes and nothing of the losers'. Stock `python -m moto.server` fails
this (two winners, or a loser's rollback erasing the winner's writes); to see how often:

    PYTHONPATH=. python tests/local/test_dynamodb_transactions.py moto.server --rounds 100
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from local.headless import ROOT, free_port

THREADS = 10
ROUNDS = 25
TABLE = "race"


@contextlib.contextmanager
def dynamodb_server(module: str = "local.dynamodb") -> Iterator[str]:
    """`python -m <module> -H 127.0.0.1 -p <free port>` until the block ends; its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"{module} exited ({process.returncode})"
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/moto-api/", timeout=1).ok:
                    break
            assert time.monotonic() < deadline, f"{module} did not answer in 30 s"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def client(url: str):
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # No retries: a retried success would read as a lost race.
        config=Config(max_pool_connections=THREADS, retries={"total_max_attempts": 1}),
    )


def create_table(dynamodb) -> None:
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


# --- the races: each builds thread i's transaction for round r -----------------------------


def create_once(dynamodb, r: str) -> Callable[[int], list[dict]]:
    """Every thread puts the same new item (attribute_not_exists) and a claim of its own."""

    def transaction(i: int) -> list[dict]:
        return [
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"pk": {"S": f"subject-{r}"}, "winner": {"N": str(i)}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"claim-{r}-{i}"}}}},
        ]

    return transaction


def bump_version(dynamodb, r: str) -> Callable[[int], list[dict]]:
    """Every thread moves the same item from version 0 to 1 (optimistic lock) and claims."""
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"subject-{r}"}, "version": {"N": "0"}})

    def transaction(i: int) -> list[dict]:
        return [
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"pk": {"S": f"subject-{r}"}},
                    "UpdateExpression": "SET version = :next, winner = :i",
                    "ConditionExpression": "version = :seen",
                    "ExpressionAttributeValues": {
                        ":seen": {"N": "0"},
                        ":next": {"N": "1"},
                        ":i": {"N": str(i)},
                    },
                }
            },
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"claim-{r}-{i}"}}}},
        ]

    return transaction


RACES = {"create_once": create_once, "bump_version": bump_version}


@dataclass
class Round:
    winners: list[int] = field(default_factory=list)
    cancelled: list[list[str]] = field(default_factory=list)  # each loser's reason codes
    other_errors: list[str] = field(default_factory=list)
    subject: dict | None = None
    claims: list[int] = field(default_factory=list)  # whose claim items the table holds

    def faults(self, race: str) -> list[str]:
        """What DynamoDB would never do, in words; [] for a clean round."""
        said = []
        if len(self.winners) != 1:
            said.append(f"{len(self.winners)} transactions succeeded: {self.winners}")
        if self.other_errors:
            said.append(f"errors other than a cancellation: {self.other_errors}")
        if any(codes != ["ConditionalCheckFailed", "None"] for codes in self.cancelled):
            said.append(f"cancellation reasons: {self.cancelled}")
        expected_winner = self.winners[-1] if self.winners else None
        if self.subject is None or int(self.subject["winner"]["N"]) != expected_winner:
            said.append(f"the item is {self.subject}, the winner {self.winners}")
        elif race == "bump_version" and self.subject["version"]["N"] != "1":
            said.append(f"the item's version is {self.subject['version']['N']}, not 1")
        if self.claims != self.winners[:1]:
            said.append(f"the table holds the claims of {self.claims}, winners {self.winners}")
        return said


def race_round(dynamodb, race: str, n: int) -> Round:
    """Round n of `race`: its items are named after both, apart from every other round's."""
    r = f"{race}-{n}"
    transaction = RACES[race](dynamodb, r)
    result = Round()
    gate = threading.Barrier(THREADS)
    lock = threading.Lock()

    def contend(i: int) -> None:
        items = transaction(i)
        gate.wait()
        try:
            dynamodb.transact_write_items(TransactItems=items)
        except ClientError as error:
            with lock:
                if error.response["Error"]["Code"] == "TransactionCanceledException":
                    reasons = error.response.get("CancellationReasons", [])
                    result.cancelled.append([reason["Code"] for reason in reasons])
                else:
                    result.other_errors.append(error.response["Error"]["Code"])
        else:
            with lock:
                result.winners.append(i)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    keys = [{"pk": {"S": f"subject-{r}"}}] + [
        {"pk": {"S": f"claim-{r}-{i}"}} for i in range(THREADS)
    ]
    found = dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": keys, "ConsistentRead": True}})
    for item in found["Responses"][TABLE]:
        if item["pk"]["S"] == f"subject-{r}":
            result.subject = item
        else:
            result.claims.append(int(item["pk"]["S"].rsplit("-", 1)[1]))
    result.claims.sort()
    return result


# --- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dynamodb() -> Iterator:
    with dynamodb_server() as url:
        dynamodb = client(url)
        create_table(dynamodb)
        yield dynamodb


@pytest.mark.parametrize("race", sorted(RACES))
def test_racing_conditional_transactions_have_exactly_one_winner(dynamodb, race):
    faults = {}
    for n in range(ROUNDS):
        said = race_round(dynamodb, race, n).faults(race)
        if said:
            faults[n] = said
    assert faults == {}, f"{len(faults)} of {ROUNDS} rounds broke atomicity: {faults}"


def test_moto_api_is_still_served(dynamodb):
    """The stack waits on /moto-api/ (data.json would be slow here: it dumps every item)."""
    page = requests.get(f"{dynamodb.meta.endpoint_url}/moto-api/", timeout=5)
    assert page.ok and "moto" in page.text.lower()


# --- by hand: the same races against another server (stock moto) ------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Race conditional transactions on a server.")
    parser.add_argument("module", nargs="?", default="local.dynamodb", help="e.g. moto.server")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    with dynamodb_server(args.module) as url:
        dynamodb = client(url)
        create_table(dynamodb)
        for race in sorted(RACES):
            rounds = [race_round(dynamodb, race, n) for n in range(args.rounds)]
            broken = [r for r in rounds if r.faults(race)]
            two_won = sum(len(r.winners) > 1 for r in rounds)
            errors = sum(bool(r.other_errors) for r in rounds)
            print(
                f"{args.module} {race}: {len(broken)} of {len(rounds)} rounds broke atomicity; "
                f"{two_won} had two or more winners, {errors} had errors other than a "
                "cancellation (the rest: a table that is not the winner's writes alone)"
            )
            for r in broken[:3]:
                print("   ", r.faults(race))
    return 0


if __name__ == "__main__":
    sys.exit(main())
