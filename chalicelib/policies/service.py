"""What the API does with policies (docs/policies.md, "Routes"): the answers' shapes, the
refusals in words, the order of checks. The store (policies/store.py) keeps policies and the
watchlist; the book (policies/book.py) says which applies; backtests read the decision log
(policies/backtest_run.py); watches after moderators' actions are policies/watching.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.channels.store import ChannelStore
from chalicelib.core.config import Settings
from chalicelib.core.errors import BadRequest, NotFound
from chalicelib.core.times import iso_time
from chalicelib.core.validation import shown
from chalicelib.policies.assignments import LOG
from chalicelib.policies.backtest_run import Backtests, Draft
from chalicelib.policies.book import Applied
from chalicelib.policies.defaults import default_watchlist, stage_default
from chalicelib.policies.model import DEFAULT, NAME, WATCHLIST, PolicyDocument, check_name
from chalicelib.policies.store import PolicyStore
from chalicelib.policies.watching import Watchlist

BACKTEST = "backtest"  # POST /policies/backtest: a policy of that name could not be read
RESERVED = {
    DEFAULT: "default is the stage's own policy, set by its variables (ALERT_THRESHOLDS, "
    "AUTO_STOP_THRESHOLDS, IGNORED_CATEGORIES, FRAME_SKIP_ENABLED): it cannot be saved here",
    BACKTEST: "backtest is the name of the backtest's route: choose another name",
}
MAX_CHANNELS = 1000  # channels a backtest looks at (one Scan page, as GET /channels lists)
NOT_SET = {
    WATCHLIST: "watchlist is laid over the channels on the watchlist: PUT /watchlist/{channel}",
}


def valid_name(name: str) -> bool:
    """Whether a policy could have this name (the path's, before it is looked up)."""
    return isinstance(name, str) and bool(NAME.match(name)) and name != BACKTEST


def writable_name(name: str) -> str:
    """A name a policy may be saved under: 400 in words for a reserved one."""
    if name in RESERVED:
        raise BadRequest(f"name: {RESERVED[name]}")
    return check_name(name)


class PolicyService:
    def __init__(
        self,
        *,
        store: PolicyStore,
        book: Callable[[], Any],
        settings: Settings,
        watchlist: Watchlist,
        channels: ChannelStore,
        backtests: Backtests,
        channel_names: Callable[[list[str]], dict[str, str]],
        clock: Callable[[], datetime],
    ) -> None:
        self._channels = channels
        self._backtests = backtests
        self._store = store
        self._book = book
        self._settings = settings
        self._watchlist = watchlist
        self._names = channel_names
        self._clock = clock

    # --- policies ------------------------------------------------------------------------

    def stage_policies(self) -> dict[str, PolicyDocument]:
        default = stage_default(self._settings)
        return {DEFAULT: default, WATCHLIST: default_watchlist(default)}

    def listing(self) -> dict[str, Any]:
        """GET /policies."""
        heads = self._store.heads()
        stage = self.stage_policies()
        watch = next((h for h in heads if h["name"] == WATCHLIST), None)
        return {
            "items": [_listed(head) for head in heads if head["name"] != WATCHLIST],
            "default": _stage(DEFAULT, stage[DEFAULT]),
            "watchlist": _head(watch) if watch else _stage(WATCHLIST, stage[WATCHLIST]),
            "refreshSeconds": self._settings.policy_refresh_seconds,
        }

    def policy(self, name: str) -> dict[str, Any]:
        """GET /policies/{name}: the head and its versions, newest first."""
        head = None if name == DEFAULT else self._store.head(name)
        versions = [] if name == DEFAULT else self._store.versions(name)
        if head is None:
            if name not in (DEFAULT, WATCHLIST):
                raise _no_policy(name, versions)
            answer = _stage(name, self.stage_policies()[name])
        else:
            answer = _head(head)
        return {**answer, "versions": [_version(item) for item in versions]}

    def version(self, name: str, number: int) -> dict[str, Any]:
        """GET /policies/{name}/versions/{version}: that version's document."""
        if number == 0 and name in (DEFAULT, WATCHLIST):
            return {**_stage(name, self.stage_policies()[name]), "comment": "", "diff": []}
        item = None if number == 0 or name == DEFAULT else self._store.version(name, number)
        if item is None:
            raise NotFound(f"no such version of {shown(name)}: {number}")
        return {"name": name, **_version(item), "document": item.get("document")}

    def save(
        self, name: str, raw: Mapping[str, Any], *, expected: int, by: str, comment: str
    ) -> dict[str, Any]:
        """PUT /policies/{name}: the new head (400 naming the field; 409 naming who saved)."""
        document = PolicyDocument.parse(raw, name)
        head = self._store.save(
            name, document, expected_version=expected, by=by, at=self._clock(), comment=comment
        )
        self._book_forget()
        return _head(head)

    def restore(self, name: str, version: int, *, expected: int, by: str) -> dict[str, Any]:
        """POST /policies/{name}/restore: version's document saved as a new version."""
        head = self._store.restore(
            name, version, expected_version=expected, by=by, at=self._clock()
        )
        self._book_forget()
        return {**_head(head), "restoredFrom": version}

    def delete(self, name: str, expected: int, *, by: str) -> dict[str, Any]:
        """DELETE /policies/{name}: a last version (deleted) written, the head removed."""
        version = self._store.delete(name, expected_version=expected, by=by, at=self._clock())
        self._book_forget()
        return {"name": name, "deleted": True, "version": version}

    # --- channels and the watchlist --------------------------------------------------------

    def resolved(self, channel_arn: str, known: Mapping[str, Any] | None = None) -> Applied:
        """The policy that applies to the channel now (its name and tags as the channels
        table keeps them)."""
        item = known if known is not None else self._channels.get(channel_arn)
        return self._book().resolve(
            channel_arn, item.get("name", ""), item.get("tags") or {}, self._clock()
        )

    def applied(self, channel_arn: str) -> dict[str, Any]:
        """GET /channels/{channel_arn}/policy: which policy applies, why, and the effective
        document (the watchlist's overlay included)."""
        applied = self.resolved(channel_arn)
        return {
            "channelArn": channel_arn,
            "policy": applied.name,
            "version": applied.version,
            "why": applied.why,
            "watchlisted": watch_answer(applied.watch, self._clock()),
            "document": applied.document.to_json(),
            "assigned": self._store.assignment(channel_arn),
        }

    def set_channel_policy(self, channel_arn: str, name: str | None, *, by: str):
        """PUT /channels/{channel_arn}/policy: set (null: unset), audited; what applies now."""
        if name is not None:
            if name in NOT_SET:
                raise BadRequest(f"policy: {NOT_SET[name]}")
            if name != DEFAULT and (not valid_name(name) or self._store.head(name) is None):
                raise NotFound(f"policy: no such policy: {shown(name)}")
        self._store.assign(channel_arn, name, by=by, at=self._clock())
        self._book_forget()
        return self.applied(channel_arn)

    def watchlist(self) -> dict[str, Any]:
        """GET /watchlist: the channels on it now, soonest to end first."""
        watches = self._store.watches(self._clock())
        names = self._names([item["channelArn"] for item in watches])
        fields = ("channelArn", "until", "reason", "addedBy", "addedAt", "incidentId")
        return {
            "items": [
                {
                    **{k: item[k] for k in fields if item.get(k) is not None},
                    "name": names.get(item["channelArn"], ""),
                }
                for item in sorted(watches, key=lambda w: (w["until"], w["channelArn"]))
            ]
        }

    def changes(self, limit: int, start: str | None) -> dict[str, Any]:
        """GET /policy-log: channel assignments and watchlist changes, newest first (a policy's
        own changes are its versions)."""
        lines, last = self._store.log(limit, {"pk": LOG, "sk": start} if start else None)
        fields = ("at", "who", "what", "channelArn", "before", "after")
        return {
            "items": [{k: line.get(k) for k in fields} for line in lines],
            "next": last["sk"] if last else None,
        }

    def watch(self, channel_arn: str, *, hours: int | None, reason: str, by: str):
        """PUT /watchlist/{channel_arn}: on the watchlist by hand, audited."""
        watch = self._watchlist.put(channel_arn, hours=hours, reason=reason, by=by)
        return {"channelArn": channel_arn, "watchlisted": watch}

    def unwatch(self, channel_arn: str, *, by: str) -> dict[str, Any]:
        """DELETE /watchlist/{channel_arn}: off the watchlist, audited (404: it was not on)."""
        removed = self._watchlist.remove(channel_arn, by=by)
        if removed is None:
            raise NotFound(f"{channel_arn} is not on the watchlist")
        return {"channelArn": channel_arn, "watchlisted": None, "removed": removed}

    def backtest(
        self, name: str, raw: Mapping[str, Any], *, hours: int, cursor: str | None
    ) -> dict[str, Any]:
        """POST /policies/backtest: what the draft would have decided (policies/backtest.py)."""
        if name == WATCHLIST:
            raise BadRequest(
                "name: the watchlist policy is laid over the others: backtest a policy it is "
                "laid over (its frames recorded as watchlisted are decided with it)"
            )
        if name != DEFAULT:
            writable_name(name)
        document = PolicyDocument.parse(raw, name)
        policy_book = self._book()
        book = policy_book.book()
        drafted = book.with_draft(name, document) if name != DEFAULT else book
        draft = Draft.of(name, raw, hours, document, policy_book.watchlist(book))

        def governed() -> list[tuple[str, str]]:
            items, _ = self._channels.page(limit=MAX_CHANNELS)
            now = self._clock()
            found = []
            for item in items:
                arn, title = item["channelArn"], item.get("name", "")
                applied = policy_book.resolve(arn, title, item.get("tags") or {}, now, book=drafted)
                if applied.name == name:
                    found.append((arn, title))
            return sorted(found)

        return self._backtests.run(draft, cursor, governed)

    def _book_forget(self) -> None:
        """This container's book sees its own change at once (the others within the refresh
        time)."""
        self._book().invalidate()


def watch_answer(watch: Mapping[str, Any] | None, now: datetime) -> dict[str, str] | None:
    """`watchlisted` in incident and channel answers: {until, reason} while in force."""
    if not watch or str(watch.get("until", "")) <= iso_time(now):
        return None
    return {"until": watch["until"], "reason": watch.get("reason", "")}


def _no_policy(name: str, versions: list[dict[str, Any]]) -> NotFound:
    last = versions[0] if versions else None
    if last and last.get("deleted"):
        return NotFound(
            f"no such policy: {name} was deleted by {last.get('savedBy', '')} at "
            f"{last.get('savedAt', '')} (version {last['version']})"
        )
    return NotFound(f"no such policy: {shown(name)}")


def _head(head: Mapping[str, Any]) -> dict[str, Any]:
    return {k: head.get(k) for k in ("name", "version", "document", "savedAt", "savedBy")}


def _stage(name: str, document: PolicyDocument) -> dict[str, Any]:
    """A stage policy no admin saved (default, or the watchlist's): version 0."""
    return {
        "name": name,
        "version": 0,
        "document": document.to_json(),
        "savedAt": None,
        "savedBy": "stage",
    }


def _version(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "version": item["version"],
        "savedAt": item.get("savedAt"),
        "savedBy": item.get("savedBy"),
        "comment": item.get("comment", ""),
        "diff": item.get("diff", []),
        "restoredFrom": item.get("restoredFrom"),
        **({"deleted": True} if item.get("deleted") else {}),
    }


def _listed(head: Mapping[str, Any]) -> dict[str, Any]:
    document = head.get("document") or {}
    return {
        "name": head["name"],
        "version": head["version"],
        "description": document.get("description", ""),
        "appliesTo": document.get("appliesTo"),
        "savedAt": head.get("savedAt"),
        "savedBy": head.get("savedBy"),
    }
