"""`make deploy STAGE=...`: an empty account (or a deployed stage) to a working dashboard.

1. the resources stack (infra/resources.yaml + infra/tables.yaml), created or updated;
2. its outputs recorded in the stage's settings, and the functions' policies made for them;
3. `chalice deploy --stage`;
4. what Chalice cannot express (retries, on-failure destination, API throttling, access logs);
5. the first moderator invited, with the dashboard's address (once it is known).
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import botocore.exceptions

from scripts.deploy import alerts, channels, naming, operations, policies, steps, templates
from scripts.deploy.aws import Target
from scripts.deploy.naming import Refusal
from scripts.deploy.settings import ProjectConfig, placeholder
from scripts.deploy.stack import Stacks

STEPS = 5
# Option -> the stack parameter it sets (and whose constraints it must meet).
PARAMETERS = {
    "interval": ("ThumbnailIntervalSeconds", "INTERVAL"),
    "storage": ("ThumbnailStorage", "STORAGE"),
    "resolution": ("ThumbnailResolution", "RESOLUTION"),
    "retention_days": ("RecordingRetentionDays", "--retention-days"),
    "log_retention_days": ("LogRetentionDays", "--log-retention-days"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A host chat links may point to (chalicelib/chat/settings.py takes the same), or *.domain.
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}(:\d{1,5})?$")


@dataclass(frozen=True)
class Options:
    stage: str
    moderator_email: str = ""
    moderator_name: str = ""
    # None: the stage's current value, or the template's default on a first deploy.
    interval: int | None = None
    storage: str | None = None
    resolution: str | None = None
    retention_days: int | None = None
    log_retention_days: int | None = None
    alarm_email: str = ""
    adapter_arn: str = ""
    # None: the stage's current CHAT_ALLOWED_HOSTS (none on a first deploy).
    chat_allowed_hosts: str | None = None
    # Alert e-mails (scripts/deploy/alerts.py); none given: the subscriptions stay as they are.
    alert_emails: tuple[str, ...] = ()
    team_emails: tuple[str, ...] = ()


def preflight(project: pathlib.Path, options: Options) -> None:
    """What can be refused before touching AWS: the stage's name, its settings, the options."""
    naming.check_stage(options.stage)
    ProjectConfig(project).check(options.stage)
    check_options(options)
    teams = chosen_teams(ProjectConfig(project).environment(options.stage))
    alerts.subscriptions(options.alert_emails, options.team_emails, teams)  # refused early


