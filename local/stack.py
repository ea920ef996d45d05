"""The local stack: the whole service on this machine, with no AWS account.

    python -m local.stack [--headless] [--scenario FILE] [--api-port 8000] ...

Starts, on 127.0.0.1 only: moto in server mode (S3, EventBridge, SQS, Cognito), DynamoDB in
a moto of its own that applies one request at a time (local/dynamodb.py), the emulator
(Rekognition, IVS, IVS chat and its WebSocket: local/emulator; it puts IVS's stream state
events on moto's EventBridge), the relay that plays Lambda for every event handler of the
app (local/relay.py), the API under `chalice local --stage local`, and the stream simulator
(local/simulator.py). It creates what the README's deploy steps create in AWS (bucket with
EventBridge notifications, tables, the app's own rules and queues, the failed-frames queue,
the moderators' room, a user pool with a moderator), writes the endpoints to
.local/stack.json, and stops every process it started on Ctrl-C (or SIGTERM).
The production code runs unchanged: it reaches the stand-ins through boto3's standard
endpoint variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_REKOGNITION, ...).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import requests
from chalice.config import Config
from chalice.constants import DEFAULT_LAMBDA_MEMORY_SIZE, DEFAULT_LAMBDA_TIMEOUT

from local.resources import (
    create_moderators_pool,
    create_recording_bucket,
    create_routes,
    create_tables,
    create_user,
)
from local.routes import Function, Routes

ROOT = pathlib.Path(__file__).resolve().parent.parent
STATE = ROOT / ".local"
STAGE = "local"
REGION = "us-west-2"
ACCOUNT = "123456789012"  # moto's default account; the emulator uses the same
MODERATOR = "moderator"


class StackError(Exception):
    """Something a person can fix: said in one line, no stack trace."""


@dataclass
class Ports:
    api: int
    moto: int
    emulator: int
    dynamodb: int


def chalice_config() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


def stage_environment() -> dict[str, str]:
    """The `local` stage's variables from .chalice/config.json, as Chalice applies them."""
    config = chalice_config()
    return {**config["environment_variables"], **config["stages"][STAGE]["environment_variables"]}


def lambda_function(app_name: str, handler: str) -> Function:
    """The Lambda function `chalice deploy --stage local` would make of `handler`."""
    config = Config(
        chalice_stage=STAGE,
        function_name=handler,
        config_from_disk=chalice_config(),
        default_params={
            "lambda_timeout": DEFAULT_LAMBDA_TIMEOUT,
            "lambda_memory_size": DEFAULT_LAMBDA_MEMORY_SIZE,
        },
    )
    name = f"{app_name}-{STAGE}-{handler}"
    return Function(
        handler=handler,
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        timeout_seconds=config.lambda_timeout,
        memory_mb=config.lambda_memory_size,
    )


