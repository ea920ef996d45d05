"""Who acts: a signed-in member of the team, as the API verified them, and their role."""

from __future__ import annotations

from dataclasses import dataclass

# The roles, lowest first: each may do everything the ones before it may (api/roles.py).
TRIAGE = "triage"  # sees everything; acknowledges; escalates
MODERATOR = "moderator"  # every action on incidents, streams and the viewers' chat
ADMIN = "admin"  # what a moderator may, and the policies: blocked terms, people
ROLES = (TRIAGE, MODERATOR, ADMIN)


def at_least(role: str, minimum: str) -> bool:
    """Whether `role` may do what needs `minimum`."""
    return ROLES.index(role) >= ROLES.index(minimum)


@dataclass(frozen=True)
class Moderator:
    user_id: str  # the user pool's `sub`: stable, unlike the username
    username: str
    role: str = MODERATOR  # the highest of the roles whose group the user is in
