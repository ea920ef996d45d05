"""Who acts: a signed-in member of the team, as the API verified them, and their role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# The roles, lowest first: each may do everything the ones before it may (api/roles.py).
TRIAGE = "triage"  # sees everything; acknowledges; escalates
MODERATOR = "moderator"  # every action on incidents, streams and the viewers' chat
ADMIN = "admin"  # what a moderator may, and the policies: blocked terms, people
ROLES = (TRIAGE, MODERATOR, ADMIN)
# Each role's user pool group is a setting (README "Configuration"); the deploy's names.
ROLE_GROUP_SETTINGS = {TRIAGE: "TRIAGE_GROUP", MODERATOR: "MODERATORS_GROUP", ADMIN: "ADMINS_GROUP"}
GROUP_DEFAULTS = {
    "TRIAGE_GROUP": "triage",
    "MODERATORS_GROUP": "moderators",
    "ADMINS_GROUP": "admins",
}


def role_groups(read: Callable[[str], str], error: type[ValueError] = ValueError) -> dict[str, str]:
    """Each role's group, as `read(setting)` gives it; `error` unless the three differ."""
    groups = {role: read(setting) for role, setting in ROLE_GROUP_SETTINGS.items()}
    if len(set(groups.values())) < len(groups):
        names = ", ".join(ROLE_GROUP_SETTINGS.values())
        raise error(f"{names} must name three different groups")
    return groups


def at_least(role: str, minimum: str) -> bool:
    """Whether `role` may do what needs `minimum`."""
    return ROLES.index(role) >= ROLES.index(minimum)


@dataclass(frozen=True)
class Moderator:
    user_id: str  # the user pool's `sub`: stable, unlike the username
    username: str
    role: str = MODERATOR  # the highest of the roles whose group the user is in
