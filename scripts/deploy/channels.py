"""IVS records only the channels that point at a recording configuration: point them at the
stage's (or away from it). A live channel cannot be changed; it is named, and left as it is."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import botocore.exceptions

from scripts.deploy.naming import Refusal

_CHANNEL_ARN = re.compile(r"^arn:aws[a-z-]*:ivs:([a-z0-9-]+):(\d{12}):channel/[A-Za-z0-9]+$")


def all_channels(ivs, recording_configuration: str | None = None) -> list[str]:
    kwargs = (
        {"filterByRecordingConfigurationArn": recording_configuration}
        if recording_configuration
        else {}
    )
    arns = []
    for page in ivs.get_paginator("list_channels").paginate(**kwargs):
        arns.extend(channel["arn"] for channel in page["channels"])
    return arns


def check_arns(arns: Iterable[str], account: str, region: str) -> list[str]:
    checked = []
    for arn in arns:
        match = _CHANNEL_ARN.match(arn)
        if not match:
            raise Refusal(
                f"{arn!r} is not an IVS channel ARN (arn:aws:ivs:REGION:ACCOUNT:channel/ID)"
            )
        if (match.group(1), match.group(2)) != (region, account):
            raise Refusal(
                f"{arn} is in {match.group(2)}, {match.group(1)}; this stage records channels of "
                f"{account}, {region} only (IVS records to a bucket of its own region)"
            )
        checked.append(arn)
    return checked


def point(
    ivs,
    arns: Iterable[str],
    to: str,
    say: Callable[[str], None],
    *,
    away_from: str | None = None,
    replace: bool = False,
) -> int:
    """Point each channel at `to` ("" to stop recording it); how many could not be changed.

    With `away_from`, only channels now pointing there are changed; otherwise a channel that
    records to another configuration is left alone unless `replace`.
    """
    failed = 0
    for arn in arns:
        try:
            channel = ivs.get_channel(arn=arn)["channel"]
        except botocore.exceptions.ClientError as error:
            say(f"  {arn}: {_reason(error)}")
            failed += 1
            continue
        label = f"{channel.get('name') or arn}"
        current = channel.get("recordingConfigurationArn", "")
        if current == to:
            say(f"  {label}: already {'recorded by this stage' if to else 'not recorded'}")
            continue
        if away_from is not None and current != away_from:
            say(f"  {label}: not recorded by this stage; left as it is")
            continue
        if away_from is None and current and not replace:
            say(
                f"  {label}: records to another configuration ({current}); "
                "REPLACE=yes moves it to this stage"
            )
            failed += 1
            continue
        try:
            ivs.update_channel(arn=arn, recordingConfigurationArn=to)
        except botocore.exceptions.ClientError as error:
            say(f"  {label}: {_reason(error)}")
            failed += 1
            continue
        done = "now recorded (its thumbnails are moderated)" if to else "no longer recorded"
        say(f"  {label}: {done}")
    return failed


def _reason(error: botocore.exceptions.ClientError) -> str:
    code = error.response["Error"].get("Code", "")
    if code == "ConflictException":
        return "live: IVS changes a channel only when it is offline; run this again then"
    if code == "ResourceNotFoundException":
        return "no such channel"
    if code == "AccessDeniedException":
        return "access denied: these credentials may not update IVS channels"
    return f"{code}: {error.response['Error'].get('Message', '')}"
