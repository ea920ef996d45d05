"""How soon a violating chat message is removed, on the local stack.

What it measures: the time from a viewer's SEND_MESSAGE (the monotonic clock just before it
goes on the WebSocket) to the room's `aws:DELETE_MESSAGE` event for that message arriving
on another viewer's WebSocket: the review handler allows it (nothing in it is decidable in
200 ms), queues it, and the deep pass (moderate_chat_messages, through the relay) finds it
toxic with Comprehend (the emulator's default insults) and deletes it. Every insult comes
from a user of its own, so that no strike timeout stops the next one. Also counted: the
messages never removed (each one is a miss, reported, never dropped).

How: the stack runs headless with no simulator (local.headless); a channel of its own and
its viewers' room are created as the stack creates them (local/chat_rooms.py); one
WebSocket listens, one sender per message sends, `--messages` of them, `--gap` seconds apart.

In AWS the path is the same (the review handler queues to SQS, Lambda's event source
mapping polls it): SQS and Lambda add their own delivery time, not measured here; chat
logging's path (CloudWatch Logs, ~10 s per the IVS docs) only catches what the review
handler never saw.

    .venv/bin/python -m bench.e2e_chat [--messages 40] [--gap 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import shutil
import tempfile
import time

import aiohttp

from bench.e2e_figures import rounded
from local import stack_client
from local.chat_rooms import create_viewer_room
from local.headless import HeadlessStack

TARGET_P95_S = 5.0
INSULT = "you are such an idiot"  # one of the emulator's default insults (its README)
WAIT_S = 20.0  # after the last message, for late removals


async def _run(stack: dict, room: str, messages: int, gap: float) -> dict:
    ivschat = stack_client.client(stack, "ivschat")

    def token(user: str, capabilities: list[str]) -> str:
        return ivschat.create_chat_token(
            roomIdentifier=room, userId=user, capabilities=capabilities
        )["token"]

    sent: dict[str, float] = {}  # RequestId -> when sent
    ids: dict[str, str] = {}  # message Id -> RequestId
    removed: dict[str, float] = {}  # message Id -> when its deletion arrived
    url = stack["chat_ws_url"]
    async with aiohttp.ClientSession() as session:
        listener = await session.ws_connect(url, protocols=[token("bench-listener", [])])

        async def listen() -> None:
            async for frame in listener:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(frame.data)
                if data.get("EventName") == "aws:DELETE_MESSAGE":
                    removed.setdefault(data["Attributes"]["MessageId"], time.monotonic())
                elif data.get("Type") == "MESSAGE" and data.get("RequestId"):
                    ids[data["Id"]] = data["RequestId"]

        listening = asyncio.create_task(listen())
        for n in range(messages):
            user = f"bench-troll-{n}"
            async with session.ws_connect(url, protocols=[token(user, ["SEND_MESSAGE"])]) as ws:
                request = f"bench-{n}"
                sent[request] = time.monotonic()
                action = {"Action": "SEND_MESSAGE", "RequestId": request, "Content": INSULT}
                await ws.send_str(json.dumps(action))
                await ws.receive(timeout=5)  # its own MESSAGE (or an ERROR)
            await asyncio.sleep(gap)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and len(removed) < len(ids):
            await asyncio.sleep(0.2)
        listening.cancel()
        await listener.close()
    delays = sorted(removed[i] - sent[ids[i]] for i in removed if i in ids)
    return {"sent": len(sent), "delivered": len(ids), "removed": len(delays), "delays": delays}


def measure(messages: int = 40, gap: float = 0.5) -> dict:
    state = pathlib.Path(tempfile.mkdtemp(prefix="e2e-chat-"))
    stack = HeadlessStack(state)
    try:
        info = stack.start()
        channel = stack_client.client(info, "ivs").create_channel(name="bench-chat")["channel"]
        room = create_viewer_room(
            stack_client.client(info, "ivschat"),
            "bench-chat",
            channel["arn"],
            review_arn=info["functions"]["review_chat_message"],
            logging_arn=info["chat"]["logging_configuration_arn"],
        )
        outcome = asyncio.run(_run(info, room, messages, gap))
    finally:
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)
    delays = outcome["delays"]
    p50 = delays[len(delays) // 2] if delays else None
    p95 = delays[int(0.95 * (len(delays) - 1))] if delays else None
    missed = outcome["delivered"] - outcome["removed"]
    rows = [
        {
            "benchmark": "chat removal (local stack)",
            "metric": "sent → aws:DELETE_MESSAGE p50",
            "value": rounded(p50),
            "unit": "s",
        },
        {
            "benchmark": "chat removal (local stack)",
            "metric": "sent → aws:DELETE_MESSAGE p95",
            "value": rounded(p95),
            "unit": "s",
            "target": f"≤ {TARGET_P95_S:.0f} s",
            "met": p95 is not None and p95 <= TARGET_P95_S and missed == 0,
        },
        {
            "benchmark": "chat removal (local stack)",
            "metric": f"insults not removed (of {outcome['delivered']} delivered)",
            "value": missed,
            "unit": "",
            "target": "0",
            "met": missed == 0,
        },
    ]
    return {"rows": rows, **{k: v for k, v in outcome.items() if k != "delays"}, "p95_s": p95}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between messages")
    args = parser.parse_args()
    outcome = measure(args.messages, args.gap)
    for row in outcome["rows"]:
        print(f"{row['metric']}: {row['value']} {row['unit']}  {row.get('target', '')}")


if __name__ == "__main__":
    main()
