"""consume(): XREADGROUP -> handler -> XACK, with reclaiming of stuck entries and dead letters.

A handler that returns means XACK. One that raises leaves the entry pending: after
`claim_idle_s` a live worker reclaims it (XAUTOCLAIM), which doubles as the retry backoff.
A PermanentError, or more than `max_deliveries` deliveries, moves it to the dead-letter stream,
unless the entry is in the done set: then its commit is stored (the ack of that delivery was
lost) and it is only acked, counted in newsingest_items_already_done (dead.lua).
A handler or ack that fails because Redis is unreachable is tried again within the same
delivery a bounded number of times (QueueSettings.redis_retry_s) before that counts.

An entry whose page host is paused (HostPaused: a 429/503 with Retry-After, or a host busy past
politeness.max_wait_s) is no failure: it is acked and parked in the delayed-retry zset
ITEMS_DELAYED, in one transaction, and put back on the stream as a fresh entry when the pause
ends. Waiting never counts as a delivery; only the host's own 429/503 answers to that entry are
counted (field `paused_answers`), so a page answered 429 forever still ends in dead letters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from workers import keys, metrics
from workers.errors import HostPaused
from workers.scripts import lua

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, str]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class QueueSettings:
    stream: str = keys.ITEMS_STREAM
    group: str = keys.ITEMS_GROUP
    dead_stream: str = keys.DEAD_STREAM
    delayed: str = keys.ITEMS_DELAYED
    done: str = keys.DONE_ITEMS  # entry ids whose commit is stored (commit.lua)
    concurrency: int = 8
    block_ms: int = 1000
    claim_idle_s: float = 60.0
    max_deliveries: int = 5
    grace_s: float = 8.0  # in-flight entries may finish this long after stop
    release_every_s: float = 0.5  # how often due entries move from `delayed` back to the stream
    release_batch: int = 100
    # A handler or ack failing because Redis is unreachable (after the client's own retries)
    # is tried again in place after each of these pauses, so that an outage of a few seconds
    # does not spend one of the entry's max_deliveries; bounded, so an entry that itself makes
    # Redis time out still ends in dead letters.
    redis_retry_s: tuple[float, ...] = (1.0, 3.0)


def is_permanent(exc: BaseException) -> bool:
    """Errors that no retry can fix (a 404, a page with no text) go straight to dead letters."""
    return bool(getattr(exc, "permanent", False))


async def ensure_group(redis: Any, stream: str, group: str) -> None:
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as e:
        if "BUSYGROUP" not in str(e):
            raise


def parse_entries(reply: Any) -> list[tuple[str, dict[str, str]]]:
    """Entries from an XREADGROUP or XAUTOCLAIM reply (RESP2 shapes, see service/redisconn.py)."""
    if not reply:
        return []
    if (
        isinstance(reply, list)
        and reply
        and isinstance(reply[0], list)
        and len(reply[0]) == 2
        and isinstance(reply[0][1], list)
    ):
        return [(eid, fields) for _, entries in reply for eid, fields in entries if fields]
    return [(eid, fields) for eid, fields in reply if fields]


class Consumer:
    """One consumer of the group; runs up to `concurrency` handlers at once."""

    def __init__(self, redis: Any, name: str, handler: Handler, settings: QueueSettings) -> None:
        self.redis = redis
        self.name = name
        self.handler = handler
        self.s = settings
        self.in_flight: dict[str, asyncio.Task[None]] = {}
        self._next_claim = 0.0
        self._next_refresh = 0.0
        self._next_release = 0.0
        self._dead = redis.register_script(lua("dead.lua"))

    async def run(self, stop: asyncio.Event) -> None:
        """Read and handle entries until `stop` is set, then let in-flight ones finish."""
        grouped = False
        while not stop.is_set():
            await self._wait_for_slot(stop)
            if stop.is_set():
                break
            try:
                if not grouped:  # inside the retry: a worker may start while Redis is away
                    await ensure_group(self.redis, self.s.stream, self.s.group)
                    grouped = True
                await self._refresh_in_flight()
                await self._release_due()
                batch = await self._next_batch()
            except (RedisConnectionError, RedisTimeoutError) as e:
                # Redis restarting or unreachable: /healthz says so; retry once a second.
                log.warning("consumer=%s redis_unavailable error=%r", self.name, e)
                await _sleep_unless(stop, 1.0)
                continue
            for entry_id, fields in batch:
                self._spawn(entry_id, fields)
        await self._drain()

    async def _wait_for_slot(self, stop: asyncio.Event) -> None:
        while len(self.in_flight) >= self.s.concurrency and not stop.is_set():
            await asyncio.wait(
                self.in_flight.values(),
                timeout=min(1.0, self._refresh_every_s()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            await self._refresh_in_flight()

    def _refresh_every_s(self) -> float:
        return max(self.s.claim_idle_s / 3, 0.05)

    async def _refresh_in_flight(self) -> None:
        """Reset the idle time of entries still being handled, so no live worker's entry is
        reclaimed just because cleaning it takes longer than claim_idle_s."""
        if not self.in_flight or time.monotonic() < self._next_refresh:
            return
        self._next_refresh = time.monotonic() + self._refresh_every_s()
        await self.redis.xclaim(
            self.s.stream,
            self.s.group,
            self.name,
            min_idle_time=0,
            message_ids=list(self.in_flight),
            justid=True,
        )

    async def _next_batch(self) -> list[tuple[str, dict[str, str]]]:
        free = self.s.concurrency - len(self.in_flight)
        if time.monotonic() >= self._next_claim:
            self._next_claim = time.monotonic() + max(self.s.claim_idle_s / 4, 0.5)
            claimed = await self._reclaim(free)
            if claimed:
                return claimed
        reply = await self.redis.xreadgroup(
            self.s.group, self.name, {self.s.stream: ">"}, count=free, block=self.s.block_ms
        )
        return parse_entries(reply)

    async def _reclaim(self, count: int) -> list[tuple[str, dict[str, str]]]:
        """Entries idle past claim_idle_s (worker died or failed); dead-letter the hopeless."""
        reply = await self.redis.xautoclaim(
            self.s.stream,
            self.s.group,
            self.name,
            min_idle_time=int(self.s.claim_idle_s * 1000),
            start_id="0-0",
            count=count,
        )
        entries = parse_entries(reply[1] if len(reply) > 1 else [])
        live = []
        for entry_id, fields in entries:
            if entry_id in self.in_flight:
                continue
            if await self._deliveries(entry_id) > self.s.max_deliveries:
                error = await self.redis.hget(keys.ITEM_ERRORS, entry_id) or "too many deliveries"
                await self.dead_letter(entry_id, fields, error)
            else:
                live.append((entry_id, fields))
        if live:
            await metrics.incr(self.redis, "newsingest_items_reclaimed", len(live))
        return live

    async def _deliveries(self, entry_id: str) -> int:
        rows = await self.redis.xpending_range(self.s.stream, self.s.group, entry_id, entry_id, 1)
        return int(rows[0]["times_delivered"]) if rows else 0

    def _spawn(self, entry_id: str, fields: dict[str, str]) -> None:
        if entry_id in self.in_flight:
            return
        task = asyncio.create_task(self._handle(entry_id, fields))
        self.in_flight[entry_id] = task
        task.add_done_callback(lambda _: self.in_flight.pop(entry_id, None))

    async def _handle(self, entry_id: str, fields: dict[str, str]) -> None:
        try:
            await self._redis_retried(entry_id, "handle", lambda: self.handler(entry_id, fields))
        except asyncio.CancelledError:
            raise  # shutting down: the entry stays pending for another worker
        except Exception as e:  # any failure of one entry must not stop the consumer
            try:
                await self._failed(entry_id, fields, e)
            except (RedisConnectionError, RedisTimeoutError) as e2:
                log.warning("entry=%s outcome=pending error=%r", entry_id, e2)
            return
        try:
            await self._redis_retried(entry_id, "ack", lambda: self._ack(entry_id))
        except (RedisConnectionError, RedisTimeoutError) as e:
            # Stored but not acked: it is reclaimed, finds its done-mark and is acked then.
            log.warning("entry=%s outcome=ack_lost error=%r", entry_id, e)

    async def _ack(self, entry_id: str) -> None:
        pipe = self.redis.pipeline(transaction=False)  # one round trip for both
        pipe.xack(self.s.stream, self.s.group, entry_id)
        pipe.hdel(keys.ITEM_ERRORS, entry_id)
        await pipe.execute()

    async def _redis_retried(
        self, entry_id: str, what: str, step: Callable[[], Awaitable[None]]
    ) -> None:
        """Run `step`, again after each pause of redis_retry_s while it fails on Redis being
        unreachable. A handler is idempotent (a commit finds its done-mark), so a second run
        in the same delivery is what a redelivery would do, without counting one."""
        for pause_s in self.s.redis_retry_s:
            try:
                await step()
                return
            except (RedisConnectionError, RedisTimeoutError) as e:
                log.warning(
                    "entry=%s step=%s outcome=retry_in_place after_s=%.1f error=%r",
                    entry_id,
                    what,
                    pause_s,
                    e,
                )
            await asyncio.sleep(pause_s)
        await step()

    async def _failed(self, entry_id: str, fields: dict[str, str], exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, HostPaused):
            await self.defer(entry_id, fields, exc, error)
            return
        if is_permanent(exc):
            await self.dead_letter(entry_id, fields, error)
            return
        log.warning("entry=%s outcome=retry error=%r", entry_id, error)
        await self.redis.hset(keys.ITEM_ERRORS, entry_id, error[:500])

    async def defer(
        self, entry_id: str, fields: dict[str, str], paused: HostPaused, error: str
    ) -> None:
        """Park the entry until its host's pause ends, and ack it: one MULTI, so it is in
        exactly one of the two places whenever Redis looks."""
        answers = int(fields.get("paused_answers", 0)) + (1 if paused.answered else 0)
        if answers > self.s.max_deliveries:
            await self.dead_letter(entry_id, fields, error)
            return
        parked = {**fields, "paused_answers": str(answers)} if answers else fields
        member = json.dumps({"id": entry_id, "fields": parked}, sort_keys=True)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(self.s.delayed, {member: time.time() + paused.defer_s})
        pipe.xack(self.s.stream, self.s.group, entry_id)
        pipe.hdel(keys.ITEM_ERRORS, entry_id)
        pipe.hincrby(keys.METRICS, metrics.field("newsingest_items_deferred"), 1)
        await pipe.execute()
        log.info("entry=%s outcome=deferred defer_s=%.1f error=%r", entry_id, paused.defer_s, error)

    async def _release_due(self) -> int:
        """Move entries whose pause has ended back onto the stream. WATCH makes the move
        all-or-nothing against other consumers doing the same: each parked entry goes back once."""
        if time.monotonic() < self._next_release:
            return 0
        self._next_release = time.monotonic() + self.s.release_every_s
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(self.s.delayed)
                due = await pipe.zrangebyscore(
                    self.s.delayed, "-inf", time.time(), start=0, num=self.s.release_batch
                )
                if not due:
                    return 0
                pipe.multi()
                for member in due:
                    pipe.zrem(self.s.delayed, member)
                    pipe.xadd(self.s.stream, json.loads(member)["fields"])
                await pipe.execute()
            except WatchError:  # another consumer moved or parked entries meanwhile: next tick
                return 0
        log.info("released=%d from=%s", len(due), self.s.delayed)
        return len(due)

    async def dead_letter(self, entry_id: str, fields: dict[str, str], error: str) -> None:
        """Move an entry to the dead-letter stream with its error, then ack it; an entry
        committed already is only acked (one script, so no commit can slip in between)."""
        args = [
            self.s.group,
            entry_id,
            error[:500],
            metrics.field("newsingest_items_dead_lettered"),
            metrics.field("newsingest_articles", verdict="failed"),
            metrics.field("newsingest_items_already_done"),
        ]
        for name, value in fields.items():
            args += [name, value]
        moved = await self._dead(
            keys=[
                self.s.stream,
                self.s.dead_stream,
                keys.ITEM_ERRORS,
                keys.METRICS,
                self.s.done,
            ],
            args=args,
        )
        if moved == 1:
            log.warning("entry=%s outcome=dead_letter error=%r", entry_id, error)
        elif moved == 2:
            log.info("entry=%s outcome=already_done acked_after_error=%r", entry_id, error)

    async def _drain(self) -> None:
        if not self.in_flight:
            return
        _, pending = await asyncio.wait(self.in_flight.values(), timeout=self.s.grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def prune_consumers(redis: Any, settings: QueueSettings, idle_s: float = 600.0) -> int:
    """Forget consumers of dead worker processes: idle for long, and holding no entries."""
    try:
        consumers = await redis.xinfo_consumers(settings.stream, settings.group)
    except ResponseError:  # no stream or group yet
        return 0
    removed = 0
    for c in consumers:
        if int(c.get("pending", 0)) == 0 and int(c.get("idle", 0)) > idle_s * 1000:
            await redis.xgroup_delconsumer(settings.stream, settings.group, c["name"])
            removed += 1
    return removed


async def trim_done(redis: Any, settings: QueueSettings) -> int:
    """Delete the stream's entries that every group has acknowledged; the number deleted.

    An XACK only drops the entry from the pending list; the entry itself stays in the stream
    until deleted, so a stream that is only acked grows with every entry ever queued. One
    periodic XTRIM MINID below the oldest entry still pending or undelivered (queue_trim.lua)
    rather than an XDEL after each XACK: it is one call per housekeeping round instead of one
    per entry on the worker's path (and on the defer and dead-letter paths, which ack too);
    it frees whole listpack nodes at once, where XDEL only marks an entry deleted until its
    node empties; and it leaves no tombstones after a group's last-delivered id, which would
    make Redis report the group's lag as unknown (XINFO GROUPS lag nil) and the lag gauge 0.
    Acked entries stay until the next round: at most trim_every_s times the article rate.
    """
    removed = await redis.register_script(lua("queue_trim.lua"))(
        keys=[settings.stream, keys.METRICS], args=[metrics.field("newsingest_items_trimmed")]
    )
    return int(removed)
