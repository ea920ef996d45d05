"""`make moderator STAGE=local EMAIL=... [ROLE=...] [NAME=...]`: one more member of the team
in the running local stack's user pool (moto's Cognito), with a password printed here.

The stack must be running (`make local`): its stack.json names the pool and the groups.
In AWS the same target invites them by e-mail instead (scripts/deploy/users.py).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

from local.resources import create_user
from local.stack_client import client

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROLES = ("triage", "moderator", "admin")


def add_user(stack: dict, email: str, role: str, name: str = "") -> dict[str, str]:
    """A confirmed user of `role` in the stack's pool: their username and password."""
    username = name or re.sub(r"[^\w.+-]", "", email.split("@")[0]) or role
    idp = client(stack, "cognito-idp")
    group = stack["groups"][role]
    password = create_user(idp, stack["user_pool_id"], username, group, email=email)
    return {"username": username, "password": password, "role": role}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", default="", help="user name (default: from the address)")
    parser.add_argument("--role", default="moderator", choices=ROLES)
    parser.add_argument("--state-dir", type=pathlib.Path, default=ROOT / ".local")
    args = parser.parse_args(argv)
    try:
        stack = json.loads((args.state_dir / "stack.json").read_text())
    except FileNotFoundError:
        print("error: the local stack is not running: start it with make local", file=sys.stderr)
        return 2
    try:
        user = add_user(stack, args.email.strip(), args.role, args.name.strip())
    except client(stack, "cognito-idp").exceptions.UsernameExistsException:
        print("error: that user name is taken: pick another NAME", file=sys.stderr)
        return 2
    print(f"Sign in as {user['username']} / {user['password']} ({user['role']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
