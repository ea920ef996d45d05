"""The local stack's team: one user of each role, as the banner prints them, and more added
as `make moderator STAGE=local ROLE=...` adds them (local/users.py)."""

from __future__ import annotations

import pathlib
import re
import secrets
import subprocess

from local.stack_client import api, sign_in
from local.users import main

ROOT = pathlib.Path(__file__).resolve().parents[2]

ROLES = ("triage", "moderator", "admin")


def test_the_stack_has_a_user_of_each_role_and_a_viewer_of_none(stack):
    for role in ROLES:
        me = api(stack, "GET", "/me", sign_in(stack, role))
        assert me.status_code == 200, me.text
        assert (me.json()["username"], me.json()["role"]) == (stack[role]["username"], role)
    viewer = api(stack, "GET", "/me", sign_in(stack, "viewer"))
    assert viewer.status_code == 403


def test_triage_is_refused_a_stop_in_words_and_a_moderator_blocked_terms(stack):
    channel = f"arn:aws:ivs:{stack['region']}:{stack['account']}:channel/RolesStop001"

    stop = api(stack, "POST", "/stop-stream", sign_in(stack, "triage"), {"channelArn": channel})
    term = api(stack, "PUT", "/chat/terms", sign_in(stack), {"roomArn": "*", "term": "zzq"})

    assert stop.status_code == 403
    assert stop.json()["Message"] == "triage may not stop streams: it needs the moderator role"
    assert term.status_code == 403
    assert term.json()["Message"] == "moderator may not block terms: it needs the admin role"


def test_make_moderator_stage_local_adds_one_in_the_role_asked_and_prints_the_password(stack):
    name = f"lead-{secrets.token_hex(2)}"
    state = pathlib.Path(stack["logs"]).parent  # where this stack's stack.json is

    email, args = f"EMAIL={name}@moderation.test", f"ARGS=--state-dir {state}"
    made = subprocess.run(
        ["make", "-s", "moderator", "STAGE=local", email, "ROLE=admin", args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert made.returncode == 0, made.stderr
    printed = re.fullmatch(r"Sign in as (\S+) / (\S+) \(admin\)\n", made.stdout)
    assert printed and printed[1] == name, made.stdout
    user = {"username": name, "password": printed[2]}
    me = api(stack, "GET", "/me", sign_in({**stack, "added": user}, "added")).json()
    assert (me["username"], me["role"]) == (name, "admin")


def test_make_moderator_stage_local_says_so_when_no_stack_is_running(tmp_path, capsys):
    status = main(["--email", "x@moderation.test", "--state-dir", str(tmp_path)])

    assert status == 2
    assert "the local stack is not running" in capsys.readouterr().err
