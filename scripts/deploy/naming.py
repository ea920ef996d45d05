"""What a stage's things are called: the one place that knows Chalice's and our names."""

from __future__ import annotations

import re

APP = "ivs-moderation"  # .chalice/config.json app_name
# Chalice's handlers, as app.py registers them (tests check the list against the package).
FUNCTIONS = (
    "moderate_thumbnail",
    "stream_state_changed",
    "record_failed_frames",
    "api_handler",
    "review_chat_message",
    "chat_log_received",
    "moderate_chat_messages",
    "chat_ban_lookup",
    "sla_sweep",
    "send_alerts",
)
# Their logical ids in `chalice package`'s SAM template.
LOGICAL_IDS = {
    "moderate_thumbnail": "ModerateThumbnail",
    "stream_state_changed": "StreamStateChanged",
    "record_failed_frames": "RecordFailedFrames",
    "api_handler": "APIHandler",
    "review_chat_message": "ReviewChatMessage",
    "chat_log_received": "ChatLogReceived",
    "moderate_chat_messages": "ModerateChatMessages",
    "chat_ban_lookup": "ChatBanLookup",
    "sla_sweep": "SlaSweep",
    "send_alerts": "SendAlerts",
}
# The stage the local stack runs (`make local`); it is never deployed.
LOCAL_STAGE = "local"
# Resource names carry the stage; the recording bucket's must stay within 63 characters.
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


class Refusal(Exception):
    """Something the operator can fix, said in one line with what to do; never a traceback."""


def check_stage(stage: str) -> str:
    if stage == LOCAL_STAGE:
        raise Refusal(
            "the local stage is the local stack's (make local); deploy under another name, "
            "e.g. STAGE=dev"
        )
    if not _STAGE.match(stage or ""):
        raise Refusal(
            f"STAGE={stage!r} is not a stage name: use 1-20 lower-case letters, digits and "
            "dashes, starting with a letter (e.g. STAGE=prod)"
        )
    return stage


def resources_stack(stage: str) -> str:
    """The CloudFormation stack `make deploy` keeps the stage's resources in."""
    return f"{APP}-{stage}-resources"


def function_name(stage: str, function: str) -> str:
    """The Lambda function's name, as `chalice deploy` names it (and `make package` too)."""
    if function == "api_handler":  # Chalice's API handler is named after the stage alone
        return f"{APP}-{stage}"
    return f"{APP}-{stage}-{function}"


def policy_file(stage: str, function: str) -> str:
    """The function's IAM policy, under .chalice/ (generated, never edited)."""
    return f"policy-{stage}-{function}.json"
