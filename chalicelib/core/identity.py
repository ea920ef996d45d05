"""Who acts: a signed-in moderator, as the API verified them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Moderator:
    user_id: str  # the user pool's `sub`: stable, unlike the username
    username: str
