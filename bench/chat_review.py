"""The message review handler against its 200 ms budget (IVS applies the room's fallback
after it), warm: the app's `review_chat_message`, unchanged, reviewing a mix of messages
(clean, a blocked term, a link, a banned sender) against moto in server mode over HTTP
for DynamoDB and SQS (the round trips are real, on this machine; in AWS, DynamoDB and SQS
in the function's region answer in single-digit milliseconds, not measured here).

Its cold start is bench/cold_start.py's (`review_chat_message`): the first review of a new
container runs within the budget only if the container is warm or provisioned.

    python -m bench.chat_review [--reviews N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.harness import ACCOUNT, REGION, load_app, quiet

BUDGET_MS = 200.0
ROOM = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/BenchViewers1"
MESSAGES = [
    ("fan", "good game everyone", {}),
    ("fan2", "what a clutch play", {}),
    ("spammer", "free coins at www.free-coins.biz", {}),
    ("fan3", "no spoilers please", {}),
    ("troll", "let me back in", {}),
    ("fan4", "look", {"message_type": "STICKER", "sticker_src": "https://images.bench/1.png"}),
]


def measure(reviews: int = 400) -> dict:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        return _measure(endpoint, reviews)
    finally:
        server.stop()


def _measure(endpoint: str, reviews: int) -> dict:
    import boto3
    from chalice.local import LambdaContext

    os.environ.update(AWS_ENDPOINT_URL_DYNAMODB=endpoint, AWS_ENDPOINT_URL_SQS=endpoint)
    app = load_app()
    from chalicelib import dependencies
    from chalicelib.chat.store import ChatStore
    from chalicelib.core.dynamo import transact
    from local.resources import create_tables

    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    table = os.environ["CHAT_TABLE"]
    names = (
        "DecisionsTable",
        "IdempotencyTable",
        "IncidentsTable",
        "ChannelsTable",
        "PoliciesTable",
    )
    create_tables(dynamodb, {**{n: f"bench-unused-{n.lower()}" for n in names}, "ChatTable": table})
    queue_url = sqs.create_queue(QueueName=os.environ["CHAT_MESSAGES_QUEUE"])["QueueUrl"]
    os.environ.update(CHAT_MESSAGES_QUEUE_URL=queue_url, CHAT_ALLOWED_HOSTS="images.bench")
    dependencies.reset()
    store = ChatStore(dynamodb, table)
    ban = {"roomArn": ROOM, "userId": "troll", "kind": "ban", "until": "", "reason": "bench"}
    transact(dynamodb, [store.ban_write(ban)])
    store.put_term("*", "spoiler*", by="bench", now=dependencies.now(), until="")
    context = LambdaContext("ivs-moderation-bench-review_chat_message", 256)
    results: dict[str, int] = {}
    samples: list[float] = []
    with quiet():
        for n in range(reviews + 20):
            user, content, attributes = MESSAGES[n % len(MESSAGES)]
            event = {
                "Content": content,
                "MessageId": f"Bench{n:07d}",
                "RoomArn": ROOM,
                "Attributes": attributes,
                "Sender": {"Attributes": {}, "UserId": user, "Ip": "203.0.113.1"},
            }
            started = time.perf_counter()
            answer = app.review_chat_message(event, context)
            elapsed = (time.perf_counter() - started) * 1000
            if n >= 20:  # the first reviews warm the container's connections
                samples.append(elapsed)
                results[answer["ReviewResult"]] = results.get(answer["ReviewResult"], 0) + 1
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    rows = [
        {
            "benchmark": "chat review (warm, moto over HTTP)",
            "metric": name,
            "value": round(value, 1),
            "unit": "ms",
            "target": f"≤ {BUDGET_MS:.0f} ms (IVS's budget)",
            "met": value <= BUDGET_MS,
        }
        for name, value in (("p50", p50), ("p99", p99), ("max", ordered[-1]))
    ]
    return {"rows": rows, "reviews": len(samples), "results": results, "p50_ms": p50, "p99_ms": p99}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=400)
    args = parser.parse_args()
    outcome = measure(args.reviews)
    for row in outcome["rows"]:
        print(f"{row['metric']}: {row['value']} ms ({row['target']})")
    print(f"{outcome['reviews']} reviews: {outcome['results']}")


if __name__ == "__main__":
    main()
