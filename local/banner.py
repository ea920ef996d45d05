"""What the stack prints once it is up: where everything is, and how to sign in."""

from __future__ import annotations


def banner(info: dict) -> str:
    channels = "\n".join(f"    {c['name']:<20} {c['channelArn']}" for c in info["channels"])

    def source(handler: str, url: str) -> str:
        queue = url.rsplit("/", 1)[1]
        if info["rules"].get(handler) == queue:
            return f"EventBridge rule and queue {queue}"
        return f"SQS queue {queue}"

    handlers = "\n".join(
        f"    {handler:<24} <- {source(handler, url)}" for handler, url in info["queues"].items()
    )
    sign_ins = "\n              ".join(
        f"{info[role]['username']} / {info[role]['password']}  ({role})"
        for role in ("triage", "moderator", "admin")
    )
    return f"""
ivs-moderation is running locally.

  Dashboard   {info["dashboard_url"]}
  Sign in as  {sign_ins}
              (in no role's group: {info["viewer"]["username"]} / {info["viewer"]["password"]})
              more: make moderator STAGE=local EMAIL=... ROLE=triage|moderator|admin
  API         {info["api_url"]}
  AWS (moto)  {info["aws_endpoint_url"]} (DynamoDB {info["dynamodb_endpoint_url"]})
  Emulator    {info["emulator_url"]}
  Chat WS     {info["chat_ws_url"]}
  Handlers (the relay plays Lambda; 3 attempts, then the failed-frames queue)
{handlers}
  Failed frames {info["failed_frames_queue_url"]}
  Dead letters  in stack.json (`dead_letter_queues`); the relay logs what arrives there
  Channels
{channels or "    (no simulator)"}
  Logs        {info["logs"]}/*.log
  Endpoints   {info["logs"].rsplit("/", 1)[0]}/stack.json

Press Ctrl-C to stop everything.
"""
