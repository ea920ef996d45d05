"""`make destroy STAGE=...`: remove what `make deploy` created. The recordings and the decision
log (decisions and incidents) are kept unless asked for (`DELETE_DATA=yes`)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from scripts.deploy import channels, naming, rooms, steps
from scripts.deploy.aws import Target
from scripts.deploy.naming import Refusal
from scripts.deploy.settings import ProjectConfig
from scripts.deploy.stack import Stacks

STEPS = 4


def destroy(
    target: Target,
    project: pathlib.Path,
    stage: str,
    delete_data: bool,
    say: Callable[[str], None],
    confirm: Callable[[str], bool] = lambda question: True,
) -> None:
    naming.check_stage(stage)
    config = ProjectConfig(project)
    stacks = Stacks(target.client("cloudformation"), say)
    name = naming.resources_stack(stage)
    stack = stacks.describe(name)
    deployed = config.deployed(stage)
    data = steps.retained_data(target, stage)
    if stack is None and not deployed and not data:
        raise Refusal(
            f"stage {stage} is not deployed in account {target.account}, {target.region} "
            f"(no stack {name}, nothing in .chalice/deployed/{stage}.json): nothing to remove"
        )
    steps.refuse_unrecorded_functions(target, stage, deployed)
    kept = (
        "deleting the recordings and the decision log too"
        if delete_data
        else "keeping the recordings and the decision log"
    )
    if not confirm(f"Remove stage {stage} from account {target.account}, {target.region}, {kept}?"):
        raise Refusal("nothing removed")
    say(f"Removing ivs-moderation stage {stage} from account {target.account}, {target.region}")

    say(f"[1/{STEPS}] Channels recorded and chat rooms moderated by the stage")
    if stack and "RecordingConfigurationArn" in stack.outputs:
        ivs = target.client("ivs")
        recording = stack.outputs["RecordingConfigurationArn"]
        arns = channels.all_channels(ivs, recording)
        if channels.point(ivs, arns, "", say, away_from=recording):
            raise Refusal(
                "a channel recorded by this stage could not be changed (above); IVS deletes a "
                "recording configuration only when no channel uses it: run this again then"
            )
        if not arns:
            say("  none")
    _detach_chat_rooms(target, stage, stack.outputs if stack else {}, deployed, say)

    say(f"[2/{STEPS}] chalice delete --stage {stage}")
    if deployed:
        steps.run_chalice(target, project, ["delete", "--stage", stage], say)
    else:
        say("  nothing deployed by Chalice")

    say(f"[3/{STEPS}] Resources: stack {name}")
    stacks.delete(name)
    config.forget(stage)

    say(f"[4/{STEPS}] Recordings and decision log")
    data = steps.retained_data(target, stage)
    if not data:
        say("  none left")
    elif delete_data:
        for resource_type, resource in data:
            _delete(target, resource_type, resource, say)
    else:
        for _, resource in data:
            say(f"  kept {resource}")
        say(f"  (make destroy STAGE={stage} DELETE_DATA=yes deletes them; a new deploy of")
        say(f"  stage {stage} needs them gone, another stage name does not)")
    say(f"Stage {stage} is removed.")


def _detach_chat_rooms(target: Target, stage: str, outputs, deployed, say) -> None:
    """Before its function goes: the rooms would otherwise call a handler that is gone (and
    take their fallback on every message)."""
    try:
        chat = rooms.stage_chat(stage, target.account, target.region, outputs, deployed)
    except Refusal:
        return  # no review function or no logging configuration: no room can be attached
    ivschat = target.client("ivschat")
    attached = rooms.check(ivschat, rooms.stage_rooms(ivschat, chat), chat, detach=True)
    rooms.detach(ivschat, target.client("lambda"), attached, chat, say)
    if not attached:
        say("  no chat rooms")


def _delete(target: Target, resource_type: str, name: str, say: Callable[[str], None]) -> None:
    if resource_type == "AWS::S3::Bucket":
        s3 = target.client("s3")
        removed = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(doomed), 1000):
                s3.delete_objects(
                    Bucket=name, Delete={"Objects": doomed[start : start + 1000], "Quiet": True}
                )
            removed += len(doomed)
        s3.delete_bucket(Bucket=name)
        say(f"  deleted bucket {name} ({removed} object versions)")
    else:
        dynamodb = target.client("dynamodb")
        dynamodb.delete_table(TableName=name)
        say(f"  deleted table {name}")
