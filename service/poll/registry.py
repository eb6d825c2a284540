"""The feed list in Redis, shared by the CLI, the HTTP API and every poller.

A feed is listed in FEED_LIST (id -> URL), has a state hash (url, title, host, schedule and
status fields written by the pollers) and, unless paused or being polled, a score in FEED_DUE.
Adding or removing a feed here changes what running pollers claim: no restart needed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from workers import keys
from workers.feeds import FeedSpec
from workers.politeness import host_of
from workers.scripts import lua

# State fields shown as times (epoch seconds in Redis, ISO 8601 in listings).
log = logging.getLogger(__name__)

_TIMES = ("last_poll", "last_new", "last_push", "added", "websub_lease_until")
_NUMBERS = ("entries_seen", "errors", "missed_windows", "late_windows")
_FLOATS = ("interval_s", "lag_s")


class FeedRegistry:
    """Add, remove and describe the feeds every poller shares."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self._add = redis.register_script(lua("feed_add.lua"))

    async def add(self, url: str, title: str = "") -> bool:
        """List `url` and make it due now; a paused feed is resumed. True when it was new."""
        fid = keys.feed_id(url)
        new = await self._add(
            keys=[keys.FEED_LIST, keys.feed_state_by_id(fid), keys.FEED_LEASES, keys.FEED_DUE],
            args=[fid, url, host_of(url), repr(time.time()), title],
        )
        return bool(new)

    async def add_many(self, feeds: Iterable[FeedSpec]) -> int:
        """Add every feed not listed yet (an OPML import); the number added."""
        added = 0
        for feed in feeds:
            added += await self.add(feed.url, feed.title)
        return added

    async def seed(self, feeds: list[FeedSpec]) -> int:
        """Add the feeds of the feeds file that the list lacks, at every start; the number added.

        Never removes: a feed only in Redis was added by the API or CLI and stays. A feed
        already listed is left as it is (add() would resume one a user paused)."""
        listed = set(await self.redis.hkeys(keys.FEED_LIST))
        in_file = {keys.feed_id(f.url): f for f in feeds}
        missing = [f for fid, f in in_file.items() if fid not in listed]
        added = await self.add_many(missing)
        log.info(
            "feeds.file: %d added, %d known, %d only in Redis",
            added,
            len(in_file) - len(missing),
            len(listed - in_file.keys()),
        )
        orphans = await self.reschedule_orphans(sorted(listed))
        if orphans:
            log.warning("feeds: %d listed but never due (an interrupted add), now due", orphans)
        return added

    async def reschedule_orphans(self, ids: list[str]) -> int:
        """Make due the listed feeds that are neither due, held by a poller nor paused: a feed
        an older release listed but did not schedule (its add was cut off) would never be
        polled. The number rescheduled."""
        pipe = self.redis.pipeline(transaction=False)
        for fid in ids:
            pipe.zscore(keys.FEED_DUE, fid)
            pipe.zscore(keys.FEED_LEASES, fid)
            pipe.hget(keys.feed_state_by_id(fid), "paused")
        raw = await pipe.execute()
        orphans = [
            fid
            for n, fid in enumerate(ids)
            if raw[3 * n] is None and raw[3 * n + 1] is None and raw[3 * n + 2] != "1"
        ]
        for fid in orphans:
            url = await self.redis.hget(keys.FEED_LIST, fid)
            if url:
                await self.add(url)
        return len(orphans)

    async def remove(self, url_or_id: str) -> bool:
        """Stop polling a feed and forget its state; its seen-set expires with the store."""
        fid = await self.resolve(url_or_id)
        if fid is None:
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(keys.FEED_LIST, fid)
        pipe.zrem(keys.FEED_DUE, fid)
        pipe.zrem(keys.FEED_LEASES, fid)
        pipe.hdel(keys.FEED_LEASE_OWNER, fid)
        pipe.delete(keys.feed_state_by_id(fid))
        pipe.expire(keys.SEEN_PREFIX + fid, 7 * 86400)
        pipe.expire(keys.ENTRY_STATE_PREFIX + fid, 7 * 86400)
        await pipe.execute()
        return True

    async def resolve(self, url_or_id: str) -> str | None:
        """The feed id of a listed feed given its URL or id."""
        for fid in (url_or_id, keys.feed_id(url_or_id)):
            if await self.redis.hexists(keys.FEED_LIST, fid):
                return fid
        return None

    async def specs(self) -> list[FeedSpec]:
        listed = await self.redis.hgetall(keys.FEED_LIST)
        pipe = self.redis.pipeline(transaction=False)
        for fid in listed:
            pipe.hget(keys.feed_state_by_id(fid), "title")
        titles = await pipe.execute()
        return sorted(
            (FeedSpec(url, t or "") for url, t in zip(listed.values(), titles, strict=True)),
            key=lambda f: f.url,
        )

    async def status(self, fid: str) -> dict[str, Any] | None:
        """One feed's status as shown by `feeds list` and GET /feeds/{id}."""
        found = await self.statuses([fid])
        return found[0] if found else None

    async def statuses(self, ids: list[str] | None = None) -> list[dict[str, Any]]:
        listed = await self.redis.hgetall(keys.FEED_LIST)
        ids = (
            sorted(listed, key=lambda i: listed[i])
            if ids is None
            else [i for i in ids if i in listed]
        )
        pipe = self.redis.pipeline(transaction=False)
        for fid in ids:
            pipe.hgetall(keys.feed_state_by_id(fid))
            pipe.zscore(keys.FEED_DUE, fid)
            pipe.zscore(keys.FEED_LEASES, fid)
        raw = await pipe.execute()
        return [
            describe(fid, listed[fid], raw[3 * n], raw[3 * n + 1], raw[3 * n + 2])
            for n, fid in enumerate(ids)
        ]


def describe(
    fid: str, url: str, state: dict[str, str], due: float | None, leased_until: float | None
) -> dict[str, Any]:
    """The public status record of one feed."""
    paused = state.get("paused") == "1"
    out: dict[str, Any] = {
        "id": fid,
        "url": url,
        "title": state.get("title") or "",
        "mode": "push" if state.get("mode") == "push" else "poll",
        "status": "paused"
        if paused
        else ("polling" if leased_until else ("erroring" if _int(state, "errors") else "ok")),
        "next_due": None if paused or due is None else iso(due),
        "last_outcome": state.get("last_outcome"),
        "last_error": state.get("last_error"),
        "hub": state.get("hub"),
    }
    for name in _TIMES:
        out[name] = iso(float(state[name])) if state.get(name) else None
    for name in _NUMBERS:
        out[name] = _int(state, name)
    for name in _FLOATS:
        out[name] = round(float(state[name]), 3) if state.get(name) else None
    return out


def _int(state: dict[str, str], name: str) -> int:
    try:
        return int(state.get(name) or 0)
    except ValueError:
        return 0


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def opml(feeds: list[FeedSpec]) -> str:
    """An OPML 2.0 document listing `feeds`."""
    lines = [
        f'    <outline type="rss" text={quoteattr(f.title or f.url)} '
        f"title={quoteattr(f.title or f.url)} xmlUrl={quoteattr(f.url)}/>"
        for f in feeds
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">\n'
        "  <head><title>newsingest feeds</title></head>\n  <body>\n"
        + "\n".join(lines)
        + ("\n" if lines else "")
        + "  </body>\n</opml>\n"
    )
