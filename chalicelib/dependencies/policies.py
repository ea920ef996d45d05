"""The policies' parts the API and the moderators' actions use (chalicelib/policies/), each
built once per container on first use, as the rest of the house's are
(dependencies/__init__.py builds the store and the book)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import dependencies
from chalicelib.dependencies import once

if TYPE_CHECKING:
    from chalicelib.policies.backtest_run import Backtests
    from chalicelib.policies.service import PolicyService
    from chalicelib.policies.watching import Watchlist


@once
def watchlist() -> Watchlist:
    from chalicelib.policies.model import WATCH_HOURS
    from chalicelib.policies.watching import Watchlist

    return Watchlist(
        store=dependencies.policy_store(),
        hours=lambda: dependencies.policy_book().watchlist().watch_hours or WATCH_HOURS,
        clock=dependencies.now,
        changed=lambda: dependencies.policy_book().invalidate(),
    )


@once
def backtests() -> Backtests:
    from chalicelib.policies.backtest_run import Backtests

    return Backtests(
        decisions=dependencies.decision_store(),
        states=dependencies.policy_store().table,
        clock=dependencies.now,
        min_confidence=dependencies.settings().min_confidence,
    )


@once
def policy_service() -> PolicyService:
    from chalicelib.policies.service import PolicyService

    return PolicyService(
        store=dependencies.policy_store(),
        book=dependencies.policy_book,
        settings=dependencies.settings(),
        watchlist=watchlist(),
        channels=dependencies.channel_store(),
        backtests=backtests(),
        channel_names=channel_names,
        clock=dependencies.now,
    )


def channel_names(arns: list[str]) -> dict[str, str]:
    """The names the channels table knows of these channels (one BatchGetItem per 100)."""
    table = dependencies.channel_store().table
    items = table.batch_get([{"channelArn": arn} for arn in dict.fromkeys(arns)])
    return {item["channelArn"]: item.get("name", "") for item in items}