class Stack:
    def __init__(
        self,
        ports: Ports,
        scenario: pathlib.Path | None,
        say: Callable[[str], None],
        state: pathlib.Path = STATE,
    ) -> None:
        self.ports = ports
        self.state = state
        self.scenario = scenario
        self.say = say
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.moto_url = f"http://127.0.0.1:{ports.moto}"
        # DynamoDB in a moto of its own: one moto process is CPU-bound (one core) long
        # before the handler is, and DynamoDB is most of its calls per frame. It applies
        # one request at a time (local/dynamodb.py): moto's threaded server alone does not
        # apply TransactWriteItems atomically.
        self.dynamodb_url = f"http://127.0.0.1:{ports.dynamodb}"
        self.emulator_url = f"http://127.0.0.1:{ports.emulator}"
        self.api_url = f"http://127.0.0.1:{ports.api}"
        self.stage = stage_environment()
        self.env = self._base_environment()

    # --- processes ---------------------------------------------------------------------

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
            PYTHONUNBUFFERED="1",
        )
        return env

    def _start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        logs = self.state / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"{name}.log", "w") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env or self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches the stack, which stops its children
            )
        self.processes.append((name, process))

    def _wait(self, name: str, ready: Callable[[], bool], timeout: float = 30) -> None:
        started = time.monotonic()
        process = dict(self.processes)[name]
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise StackError(f"{name} exited ({process.returncode}):\n{self._tail(name)}")
            with contextlib.suppress(requests.RequestException, OSError):
                if ready():
                    self.say(f"  {name} ready ({time.monotonic() - started:.1f} s)")
                    return
            time.sleep(0.2)
        raise StackError(f"{name} was not ready after {timeout:.0f} s:\n{self._tail(name)}")

    def _tail(self, name: str, lines: int = 15) -> str:
        text = (self.state / "logs" / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])

    def stop(self) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, process in reversed(self.processes):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                self.say(f"  {name} did not stop in time: killed")
        self.processes.clear()

    # --- the stack -----------------------------------------------------------------------

    def start(self) -> dict:
        python = sys.executable
        self.say(f"Starting moto (S3, EventBridge, SQS, Cognito) on {self.moto_url}")
        self._start(
            "moto", [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.ports.moto)]
        )
        self._wait("moto", lambda: requests.get(f"{self.moto_url}/moto-api/", timeout=1).ok)
        self.say(f"Starting moto (DynamoDB, one request at a time) on {self.dynamodb_url}")
        self._start(
            "moto-dynamodb",
            [python, "-m", "local.dynamodb", "-H", "127.0.0.1", "-p", str(self.ports.dynamodb)],
        )
        self._wait(
            "moto-dynamodb", lambda: requests.get(f"{self.dynamodb_url}/moto-api/", timeout=1).ok
        )

        self.say(f"Starting the emulator (Rekognition, IVS, IVS chat) on {self.emulator_url}")
        self._start(
            "emulator",
            [
                python, "-m", "local.emulator", "--host", "127.0.0.1",
                "--port", str(self.ports.emulator), "--s3-endpoint", self.moto_url,
                "--region", REGION, "--account", ACCOUNT, "--events-endpoint", self.moto_url,
            ],
        )  # fmt: skip
        self._wait(
            "emulator", lambda: requests.get(f"{self.emulator_url}/_emulator/health", timeout=1).ok
        )

        self.say("Creating the bucket, tables, rules, queues, moderators' room and user pool")
        resources = self._create_resources()
        app_env = {**self.env, **self.stage, **resources["environment"]}
        routes: Routes = resources["routes"]
        routes_file = self.state / "routes.json"
        routes_file.write_text(routes.to_json())

        self.say("Starting the relay (Lambda: rules and queues -> the app's handlers)")
        self._start("relay", [python, "-m", "local.relay", str(routes_file)], app_env)
        self._wait("relay", lambda: "ready" in self._tail("relay"))

        self.say(f"Starting the API (chalice local --stage {STAGE}) on {self.api_url}")
        chalice = str(pathlib.Path(python).parent / "chalice")
        self._start(
            "api",
            [chalice, "local", "--stage", STAGE, "--host", "127.0.0.1",
             "--port", str(self.ports.api), "--no-autoreload"],
            app_env,
        )  # fmt: skip
        self._wait(
            "api", lambda: requests.get(f"{self.api_url}/decisions", timeout=2).status_code == 401
        )

        channels: list[dict] = []
        if self.scenario is not None:
            self.say(f"Starting the stream simulator ({self.scenario.relative_to(ROOT)})")
            channels_file = self.state / "channels.json"
            channels_file.unlink(missing_ok=True)
            self._start(
                "simulator",
                [python, "-m", "local.simulator", "--scenario", str(self.scenario),
                 "--bucket", self.stage["RECORDING_BUCKET"], "--emulator-url", self.emulator_url,
                 "--channels-out", str(channels_file)],
                app_env,
            )  # fmt: skip
            self._wait("simulator", channels_file.exists)
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
            "moderation_room_arn": resources["environment"]["MODERATION_ROOM_ARN"],
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
            "moderator": resources["moderator"],
            "viewer": resources["viewer"],
            "channels": channels,
            "logs": str(self.state / "logs"),
            "pids": {name: process.pid for name, process in self.processes},
        }

    def _create_resources(self) -> dict:
        def client(service: str, endpoint: str):
            return boto3.client(
                service,
                endpoint_url=endpoint,
                region_name=REGION,
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )

        stage = self.stage
        create_recording_bucket(client("s3", self.moto_url), stage["RECORDING_BUCKET"], REGION)
        create_tables(
            client("dynamodb", self.dynamodb_url),
            {
                "DecisionsTable": stage["DECISIONS_TABLE"],
                "IdempotencyTable": stage["IDEMPOTENCY_TABLE"],
                "IncidentsTable": stage["INCIDENTS_TABLE"],
                "ChannelsTable": stage["CHANNELS_TABLE"],
            },
        )
        app = self._app()
        routes, failed_frames = create_routes(
            app,
            client("events", self.moto_url),
            client("sqs", self.moto_url),
            failed_frames_queue=stage["FAILED_FRAMES_QUEUE"],
            function=lambda handler: lambda_function(app.app_name, handler),
            region=REGION,
            account=ACCOUNT,
        )
        for source in routes.unserved:
            print(f"local stack: {source} is not served locally", file=sys.stderr)
        room_arn = client("ivschat", self.emulator_url).create_room(name="moderators")["arn"]
        idp = client("cognito-idp", self.moto_url)
        pool = create_moderators_pool(
            idp, "ivs-moderation-local", stage.get("MODERATORS_GROUP", "moderators")
        )
        moderator_password = create_user(idp, pool, MODERATOR, moderator=True)
        viewer_password = create_user(idp, pool, "viewer", moderator=False)
        return {
            "routes": routes,
            "failed_frames": failed_frames,
            "thumbnail_queue_url": next(
                (r.queue_url for r in routes.events if "aws.s3" in r.pattern.get("source", [])),
                None,
            ),
            "environment": {
                "MODERATION_ROOM_ARN": room_arn,
                "COGNITO_USER_POOL_ID": pool.user_pool_id,
                "COGNITO_APP_CLIENT_IDS": pool.client_id,
                "COGNITO_JWKS_URL": f"{self.moto_url}/{pool.user_pool_id}/.well-known/jwks.json",
                "COGNITO_ENDPOINT": f"{self.moto_url}/",
                "CHAT_MESSAGING_ENDPOINT": f"ws://127.0.0.1:{self.ports.emulator}",
            },
            "moderator": {"username": MODERATOR, "password": moderator_password},
            "viewer": {"username": "viewer", "password": viewer_password},
        }

    def _app(self):
        """The app itself, as `chalice deploy` imports it: its handlers and their patterns."""
        os.environ.update(self.stage)  # app.py reads the stage's settings on import
        import app

        return app.app


