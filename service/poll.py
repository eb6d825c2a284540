"""Feed poller: each feed on its own schedule, conditional GET, feedparser on bytes -> items stream."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

import aiohttp

from workers import keys, metrics
from workers.errors import FeedError, FetchError, FetchRefused
from workers.feeds import FeedSpec, ParsedFeed, parse_feed
from workers.fetch import FetchLimits, fetch

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollSettings:
    interval_s: float = 300.0
    max_entries: int = 200
    backoff_max_s: float = 3600.0
    seen_window_s: float = 7 * 24 * 3600.0   # entry ids remembered this long


@dataclass(frozen=True, slots=True)
class PollOutcome:
    outcome: str            # new | unchanged | not_modified | error
    enqueued: int = 0
    error: str | None = None


def backoff_s(errors: int, interval_s: float, ceiling_s: float) -> float:
    """Delay after `errors` consecutive failures: exponential, capped, with +-20% jitter."""
    base = min(ceiling_s, interval_s * (2 ** max(0, errors - 1)))
    return base * random.uniform(0.8, 1.2)


class Poller:
    """Polls every feed of a list, each in its own task, until `stop` is set."""

    def __init__(self, redis: Any, session: aiohttp.ClientSession, limits: FetchLimits,
                 settings: PollSettings) -> None:
        self.redis = redis
        self.session = session
        self.limits = limits
        self.s = settings
        self.last_cycle = time.time()
        self._enqueue = redis.register_script(
            resources.files("workers").joinpath("lua", "enqueue.lua").read_text("utf-8"))

    async def run(self, feeds: list[FeedSpec], stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(self._loop(feed, stop)) for feed in feeds]
        try:
            await stop.wait()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self, feed: FeedSpec, stop: asyncio.Event) -> None:
        errors = 0
        while not stop.is_set():
            result = await self.poll_once(feed)
            errors = errors + 1 if result.outcome == "error" else 0
            delay = (backoff_s(errors, self.s.interval_s, self.s.backoff_max_s) if errors
                     else self.s.interval_s)
            self.last_cycle = time.time()
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                pass

    async def poll_once(self, feed: FeedSpec) -> PollOutcome:
        """Fetch one feed, enqueue its unseen entries, record the outcome; never raises."""
        try:
            outcome = await self._poll(feed)
        except (FetchError, FeedError) as e:
            outcome = PollOutcome("error", error=str(e))
            log.warning("feed=%s outcome=error error=%r", feed.url, e.detail or str(e))
            if isinstance(e, FetchRefused):
                await metrics.incr(self.redis, "newsingest_fetch_refused", reason=e.reason_code)
        await metrics.incr(self.redis, "newsingest_feed_polls", outcome=outcome.outcome)
        await self._record(feed, outcome)
        return outcome

    async def _poll(self, feed: FeedSpec) -> PollOutcome:
        state = await self.redis.hgetall(keys.feed_state(feed.url))
        result = await fetch(self.session, feed.url, self.limits, _conditional(state))
        if result.status == 304:
            return PollOutcome("not_modified")
        parsed = parse_feed(result.body, feed.url, result.headers, self.s.max_entries)
        if parsed.bozo:
            log.info("feed=%s parsed_with_recovery=%r", feed.url, parsed.bozo)
        enqueued = await self._enqueue_new(feed, parsed)
        await self.redis.hset(keys.feed_state(feed.url), mapping=_validators(result.headers))
        return PollOutcome("new" if enqueued else "unchanged", enqueued)

    async def _enqueue_new(self, feed: FeedSpec, parsed: ParsedFeed) -> int:
        if not parsed.items:
            return 0
        args: list[Any] = [time.time(), metrics.field("newsingest_feed_entries")]
        for item in parsed.items:
            args += [item.item_id, item.to_fields()["item"]]
        seen = keys.seen_entries(feed.url)
        added = int(await self._enqueue(keys=[seen, keys.ITEMS_STREAM, keys.METRICS], args=args))
        await self.redis.zremrangebyscore(seen, "-inf", time.time() - self.s.seen_window_s)
        return added

    async def _record(self, feed: FeedSpec, outcome: PollOutcome) -> None:
        now = time.time()
        fields: dict[str, Any] = {"url": feed.url, "title": feed.title, "last_poll": now,
                                  "last_outcome": outcome.outcome}
        if outcome.enqueued:
            fields["last_new"] = now
        if outcome.error:
            fields["last_error"] = outcome.error[:300]
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(keys.feed_state(feed.url), mapping=fields)
        if outcome.outcome == "error":
            pipe.hincrby(keys.feed_state(feed.url), "errors", 1)
        else:
            pipe.hset(keys.feed_state(feed.url), "errors", 0)
        pipe.hincrby(keys.feed_state(feed.url), "entries_seen", outcome.enqueued)
        pipe.sadd(keys.FEEDS, feed.url)
        await pipe.execute()


def _conditional(state: dict[str, str]) -> dict[str, str]:
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


def _validators(headers: Any) -> dict[str, str]:
    out = {}
    if headers.get("ETag"):
        out["etag"] = headers["ETag"]
    if headers.get("Last-Modified"):
        out["last_modified"] = headers["Last-Modified"]
    return out or {"etag": ""}