def deploy(
    target: Target, project: pathlib.Path, options: Options, say: Callable[[str], None]
) -> None:
    preflight(project, options)
    stage = options.stage
    config = ProjectConfig(project)
    config.check(stage, target.account, target.region)
    stacks = Stacks(target.client("cloudformation"), say)
    name = naming.resources_stack(stage)
    current = stacks.describe(name)
    if current and current.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
        # A first creation that failed leaves an empty stack that can only be deleted.
        say(f"Stack {name} failed to create last time ({current.status}); deleting it first")
        stacks.delete(name)
        current = None
    if current is None:
        _refuse_leftovers(target, stage)
    steps.refuse_unrecorded_functions(target, stage, config.deployed(stage))
    moderator_email, moderator_name = _moderator(options, current)
    # The adapter is the operator's setting (MODERATION_ADAPTER_ARN); the policy follows it.
    adapter = options.adapter_arn or config.environment(stage).get("MODERATION_ADAPTER_ARN", "")
    if adapter and adapter.split(":")[3:5] != [target.region, target.account]:
        raise Refusal(
            f"the adapter {adapter} is not in {target.account}, {target.region}: Rekognition "
            "uses an adapter of the deployment's own account and region"
        )
    url = config.dashboard_url(stage) or (
        current.parameters.get("DashboardUrl", "") if current else ""
    )
    say(f"Deploying ivs-moderation stage {stage} to account {target.account}, {target.region}")

    say(f"[1/{STEPS}] Resources: stack {name}")
    parameters = {
        "Stage": stage,
        **stack_settings(options, current.parameters if current else {}),
        # Invited once the dashboard's address is known, so the invitation can name it.
        "ModeratorEmail": moderator_email if url else "",
        "ModeratorName": moderator_name if url else "",
        "DashboardUrl": url,
        "AlarmEmail": options.alarm_email
        or (current.parameters.get("AlarmEmail", "") if current else "")
        or moderator_email,
        "ConfigureApiGatewayAccount": _api_gateway_account(target, current),
    }
    body = templates.body(templates.resources_template())
    stack = stacks.deploy(name, body, parameters)
    outputs = stack.outputs
    if current and current.outputs.get("RecordingConfigurationArn") not in (
        None,
        outputs["RecordingConfigurationArn"],
    ):
        _move_channels(target, current.outputs["RecordingConfigurationArn"], outputs, say)

    say(f"[2/{STEPS}] Settings and least-privilege policies for stage {stage}")
    lambda_client = target.client("lambda")
    concurrency, why_not = operations.affordable_concurrency(lambda_client, stage)
    deployment = policies.Deployment(
        stage=stage,
        account=target.account,
        region=target.region,
        outputs=outputs,
        adapter_arn=adapter,
        partition=target.partition,
    )
    chosen = chosen_settings(options, config.environment(stage))
    documents = policies.concrete(deployment)
    for path in config.record(stage, outputs, documents, concurrency, chosen):
        say(f"  wrote {path}")
    if why_not:
        say(f"  note: {why_not}")

    say(f"[3/{STEPS}] chalice deploy --stage {stage}")
    steps.run_chalice(target, project, ["deploy", "--stage", stage], say)
    deployed = config.deployed(stage)
    dashboard = deployed["rest_api"]["rest_api_url"]

    say(f"[4/{STEPS}] Retries, on-failure destination, API throttling and access logs")
    operations.apply(target.client, deployed, outputs, say)
    if options.alert_emails or options.team_emails:
        teams = chosen_teams(config.environment(stage))
        wanted = alerts.subscriptions(options.alert_emails, options.team_emails, teams)
        alerts.subscribe(target.client("sns"), outputs["AlertTopicArn"], wanted, say)

    say(f"[5/{STEPS}] The first moderator")
    if parameters["DashboardUrl"] != dashboard or parameters["ModeratorEmail"] != moderator_email:
        parameters.update(
            DashboardUrl=dashboard, ModeratorEmail=moderator_email, ModeratorName=moderator_name
        )
        stack = stacks.deploy(name, body, parameters)
    else:
        say(f"  {moderator_name} <{moderator_email}> was invited before")

    say("")
    say(f"Stage {stage} is deployed.")
    say(f"  Dashboard:  {dashboard}")
    say(
        f"  Moderator:  {moderator_name} <{moderator_email}> (Cognito e-mails a temporary password)"
    )
    say(f"  Alarms:     to {parameters['AlarmEmail']} (confirm the subscription e-mail AWS sends)")
    say("Next: attach the channels to moderate (IVS records only channels that point at the")
    say(
        f"stage's recording configuration):  make channels STAGE={stage} CHANNELS='arn:aws:ivs:...'"
    )
    say(f"  (or CHANNELS=all).  Remove everything with:  make destroy STAGE={stage}")


def chosen_teams(environment) -> tuple[str, ...]:
    """The stage's escalation teams (ESCALATION_TEAMS, or the service's default)."""
    from chalicelib.core.config import DEFAULTS

    text = environment.get("ESCALATION_TEAMS") or DEFAULTS["ESCALATION_TEAMS"]
    return tuple(team.strip() for team in text.split(";") if team.strip())


