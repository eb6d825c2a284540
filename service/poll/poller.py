"""The poller loop: claim due feeds from Redis, fetch them politely, enqueue new entries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from service.poll.registry import FeedRegistry
from service.poll.schedule import Claim, Finish, FinishBatcher, Gate, RedisSchedule
from workers import keys, metrics, schedule
from workers.errors import FeedError, FetchError, FetchRefused
from workers.feeds import FeedSpec, ParsedFeed, parse_feed
from workers.fetch import FetchLimits, FetchResult, fetch
from workers.politeness import note_refusal
from workers.records import Item, parse_iso
from workers.scripts import lua

log = logging.getLogger(__name__)

CLAIM_BATCH = 64  # feeds claimed per round trip; small enough that pollers share fairly
_PAUSE_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class SeenBounds:
    """How long a feed's entry ids are remembered and how often one entry's revisions are
    enqueued in that time; polled and pushed entries share them (one seen-set per feed)."""

    window_s: float = 7 * 24 * 3600.0
    max_revisions: int = 3


@dataclass(frozen=True, slots=True)
class PollSettings:
    interval_s: float = 300.0
    max_entries: int = 200
    backoff_max_s: float = 3600.0
    seen_window_s: float = 7 * 24 * 3600.0  # entry ids remembered this long
    max_revisions_per_entry: int = 3  # re-fetches of one revised entry within the window
    min_interval_s: float = 60.0
    max_interval_s: float = 21600.0
    pause_after_errors: int = 10
    max_text_bytes: int = 65536
    concurrency: int = 256
    lease_s: float = 60.0
    host_concurrency: int = 2
    host_spacing_s: float = 1.0
    push_poll_interval_s: float = 3600.0  # safety-net polling of a feed that is pushed
    push_quiet_s: float = 21600.0  # no push this long: the feed is polled normally

    def schedule(self) -> schedule.ScheduleSettings:
        return schedule.ScheduleSettings(
            interval_s=self.interval_s,
            min_interval_s=min(self.min_interval_s, self.interval_s),
            max_interval_s=max(self.max_interval_s, self.interval_s),
            backoff_max_s=self.backoff_max_s,
            pause_after_errors=self.pause_after_errors,
        )

    def seen(self) -> SeenBounds:
        return SeenBounds(self.seen_window_s, self.max_revisions_per_entry)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    outcome: str  # new | unchanged | not_modified | error
    enqueued: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Seen:
    """What a successful fetch taught the scheduler."""

    outcome: PollOutcome
    window: int = 0
    hint_s: float = 0.0
    fields: tuple[tuple[str, str], ...] = ()


# Called with the feed id, its URL and the parsed document when a feed advertises a hub.
OnHub = Callable[[str, str, ParsedFeed], Awaitable[None]]


class Poller:
    """Claims due feeds from the shared schedule and polls them until `stop` is set."""

    def __init__(
        self,
        redis: Any,
        session: aiohttp.ClientSession,
        limits: FetchLimits,
        settings: PollSettings,
        on_hub: OnHub | None = None,
        name: str | None = None,
    ) -> None:
        self.redis = redis
        self.session = session
        self.limits = limits
        self.s = settings
        self.policy = settings.schedule()
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.schedule = RedisSchedule(
            redis,
            self.name,
            settings.lease_s,
            Gate(settings.host_concurrency, settings.host_spacing_s),
        )
        self.finisher = FinishBatcher(self.schedule)
        # Redis calls made per poll (enqueue, error counts) share a bounded number of
        # connections; finishes are batched and claims are one call per round.
        self._io = asyncio.Semaphore(32)
        self.on_hub = on_hub
        self.last_cycle = time.time()
        self.polls = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._sleep_until = 0.0
        self._rng = random.Random()
        self._enqueue = redis.register_script(lua("enqueue.lua"))

    async def run(self, feeds: list[FeedSpec], stop: asyncio.Event) -> None:
        """Seed the shared feed list if it is empty, then poll what falls due until `stop`."""
        seeded = await FeedRegistry(self.redis).seed(feeds)
        if seeded:
            log.info("feeds seeded=%d", seeded)
        try:
            while not stop.is_set():
                await self._round(stop)
        finally:
            for t in list(self._tasks):
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _round(self, stop: asyncio.Event) -> None:
        free = self.s.concurrency - len(self._tasks)
        head: float | None = None
        if free > 0:
            want = min(free, CLAIM_BATCH)
            try:
                claims, head = await self.schedule.claim(want)
            except Exception as e:  # Redis away: leases expire, another poller takes over
                log.warning("poller=%s claim_failed error=%r", self.name, e)
                claims = []
                head = time.time() + 1.0
            for claim in claims:
                self._spawn(claim)
            self.last_cycle = time.time()
            if len(claims) == want:
                await asyncio.sleep(0)  # more may be due: claim again at once
                return
        delay = 1.0 if head is None else min(1.0, max(0.002, head - time.time()))
        self._sleep_until = time.time() + delay
        self._wake.clear()
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    def _spawn(self, claim: Claim) -> None:
        task = asyncio.create_task(self._poll_claimed(claim))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if len(self._tasks) == self.s.concurrency - 1:
            self._wake.set()  # a slot opened: claim more without waiting

    async def _poll_claimed(self, claim: Claim) -> None:
        try:
            await self.poll(claim)
        except Exception as e:  # one feed must not stop the poller; its lease will expire
            log.error("feed=%s poll_crashed error=%r", claim.state.get("url"), e)

    async def poll(self, claim: Claim) -> PollOutcome:
        """Fetch one claimed feed, enqueue its new entries, reschedule it; never raises."""
        url, started = claim.state.get("url", ""), time.time()
        pause_until: float | None = None
        retry_after: float | None = None
        try:
            seen = await self._fetch_and_enqueue(claim, url, started)
            ok = True
        except (FetchError, FeedError) as e:
            ok, seen = False, _Seen(PollOutcome("error", error=e.detail or str(e)))
            async with self._io:
                await self._note_error(url, e)
            if isinstance(e, FetchError) and e.status in _PAUSE_STATUSES:
                retry_after = e.retry_after_s
                pause_until = started + (
                    retry_after
                    if retry_after is not None
                    else self.limits.politeness.default_pause_s
                )
        now = time.time()
        obs = schedule.Observation(
            now=now,
            ok=ok,
            new_entries=seen.outcome.enqueued,
            window_entries=seen.window,
            hint_s=seen.hint_s,
            retry_after_s=retry_after,
        )
        decision = schedule.next_poll(_clock(claim.state), obs, self.policy, self._rng)
        done = self._finish(claim, seen, decision, started, pause_until)
        await self.finisher.finish(claim, done)
        self.polls += 1
        if done.next_due is not None and done.next_due < self._sleep_until:
            self._wake.set()  # due again before the loop would look
        return seen.outcome

    async def _fetch_and_enqueue(self, claim: Claim, url: str, now: float) -> _Seen:
        result = await fetch(self.session, url, self.limits, _conditional(claim.state))
        hint = schedule.http_hint_s(result.headers, datetime.fromtimestamp(now, UTC))
        if result.status == 304:
            return _Seen(PollOutcome("not_modified"), hint_s=hint)
        parsed = parse_feed(
            result.body, url, result.headers, self.s.max_entries, now, self.s.max_text_bytes
        )
        if parsed.bozo:
            log.info("feed=%s parsed_with_recovery=%r", url, parsed.bozo)
        async with self._io:
            added = await self.enqueue(url, parsed.items)
        if parsed.hub and self.on_hub:
            await self.on_hub(claim.feed_id, url, parsed)
        fields = _validators(result) + _lag_fields(added, claim.state, now)
        outcome = PollOutcome("new" if added else "unchanged", len(added))
        return _Seen(outcome, len(parsed.items), max(hint, parsed.hint_s), fields)

    async def enqueue(self, feed_url: str, items: tuple[Item, ...]) -> list[Item]:
        """Enqueue the items never seen before for this feed (atomic); the ones enqueued."""
        return await enqueue_items(self.redis, self._enqueue, feed_url, items, self.s.seen())

    async def _note_error(self, url: str, e: FetchError | FeedError) -> None:
        if isinstance(e, FetchRefused):
            await note_refusal(self.redis, e, "feed")
            return
        log.warning("feed=%s outcome=error error=%r", url, e.detail or str(e))
        if isinstance(e, FetchError):
            await metrics.incr(self.redis, "newsingest_fetch_errors", stage="feed")

    def _finish(
        self,
        claim: Claim,
        seen: _Seen,
        decision: schedule.Decision,
        started: float,
        pause_until: float | None,
    ) -> Finish:
        state, clock = claim.state, decision.clock
        next_due = None if decision.paused else decision.next_due
        if next_due is not None and _pushed(state, started, self.s.push_quiet_s):
            next_due = max(next_due, started + self.s.push_poll_interval_s)
        fields: dict[str, str] = {
            "last_poll": repr(started),
            "last_outcome": seen.outcome.outcome,
            "errors": str(clock.errors),
            "interval_s": repr(clock.interval_s),
            "rate": repr(clock.rate_per_s),
            "paused": "1" if decision.paused else "0",
            "hint_s": repr(seen.hint_s),
            "clock_last_poll": repr(clock.last_poll),
        }
        fields.update(seen.fields)
        if seen.outcome.error:
            fields["last_error"] = seen.outcome.error[:300]
        if seen.outcome.enqueued:
            fields["last_new"] = repr(started)
        if decision.overflowed:
            fields["missed_windows"] = str(int(state.get("missed_windows") or 0) + 1)
        late = schedule.missed_windows(claim.due, started, clock.interval_s)
        if late:
            fields["late_windows"] = str(int(state.get("late_windows") or 0) + late)
        if decision.paused:
            log.warning("feed=%s paused errors=%d", claim.state.get("url"), clock.errors)
        return Finish(
            next_due,
            seen.outcome.outcome,
            seen.outcome.enqueued,
            pause_until,
            tuple(fields.items()),
        )


def _clock(state: dict[str, str]) -> schedule.FeedClock:
    def num(name: str, default: float) -> float:
        try:
            return float(state[name]) if state.get(name) else default
        except ValueError:
            return default

    return schedule.FeedClock(
        interval_s=num("interval_s", 0.0),
        rate_per_s=num("rate", -1.0),
        errors=int(num("errors", 0)),
        last_poll=num("clock_last_poll", 0.0),
    )


def _pushed(state: dict[str, str], now: float, quiet_s: float) -> bool:
    """A live push subscription that delivered (or was confirmed) recently."""
    if state.get("mode") != "push":
        return False
    last = float(state.get("last_push") or state.get("websub_verified") or 0)
    return now - last < quiet_s and float(state.get("websub_lease_until") or 0) > now


def _conditional(state: dict[str, str]) -> dict[str, str]:
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


def _validators(result: FetchResult) -> tuple[tuple[str, str], ...]:
    return (
        ("etag", result.headers.get("ETag", "")),
        ("last_modified", result.headers.get("Last-Modified", "")),
    )


def _lag_fields(
    added: list[Item], state: dict[str, str], now: float
) -> tuple[tuple[str, str], ...]:
    """Average time from an entry's published time to this poll, over the entries new now."""
    lags = [now - p.timestamp() for p in (parse_iso(i.published) for i in added) if p]
    lags = [lag for lag in lags if lag >= 0]
    if not lags:
        return ()
    return (("lag_s", repr(sum(lags) / len(lags))),)


async def enqueue_items(
    redis: Any,
    script: Any,
    feed_url: str,
    items: tuple[Item, ...],
    bounds: SeenBounds,
) -> list[Item]:
    """Enqueue a feed's items never seen before and the revisions of known ones (at most
    `bounds.max_revisions` per entry in the window), polled or pushed alike; the ones enqueued.
    `bounds` has no default so that every caller passes the configured one."""
    if not items:
        return []
    now = time.time()
    args: list[Any] = [
        now,
        metrics.field("newsingest_feed_entries"),
        metrics.field("newsingest_feed_revisions", outcome=""),
        bounds.max_revisions,
        now - bounds.window_s,
    ]
    for item in items:
        args += [item.item_id, item.stamp(), item.content_hash(), item.to_fields()["item"]]
    state_keys = [keys.seen_entries(feed_url), keys.ITEMS_STREAM, keys.METRICS]
    added = await script(keys=[*state_keys, keys.entry_states(feed_url)], args=args)
    return [items[int(i)] for i in added]
