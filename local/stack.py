"""The local stack: the whole service on this machine, with no AWS account.

    python -m local.stack [--headless] [--scenario FILE] [--api-port 8000] ...

Starts, on 127.0.0.1 only: moto in server mode (S3, EventBridge, SQS, Cognito), DynamoDB in
a moto of its own that applies one request at a time (local/dynamodb.py), the emulator
(Rekognition, IVS, IVS chat and its WebSocket: local/emulator; it puts IVS's stream state
events on moto's EventBridge), the relay that plays Lambda for every event handler of the
app (local/relay.py), the API under `chalice local --stage local`, and the stream simulator
(local/simulator.py), with a moderated viewers' chat room per channel and simulated chatters
in it (local/chatters.py). The relay also serves Lambda's Invoke API (local/invoke.py): the
emulator's IVS chat calls the review handler and delivers chat logs through it. It creates
what the README's deploy steps create in AWS (bucket with EventBridge notifications, tables,
the app's own rules and queues, the failed-frames queue, the moderators' room, chat logging,
a user pool with a user of each role), writes the endpoints to .local/stack.json, and stops
every process it started on Ctrl-C (or SIGTERM).
The production code runs unchanged: it reaches the stand-ins through boto3's standard
endpoint variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_REKOGNITION, AWS_ENDPOINT_URL_COMPREHEND,
...).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import signal
import sys
import time
from collections.abc import Callable

import requests

from local.banner import banner
from local.processes import Ports, Processes, StackError, claim
from local.routes import Routes
from local.seed import create_resources
from local.stage import ACCOUNT, REGION, ROOT, STAGE, stage_environment

STATE = ROOT / ".local"


class Stack:
    def __init__(
        self,
        ports: Ports,
        scenario: pathlib.Path | None,
        say: Callable[[str], None],
        state: pathlib.Path = STATE,
        chat: bool = True,
    ) -> None:
        self.ports = ports
        self.chat = chat  # viewers chat in the simulated channels' rooms
        self.state = state
        self.scenario = scenario
        self.say = say
        self.processes = Processes(state / "logs", say)
        self.moto_url = f"http://127.0.0.1:{ports.moto}"
        # DynamoDB in a moto of its own: one moto process is CPU-bound (one core) long
        # before the handler is, and DynamoDB is most of its calls per frame. It applies
        # one request at a time (local/dynamodb.py): moto's threaded server alone does not
        # apply TransactWriteItems atomically.
        self.dynamodb_url = f"http://127.0.0.1:{ports.dynamodb}"
        self.emulator_url = f"http://127.0.0.1:{ports.emulator}"
        self.api_url = f"http://127.0.0.1:{ports.api}"
        # Lambda's Invoke API (local/invoke.py), served by the relay: how the emulator's IVS
        # chat calls the review handler and delivers chat logs.
        self.invoke_url = f"http://127.0.0.1:{ports.invoke}"
        self.stage = stage_environment()
        self.env = self._base_environment()

    def _base_environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL=self.moto_url,
            AWS_ENDPOINT_URL_DYNAMODB=self.dynamodb_url,
            AWS_ENDPOINT_URL_REKOGNITION=self.emulator_url,
            AWS_ENDPOINT_URL_IVS=self.emulator_url,
            AWS_ENDPOINT_URL_IVSCHAT=self.emulator_url,
            AWS_ENDPOINT_URL_COMPREHEND=self.emulator_url,
            PYTHONUNBUFFERED="1",
        )
        return env

    def stop(self) -> None:
        self.processes.stop()

    def _chat_arguments(self, chat: dict[str, str]) -> list[str]:
        """The channels' viewers' rooms, moderated as `make chat-rooms` does it; chatters in
        them unless --no-chat (or the scenario's `"chatters": false`)."""
        if not chat.get("review_handler_arn") or not chat.get("logging_configuration_arn"):
            return []
        rooms = ["--review-handler", chat["review_handler_arn"]]
        rooms += ["--logging-configuration", chat["logging_configuration_arn"]]
        return [*rooms, *([] if self.chat else ["--no-chat"])]

    def start(self) -> dict:
        python = sys.executable
        launch, wait = self.processes.start, self.processes.wait
        self.say(f"Starting moto (S3, EventBridge, SQS, Cognito) on {self.moto_url}")
        launch(
            "moto",
            [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.ports.moto)],
            self.env,
        )
        wait("moto", lambda: requests.get(f"{self.moto_url}/moto-api/", timeout=1).ok)
        self.say(f"Starting moto (DynamoDB, one request at a time) on {self.dynamodb_url}")
        launch(
            "moto-dynamodb",
            [python, "-m", "local.dynamodb", "-H", "127.0.0.1", "-p", str(self.ports.dynamodb)],
            self.env,
        )
        wait("moto-dynamodb", lambda: requests.get(f"{self.dynamodb_url}/moto-api/", timeout=1).ok)

        self.say(
            f"Starting the emulator (Rekognition, Comprehend, IVS, IVS chat) on {self.emulator_url}"
        )
        launch(
            "emulator",
            [
                python, "-m", "local.emulator", "--host", "127.0.0.1",
                "--port", str(self.ports.emulator), "--s3-endpoint", self.moto_url,
                "--region", REGION, "--account", ACCOUNT, "--events-endpoint", self.moto_url,
                "--lambda-endpoint", self.invoke_url, "--logs-endpoint", self.moto_url,
            ],
            self.env,
        )  # fmt: skip
        wait(
            "emulator", lambda: requests.get(f"{self.emulator_url}/_emulator/health", timeout=1).ok
        )

        self.say("Creating the bucket, tables, rules, queues, moderators' room and user pool")
        resources = create_resources(
            self.stage,
            moto_url=self.moto_url,
            dynamodb_url=self.dynamodb_url,
            emulator_url=self.emulator_url,
            chat_ws_url=f"ws://127.0.0.1:{self.ports.emulator}",
        )
        app_env = {**self.env, **self.stage, **resources["environment"]}
        routes: Routes = resources["routes"]
        routes_file = self.state / "routes.json"
        routes_file.write_text(routes.to_json())

        self.say(f"Starting the relay (Lambda: rules, queues, Invoke API on {self.invoke_url})")
        launch(
            "relay",
            [
                python,
                "-m",
                "local.relay",
                str(routes_file),
                "--invoke-port",
                str(self.ports.invoke),
            ],
            app_env,
        )
        wait("relay", lambda: "ready" in self.processes.tail("relay"))

        self.say(f"Starting the API (chalice local --stage {STAGE}) on {self.api_url}")
        chalice = str(pathlib.Path(python).parent / "chalice")
        launch(
            "api",
            [chalice, "local", "--stage", STAGE, "--host", "127.0.0.1",
             "--port", str(self.ports.api), "--no-autoreload"],
            app_env,
        )  # fmt: skip
        wait("api", lambda: requests.get(f"{self.api_url}/decisions", timeout=2).status_code == 401)

        channels: list[dict] = []
        if self.scenario is not None:
            self.say(f"Starting the stream simulator ({self.scenario.relative_to(ROOT)})")
            channels_file = self.state / "channels.json"
            channels_file.unlink(missing_ok=True)
            launch(
                "simulator",
                [python, "-m", "local.simulator", "--scenario", str(self.scenario),
                 "--bucket", self.stage["RECORDING_BUCKET"], "--emulator-url", self.emulator_url,
                 "--channels-out", str(channels_file),
                 *self._chat_arguments(resources["chat"])],
                app_env,
            )  # fmt: skip
            wait("simulator", channels_file.exists)
            channels = json.loads(channels_file.read_text())

        return {
            "api_url": self.api_url,
            "dashboard_url": f"{self.api_url}/",
            "aws_endpoint_url": self.moto_url,
            "dynamodb_endpoint_url": self.dynamodb_url,
            "emulator_url": self.emulator_url,
            "chat_ws_url": resources["environment"]["CHAT_MESSAGING_ENDPOINT"],
            "region": REGION,
            "account": ACCOUNT,
            "recording_bucket": self.stage["RECORDING_BUCKET"],
            "decisions_table": self.stage["DECISIONS_TABLE"],
            "incidents_table": self.stage["INCIDENTS_TABLE"],
            "channels_table": self.stage["CHANNELS_TABLE"],
            "chat_table": self.stage["CHAT_TABLE"],
            "policies_table": self.stage["POLICIES_TABLE"],
            "moderation_room_arn": resources["environment"]["MODERATION_ROOM_ARN"],
            "invoke_url": self.invoke_url,
            "functions": {f.handler: f.arn for f in routes.functions},
            "chat": resources["chat"],
            "chat_messages_queue_url": resources["environment"]["CHAT_MESSAGES_QUEUE_URL"],
            "chat_rooms": {c["name"]: c["chatRoomArn"] for c in channels if "chatRoomArn" in c},
            "queue_url": resources["thumbnail_queue_url"],
            "rules": {r.function.handler: r.rule for r in routes.events},
            "queues": {r.function.handler: r.queue_url for r in (*routes.events, *routes.queues)},
            "dead_letter_queues": {
                r.function.handler: r.dead_letter_url for r in (*routes.events, *routes.queues)
            },
            "failed_frames_queue_url": resources["failed_frames"].url,
            "failed_frames_dead_letter_url": resources["failed_frames"].dead_letter_url,
            "user_pool_id": resources["environment"]["COGNITO_USER_POOL_ID"],
            "client_id": resources["environment"]["COGNITO_APP_CLIENT_IDS"],
            # one user of each role ("triage", "moderator", "admin"), and one in no group
            **resources["users"],
            "viewer": resources["viewer"],
            "groups": resources["groups"],
            "channels": channels,
            "logs": str(self.state / "logs"),
            "pids": {name: process.pid for name, process in self.processes.running},
        }