def check_options(options: Options) -> None:
    for label, value in (
        ("MODERATOR_EMAIL", options.moderator_email),
        ("ALARM_EMAIL", options.alarm_email),
    ):
        if value and not _EMAIL.match(value):
            raise Refusal(f"{label}={value!r} is not an e-mail address")
        if value and (reason := placeholder(value)):
            raise Refusal(f"{label}={value!r} {reason}: give a real address")
    if options.moderator_name and not re.match(r"^[\w.+-]{1,128}$", options.moderator_name):
        raise Refusal(f"MODERATOR_NAME={options.moderator_name!r}: use letters, digits and . _ + -")
    declared = templates.resources_template()["Parameters"]
    for field, (parameter, label) in PARAMETERS.items():
        value = getattr(options, field)
        if value is None:
            continue
        constraints = declared[parameter]
        allowed = [str(v) for v in constraints.get("AllowedValues", [])]
        low, high = constraints.get("MinValue"), constraints.get("MaxValue")
        if (
            (allowed and str(value) not in allowed)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            within = ", ".join(allowed) if allowed else f"{low} to {high if high else 'any'}"
            raise Refusal(f"{label}={value}: {constraints['Description'].lower()}; use {within}")
    if options.adapter_arn and (reason := placeholder(options.adapter_arn)):
        raise Refusal(f"ADAPTER_ARN {reason}: give your adapter's project version ARN")
    for host in allowed_hosts(options.chat_allowed_hosts or ""):
        if not _HOST.match(host):
            raise Refusal(f"CHAT_ALLOWED_HOSTS: {host!r} is not a host name (or *.domain)")
        if reason := placeholder(host):
            raise Refusal(f"CHAT_ALLOWED_HOSTS: {host!r} {reason}: name your own hosts")


def allowed_hosts(text: str) -> list[str]:
    return [part.strip().lower() for part in re.split(r"[,;\s]+", text) if part.strip()]


def chosen_settings(options: Options, environment: dict[str, str]) -> dict[str, str]:
    """The settings the operator chose on the command line; CHAT_ALLOWED_HOSTS is set (to
    none) on a first deploy, so that every stage says which hosts its chat may link to."""
    chosen = {"MODERATION_ADAPTER_ARN": options.adapter_arn} if options.adapter_arn else {}
    if options.chat_allowed_hosts is not None:
        chosen["CHAT_ALLOWED_HOSTS"] = "; ".join(allowed_hosts(options.chat_allowed_hosts))
    elif "CHAT_ALLOWED_HOSTS" not in environment:
        chosen["CHAT_ALLOWED_HOSTS"] = ""
    return chosen


def stack_settings(options: Options, current: dict[str, str]) -> dict[str, str]:
    """The options' stack parameters: given, else as the stage has them, else the default."""
    declared = templates.resources_template()["Parameters"]
    settings = {}
    for field, (parameter, _) in PARAMETERS.items():
        value = getattr(options, field)
        if value is None:
            value = current.get(parameter, declared[parameter]["Default"])
        settings[parameter] = str(value)
    return settings


def _moderator(options: Options, current) -> tuple[str, str]:
    """The first moderator: given on the first deploy, then kept (changing it would delete them)."""
    previous = current.parameters.get("ModeratorEmail", "") if current else ""
    email = options.moderator_email or previous
    if not email:
        raise Refusal(
            "the first deploy of a stage needs MODERATOR_EMAIL=..., the first moderator's "
            "address (Cognito e-mails them a temporary password)"
        )
    if previous and email.lower() != previous.lower():
        raise Refusal(
            f"the stage's first moderator is {previous}; add others with "
            f"make moderator STAGE={options.stage} EMAIL=... (changing it would delete {previous})"
        )
    name = options.moderator_name or (
        current.parameters.get("ModeratorName", "") if current else ""
    )
    name = name or re.sub(r"[^\w.+-]", "", email.split("@")[0])[:128] or "moderator"
    return email, name


def _api_gateway_account(target: Target, current) -> str:
    """Set API Gateway's account-wide logs role only where none is set, or where we set it."""
    if current and current.parameters.get("ConfigureApiGatewayAccount") == "true":
        return "true"
    account = target.client("apigateway").get_account()
    return "false" if account.get("cloudwatchRoleArn") else "true"


def _refuse_leftovers(target: Target, stage: str) -> None:
    """A destroyed stage keeps its recordings and decision log; a new stack cannot reuse them."""
    found = [name for _, name in steps.retained_data(target, stage)]
    if found:
        raise Refusal(
            f"stage {stage}'s data from an earlier deployment is still here ({', '.join(found)}): "
            f"delete it with make destroy STAGE={stage} DELETE_DATA=yes, or deploy another STAGE"
        )


def _move_channels(target: Target, old: str, outputs, say: Callable[[str], None]) -> None:
    """A changed recording configuration is a new one: move the channels, then drop the old."""
    new = outputs["RecordingConfigurationArn"]
    ivs = target.client("ivs")
    arns = channels.all_channels(ivs, old)
    say(f"  the recording configuration was replaced: moving {len(arns)} channel(s) to it")
    failed = channels.point(ivs, arns, new, say, away_from=old)
    if failed:
        say(f"  {old} is kept for the channels that could not move; run `make channels` again")
        return
    try:
        ivs.delete_recording_configuration(arn=old)
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"].get("Code", "")
        if code != "ResourceNotFoundException":  # CloudFormation may have deleted it already
            say(f"  the old recording configuration {old} is left ({code}); delete it later")
