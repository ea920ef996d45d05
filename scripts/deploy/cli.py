"""python -m scripts.deploy COMMAND --stage STAGE ...  (the Makefile's targets call it)

  deploy     the stage's resources, settings, policies, functions and API (make deploy)
  destroy    everything deploy created; data only with --delete-data (make destroy)
  package    one template for a pipeline, in build/STAGE/ (make package)
  channels   point IVS channels at the stage's recording configuration (make channels)
  chat-rooms moderate IVS chat rooms with the stage's review handler (make chat-rooms)
  moderator  invite another moderator, triage or admin (make moderator ROLE=...)

Whatever the operator can fix is said in one line, with what to do; never a traceback.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Callable, Sequence

import boto3
import botocore.exceptions

from scripts.deploy import aws, channels, destroy, naming, package, rooms, users
from scripts.deploy.deploy import Options, deploy, preflight
from scripts.deploy.naming import Refusal
from scripts.deploy.settings import ProjectConfig
from scripts.deploy.stack import StackFailed, Stacks
from scripts.deploy.steps import StepFailed

ROOT = pathlib.Path(__file__).resolve().parents[2]


# The options of a stage's resources: flag, type, default, help.
STAGE_OPTIONS = (
    ("--moderator-email", str, "", "the first moderator's address"),
    ("--moderator-name", str, "", "their user name (default: from the address)"),
    ("--interval", int, None, "seconds between thumbnails, 1-60 (first deploy: 5)"),
    ("--storage", str, None, "SEQUENTIAL, LATEST or SEQUENTIAL,LATEST (first: SEQUENTIAL)"),
    ("--resolution", str, None, "SD, HD, FULL_HD or LOWEST_RESOLUTION (first: HD)"),
    ("--retention-days", int, None, "days recordings and thumbnails are kept (first: 30)"),
    ("--log-retention-days", int, None, "days logs are kept (first: 30)"),
    ("--alarm-email", str, "", "who hears the alarms (default: the first moderator)"),
    ("--adapter-arn", str, "", "a Rekognition Custom Moderation adapter's ARN"),
    (
        "--chat-allowed-hosts",
        str,
        None,
        "hosts chat links and images may point to, e.g. 'cdn.yourdomain.org; *.yourcdn.net' "
        "(CHAT_ALLOWED_HOSTS; first: none, '' clears it)",
    ),
)

# Alert e-mails (scripts/deploy/alerts.py), repeatable; the stage's subscriptions become these.
ALERT_OPTIONS = (
    ("--alert-email", "[high-severity=|sla-breach=]ADDRESS: high-severity incidents and/or SLA "
     "breaches (none: both)"),
    ("--team-email", "TEAM=ADDRESS: escalations to that team (one of ESCALATION_TEAMS)"),
)  # fmt: skip


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m scripts.deploy", description=__doc__)
    top.formatter_class = argparse.RawDescriptionHelpFormatter
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, help: str, aws_access: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.add_argument("--stage", required=True, help="the stage's name, e.g. prod")
        sub.add_argument("--project-dir", type=pathlib.Path, default=ROOT, help=argparse.SUPPRESS)
        if aws_access:
            sub.add_argument("--region", default="", help="AWS region (default: your profile's)")
            sub.add_argument("--profile", default="", help="AWS profile (default: AWS_PROFILE)")
        return sub

    def flag(sub: argparse.ArgumentParser, name: str, help: str) -> None:
        sub.add_argument(name, action="store_true", help=help)

    for name in ("deploy", "package"):
        what = "deploy or update a stage" if name == "deploy" else "one template for a pipeline"
        sub = command(name, what, aws_access=name == "deploy")
        for option, kind, default, help in STAGE_OPTIONS:
            sub.add_argument(option, type=kind, default=default, help=help)
        if name == "deploy":
            for option, help in ALERT_OPTIONS:
                sub.add_argument(option, action="append", default=[], help=help)
        if name == "package":
            sub.add_argument("--out", type=pathlib.Path, default=None, help="default: build/STAGE")
    sub = command("destroy", "remove a stage")
    flag(sub, "--delete-data", "delete the recordings and the decision log too")
    flag(sub, "--yes", "do not ask")
    sub = command("channels", "point IVS channels at the stage's recording configuration")
    sub.add_argument("channels", nargs="*", metavar="CHANNEL_ARN")
    flag(sub, "--all", "every channel in the account and region")
    flag(sub, "--detach", "stop recording them instead")
    flag(sub, "--replace", "take channels from another recording configuration")
    sub = command("chat-rooms", "moderate IVS chat rooms with the stage's review handler")
    sub.description = (
        "Attach each room to the stage: its review_chat_message as the room's message review "
        "handler, the stage's chat logging configuration, and IVS chat's permission to invoke "
        "the function for that room; --detach removes the three."
    )
    sub.add_argument("rooms", nargs="*", metavar="ROOM_ARN")
    flag(sub, "--all", "every room in the account and region but the moderators' room")
    flag(sub, "--detach", "stop moderating them instead")
    sub.add_argument(
        "--fallback",
        type=str.upper,
        choices=rooms.FALLBACKS,
        default="ALLOW",
        help="what IVS does with a message the handler did not answer in 200 ms: ALLOW "
        "(default) or DENY (child-safe rooms)",
    )
    sub.add_argument(
        "--channel",
        default="",
        help="the IVS channel ARN the room is the chat of (tag moderation-channel); one room",
    )
    flag(sub, "--force", "take rooms whose review handler is another function's")
    sub = command("moderator", "invite a member of the team, in their role's group")
    sub.add_argument("--email", required=True)
    sub.add_argument("--name", default="")
    sub.add_argument(
        "--role",
        default="moderator",
        choices=users.ROLE_GROUPS,
        help="triage (see, acknowledge, escalate), moderator (default) or admin",
    )
    return top


def main(
    argv: Sequence[str] | None = None,
    session: boto3.Session | None = None,
    say: Callable[[str], None] | None = None,
) -> int:
    say = say or (lambda line: print(line, flush=True))
    args = parser().parse_args(argv)
    try:
        return _run(args, session, say)
    except Refusal as refusal:
        print(f"error: {refusal}", file=sys.stderr, flush=True)
        return 2
    except (StackFailed, StepFailed) as failure:
        print(f"failed: {failure}", file=sys.stderr, flush=True)
        return 1
    except botocore.exceptions.NoCredentialsError:
        print("error: no AWS credentials: run `aws configure` or `aws sso login`", file=sys.stderr)
        return 2
    except botocore.exceptions.ClientError as error:
        detail = error.response.get("Error", {})
        refused = f"{getattr(error, 'operation_name', 'a call')} ({detail.get('Code', '?')})"
        print(f"failed: AWS refused {refused}: {detail.get('Message', '')}", file=sys.stderr)
        return 1
    except botocore.exceptions.BotoCoreError as error:
        print(f"failed: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("interrupted: run the same command again to finish", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, session: boto3.Session | None, say) -> int:
    project: pathlib.Path = args.project_dir.resolve()
    if args.command == "package":
        out = args.out or project / "build" / args.stage
        package.package(project, _options(args), out.resolve(), say)
        say(
            f"Deploy it with: aws cloudformation package --template-file {out}/sam.json "
            "--s3-bucket ARTIFACT_BUCKET --output-template-file packaged.json && "
            f"aws cloudformation deploy --template-file packaged.json --stack-name "
            f"ivs-moderation-{args.stage} --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND "
            "--parameter-overrides ModeratorEmail=... ModeratorName=..."
        )
        return 0
    naming.check_stage(args.stage)
    if args.command == "deploy":
        preflight(project, _options(args))
    target = aws.connect(args.region, args.profile, session)
    if args.command == "deploy":
        deploy(target, project, _options(args), say)
        return 0
    if args.command == "destroy":
        destroy.destroy(target, project, args.stage, args.delete_data, say, _confirm(args.yes))
        return 0
    outputs = _deployed_outputs(target, args.stage, say)
    if args.command == "channels":
        ivs = target.client("ivs")
        if bool(args.all) == bool(args.channels):
            raise Refusal("name the channels (CHANNELS='arn:aws:ivs:... ...') or CHANNELS=all")
        arns = channels.all_channels(ivs) if args.all else list(args.channels)
        arns = channels.check_arns(arns, target.account, target.region)
        recording = outputs["RecordingConfigurationArn"]
        verb = "Detaching" if args.detach else "Attaching"
        say(f"{verb} {len(arns)} channel(s), stage {args.stage}")
        if args.detach:
            failed = channels.point(ivs, arns, "", say, away_from=recording)
        else:
            failed = channels.point(ivs, arns, recording, say, replace=args.replace)
        return 1 if failed else 0
    if args.command == "chat-rooms":
        return _chat_rooms(target, project, args, outputs, say)
    if args.command == "moderator":
        dashboard = ProjectConfig(project).dashboard_url(args.stage)
        email, name = args.email.strip(), args.name.strip()
        users.invite(target, outputs, email, name, dashboard, say, role=args.role)
        return 0
    raise AssertionError(args.command)


def _chat_rooms(target: aws.Target, project: pathlib.Path, args, outputs, say) -> int:
    deployed = ProjectConfig(project).deployed(args.stage)
    chat = rooms.stage_chat(args.stage, target.account, target.region, outputs, deployed)
    ivschat = target.client("ivschat")
    if bool(args.all) == bool(args.rooms):
        raise Refusal("name the rooms (ROOMS='arn:aws:ivschat:... ...') or ROOMS=all")
    if args.all and args.channel:
        raise Refusal("CHANNEL names one room's channel: give that room, not ROOMS=all")
    arns = rooms.all_rooms(ivschat, chat) if args.all else list(args.rooms)
    found = rooms.check(
        ivschat, arns, chat, detach=args.detach, force=args.force, channel=args.channel.strip()
    )
    verb = "Detaching" if args.detach else "Attaching"
    say(f"{verb} {len(found)} chat room(s), stage {args.stage}")
    if args.detach:
        rooms.detach(ivschat, target.client("lambda"), found, chat, say)
    else:
        rooms.attach(
            ivschat, target.client("lambda"), found, chat, say,
            fallback=args.fallback, channel=args.channel.strip(),
        )  # fmt: skip
    return 0


def _options(args: argparse.Namespace) -> Options:
    return Options(
        stage=args.stage,
        moderator_email=args.moderator_email.strip(),
        moderator_name=args.moderator_name.strip(),
        interval=args.interval,
        storage=args.storage.strip().upper() if args.storage else None,
        resolution=args.resolution.strip().upper() if args.resolution else None,
        retention_days=args.retention_days,
        log_retention_days=args.log_retention_days,
        alarm_email=args.alarm_email.strip(),
        adapter_arn=args.adapter_arn.strip(),
        chat_allowed_hosts=args.chat_allowed_hosts,
        alert_emails=tuple(getattr(args, "alert_email", ())),
        team_emails=tuple(getattr(args, "team_email", ())),
    )


def _deployed_outputs(target: aws.Target, stage: str, say) -> dict[str, str]:
    stack = Stacks(target.client("cloudformation"), say).describe(naming.resources_stack(stage))
    if stack is None or not stack.outputs:
        raise Refusal(
            f"stage {stage} is not deployed in account {target.account}, {target.region}: "
            f"make deploy STAGE={stage} first"
        )
    return stack.outputs


def _confirm(yes: bool) -> Callable[[str], bool]:
    def ask(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise Refusal(f"{question} Pass YES=yes (--yes) to confirm without a terminal")
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    return ask