def main() -> int:
    parser = argparse.ArgumentParser(description="Run ivs-moderation locally, with no AWS account.")
    parser.add_argument("--headless", action="store_true", help="no banner; for scripts and tests")
    parser.add_argument("--scenario", type=pathlib.Path, default=ROOT / "local/scenarios/demo.json")
    parser.add_argument("--no-simulator", action="store_true", help="start no simulated streams")
    parser.add_argument("--no-chat", action="store_true", help="no chatters in viewers' rooms")
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=5100)
    parser.add_argument("--emulator-port", type=int, default=5101)
    parser.add_argument("--dynamodb-port", type=int, default=5102, help="moto for DynamoDB")
    parser.add_argument("--invoke-port", type=int, default=5103, help="Lambda's Invoke API")
    parser.add_argument("--state-dir", type=pathlib.Path, default=STATE, help="default .local/")
    args = parser.parse_args()

    ports = Ports(
        api=args.api_port,
        moto=args.moto_port,
        emulator=args.emulator_port,
        dynamodb=args.dynamodb_port,
        invoke=args.invoke_port,
    )
    scenario = None if args.no_simulator else args.scenario.resolve()
    say = (lambda _: None) if args.headless else (lambda line: print(line, flush=True))
    state = args.state_dir.resolve()
    stack_file, pid_file = state / "stack.json", None

    def stop_on_signal(*_) -> None:
        raise KeyboardInterrupt

    # SIGINT too, explicitly: a launcher started in the background inherits SIGINT ignored,
    # and then Python would never raise KeyboardInterrupt on Ctrl-C.
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    stack = None
    try:
        pid_file = claim(state, ports)
        stack = Stack(ports, scenario, say, state, chat=not args.no_chat)
        info = stack.start()
        stack_file.write_text(json.dumps(info, indent=2))
        say(banner(info))
        while all(process.poll() is None for _, process in stack.processes.running):
            time.sleep(0.5)
        dead = [name for name, process in stack.processes.running if process.poll() is not None]
        raise StackError(f"{', '.join(dead)} stopped unexpectedly; see {state}/logs/")
    except KeyboardInterrupt:
        if not args.headless:
            print("\nStopping the local stack…", flush=True)
        return 0
    except StackError as error:
        print(f"local stack: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        if stack is not None:
            stack.stop()
            stack_file.unlink(missing_ok=True)
        if pid_file is not None:
            pid_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