# --- command line --------------------------------------------------------------------------


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def claim(state: pathlib.Path, ports: Ports) -> pathlib.Path:
    """Refuse, in words, to start a second stack or to fight over a port; the pid file."""
    pid_file = state / "stack.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text() or 0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, 0)
            raise StackError(
                f"a local stack is already running (pid {pid}); stop it with Ctrl-C in its "
                f"terminal or `kill {pid}`, or use it: its endpoints are in {state}/stack.json"
            )
    for name, port in vars(ports).items():
        if port_in_use(port):
            raise StackError(f"port {port} (--{name}-port) is in use on 127.0.0.1; pick another")
    state.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(os.getpid()))
    return pid_file


def banner(info: dict) -> str:
    channels = "\n".join(f"    {c['name']:<20} {c['channelArn']}" for c in info["channels"])

    def source(handler: str, url: str) -> str:
        queue = url.rsplit("/", 1)[1]
        if info["rules"].get(handler) == queue:
            return f"EventBridge rule and queue {queue}"
        return f"SQS queue {queue}"

    handlers = "\n".join(
        f"    {handler:<24} <- {source(handler, url)}" for handler, url in info["queues"].items()
    )
    return f"""
ivs-moderation is running locally.

  Dashboard   {info["dashboard_url"]}
  Sign in as  {info["moderator"]["username"]} / {info["moderator"]["password"]}
              (not a moderator: {info["viewer"]["username"]} / {info["viewer"]["password"]})
  API         {info["api_url"]}
  AWS (moto)  {info["aws_endpoint_url"]} (DynamoDB {info["dynamodb_endpoint_url"]})
  Emulator    {info["emulator_url"]}
  Chat WS     {info["chat_ws_url"]}
  Handlers (the relay plays Lambda; 3 attempts, then the failed-frames queue)
{handlers}
  Failed frames {info["failed_frames_queue_url"]}
  Dead letters  in stack.json (`dead_letter_queues`); the relay logs what arrives there
  Channels
{channels or "    (no simulator)"}
  Logs        {info["logs"]}/*.log
  Endpoints   {info["logs"].rsplit("/", 1)[0]}/stack.json

Press Ctrl-C to stop everything.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description="Run ivs-moderation locally, with no AWS account.")
    parser.add_argument("--headless", action="store_true", help="no banner; for scripts and tests")
    parser.add_argument("--scenario", type=pathlib.Path, default=ROOT / "local/scenarios/demo.json")
    parser.add_argument("--no-simulator", action="store_true", help="start no simulated streams")
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=5100)
    parser.add_argument("--emulator-port", type=int, default=5101)
    parser.add_argument("--dynamodb-port", type=int, default=5102, help="moto for DynamoDB")
    parser.add_argument("--state-dir", type=pathlib.Path, default=STATE, help="default .local/")
    args = parser.parse_args()

    ports = Ports(
        api=args.api_port,
        moto=args.moto_port,
        emulator=args.emulator_port,
        dynamodb=args.dynamodb_port,
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
        stack = Stack(ports, scenario, say, state)
        info = stack.start()
        stack_file.write_text(json.dumps(info, indent=2))
        say(banner(info))
        while all(process.poll() is None for _, process in stack.processes):
            time.sleep(0.5)
        dead = [name for name, process in stack.processes if process.poll() is not None]
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
