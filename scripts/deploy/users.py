"""`make moderator STAGE=... EMAIL=... [ROLE=triage|moderator|admin]`: invite one more member
of the team to the stage's user pool, in the group of their role (moderator by default)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import botocore.exceptions

from scripts.deploy.aws import Target
from scripts.deploy.naming import Refusal
from scripts.deploy.settings import placeholder

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Each role's group, as the resources stack outputs it (and the stage records it).
ROLE_GROUPS = {"triage": "TriageGroup", "moderator": "ModeratorsGroup", "admin": "AdminsGroup"}


def invite(
    target: Target,
    outputs: Mapping[str, str],
    email: str,
    name: str,
    dashboard: str,
    say: Callable[[str], None],
    role: str = "moderator",
) -> None:
    if role not in ROLE_GROUPS:
        raise Refusal(f"ROLE={role!r} is not a role: {', '.join(ROLE_GROUPS)}")
    if ROLE_GROUPS[role] not in outputs:
        raise Refusal(f"stage has no {role} group yet: deploy it again (make deploy) first")
    if not _EMAIL.match(email):
        raise Refusal(f"EMAIL={email!r} is not an e-mail address")
    if reason := placeholder(email):
        raise Refusal(f"EMAIL={email!r} {reason}: give the moderator's real address")
    name = name or re.sub(r"[^\w.+-]", "", email.split("@")[0]) or "moderator"
    idp = target.client("cognito-idp")
    pool, group = outputs["UserPoolId"], outputs[ROLE_GROUPS[role]]
    try:
        idp.admin_create_user(
            UserPoolId=pool,
            Username=name,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
    except botocore.exceptions.ClientError as error:
        if error.response["Error"].get("Code") == "UsernameExistsException":
            raise Refusal(f"{name} is already a user of the pool: pick another NAME") from None
        raise
    idp.admin_add_user_to_group(UserPoolId=pool, Username=name, GroupName=group)
    say(
        f"Invited {name} <{email}> as {role} (group {group}); Cognito e-mails a temporary password."
    )
    if dashboard:
        say(f"Send them the dashboard's address: {dashboard}")
