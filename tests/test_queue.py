"""The queue consumer on a real Redis: ack after success, retries, reclaiming and dead letters."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from service.http import queue_stats
from service.redisconn import free_port
from tests.support import LocalSite, metric, wait_until
from workers import keys
from workers.errors import CleanError
from workers.fetch import FetchLimits, Politeness, make_session
from workers.politeness import polite_fetch
from workers.queue import Consumer, QueueSettings, ensure_group, prune_consumers, trim_done

FAST = QueueSettings(concurrency=4, block_ms=100, claim_idle_s=0.3, max_deliveries=2, grace_s=1.0)


async def run_until(consumer: Consumer, done: asyncio.Event, timeout_s: float = 10.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await asyncio.wait_for(done.wait(), timeout_s)
    finally:
        stop.set()
        await task


async def run_until_none_pending(
    redis: Any, consumer: Consumer, handled: list[str], timeout_s: float = 10.0
) -> None:
    """Run `consumer` until it has handled something and no entry of the group is pending."""
    done = asyncio.Event()

    async def finished() -> bool:
        pending = (await redis.xpending(keys.ITEMS_STREAM, keys.ITEMS_GROUP))["pending"]
        return bool(handled) and pending == 0

    async def watch() -> None:
        await wait_until(finished, timeout_s=timeout_s, what="no entry left pending")
        done.set()

    watcher = asyncio.create_task(watch())
    await run_until(consumer, done, timeout_s)
    await watcher


async def test_success_acks(redis: object) -> None:
    """A handler that returns gets its entry acknowledged."""
    await ensure_group(redis, keys.ITEMS_STREAM, keys.ITEMS_GROUP)
    await redis.xadd(keys.ITEMS_STREAM, {"item": "x"})  # type: ignore[attr-defined]
    done = asyncio.Event()

    async def handler(entry_id: str, fields: dict[str, str]) -> None:
        done.set()

    await run_until(Consumer(redis, "c1", handler, FAST), done)
    info = await redis.xpending(keys.ITEMS_STREAM, keys.ITEMS_GROUP)  # type: ignore[attr-defined]
    assert info["pending"] == 0


async def test_transient_failure_is_retried_then_dead_lettered(redis: object) -> None:
    """A failing entry is redelivered after claim_idle_s, then dead-lettered with its error."""
    await redis.xadd(keys.ITEMS_STREAM, {"item": "bad"})  # type: ignore[attr-defined]
    attempts: list[str] = []
    done = asyncio.Event()

    async def handler(entry_id: str, fields: dict[str, str]) -> None:
        attempts.append(entry_id)
        raise RuntimeError("page server down")

    consumer = Consumer(redis, "c1", handler, FAST)

    async def watch() -> None:
        while not await redis.xlen(keys.DEAD_STREAM):  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)
        done.set()

    watcher = asyncio.create_task(watch())
    await run_until(consumer, done)
    await watcher
    assert len(attempts) == FAST.max_deliveries
    dead = await redis.xrange(keys.DEAD_STREAM)  # type: ignore[attr-defined]
    assert "page server down" in dead[0][1]["error"] and dead[0][1]["item"] == "bad"
    info = await redis.xpending(keys.ITEMS_STREAM, keys.ITEMS_GROUP)  # type: ignore[attr-defined]
    assert info["pending"] == 0


async def test_committed_entry_past_max_deliveries_is_acked_not_dead_lettered(redis: Any) -> None:
    """An entry whose commit is stored (its id in the done set) but whose ack was lost, and whose
    later deliveries all failed, is acked and counted when it runs out of deliveries, not
    dead-lettered; an entry that never committed still goes to dead letters with its error."""
    await ensure_group(redis, keys.ITEMS_STREAM, keys.ITEMS_GROUP)
    committed = await redis.xadd(keys.ITEMS_STREAM, {"item": "committed"})
    failing = await redis.xadd(keys.ITEMS_STREAM, {"item": "failing"})
    attempts: list[str] = []

    async def handler(entry_id: str, fields: dict[str, str]) -> None:
        attempts.append(fields["item"])
        if fields["item"] == "committed" and attempts.count("committed") == 1:
            await redis.zadd(keys.DONE_ITEMS, {entry_id: time.time()})  # as commit.lua does
            raise RuntimeError("connection reset before the ack")
        raise RuntimeError("page server down")

    await run_until_none_pending(redis, Consumer(redis, "c1", handler, FAST), attempts)
    assert attempts.count("committed") == attempts.count("failing") == FAST.max_deliveries
    dead = await redis.xrange(keys.DEAD_STREAM)
    assert [(f["entry_id"], f["item"]) for _, f in dead] == [(failing, "failing")]
    assert "page server down" in dead[0][1]["error"]
    assert await metric(redis, "newsingest_items_already_done") == 1
    assert await metric(redis, "newsingest_items_dead_lettered") == 1
    assert await metric(redis, "newsingest_articles|verdict=failed") == 1
    assert await redis.zscore(keys.DONE_ITEMS, committed) is not None
    assert not await redis.hexists(keys.ITEM_ERRORS, committed)


def unreachable_redis() -> Any:
    """A real client of a port nobody listens on, without the client's own retries: every
    command fails at once with redis' ConnectionError, as during an outage."""
    return aioredis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0), socket_connect_timeout=1)


async def test_redis_outage_during_a_delivery_is_retried_in_place(redis: Any) -> None:
    """A handler failing because Redis is unreachable runs again within the same delivery
    (no reclaim, no delivery spent); one that keeps failing so still ends in dead letters after
    max_deliveries deliveries of 1 + len(redis_retry_s) runs each."""
    await ensure_group(redis, keys.ITEMS_STREAM, keys.ITEMS_GROUP)
    await redis.xadd(keys.ITEMS_STREAM, {"item": "blip"})
    await redis.xadd(keys.ITEMS_STREAM, {"item": "outage"})
    settings = replace(FAST, redis_retry_s=(0.05, 0.05))
    down = unreachable_redis()
    attempts: list[str] = []

    async def handler(entry_id: str, fields: dict[str, str]) -> None:
        attempts.append(fields["item"])
        if fields["item"] == "outage" or attempts.count("blip") == 1:
            await down.ping()

    try:
        await run_until_none_pending(redis, Consumer(redis, "c1", handler, settings), attempts)
    finally:
        await down.aclose()
    runs = 1 + len(settings.redis_retry_s)
    assert attempts.count("blip") == 2
    assert attempts.count("outage") == settings.max_deliveries * runs
    dead = await redis.xrange(keys.DEAD_STREAM)
    assert [f["item"] for _, f in dead] == ["outage"]
    assert dead[0][1]["error"].startswith("ConnectionError")
    # Only the outage entry was ever reclaimed: the blip was handled in its first delivery.
    assert await metric(redis, "newsingest_items_reclaimed") == settings.max_deliveries - 1


async def test_permanent_failure_goes_straight_to_dead_letters(redis: object) -> None:
    """A page with no text will not get better: one attempt, then dead letters, counted failed."""
    await redis.xadd(keys.ITEMS_STREAM, {"item": "empty"})  # type: ignore[attr-defined]
    attempts: list[str] = []
    done = asyncio.Event()

    async def handler(entry_id: str, fields: dict[str, str]) -> None:
        attempts.append(entry_id)
        done.set()
        raise CleanError("http://ex.org/empty", "no main text found")

    await run_until(Consumer(redis, "c1", handler, FAST), done)
    await asyncio.sleep(0.2)
    assert len(attempts) == 1
    assert await redis.xlen(keys.DEAD_STREAM) == 1  # type: ignore[attr-defined]
    counted = await redis.hget(keys.METRICS, "newsingest_articles|verdict=failed")  # type: ignore[attr-defined]
    assert counted == "1"


async def test_entries_of_a_dead_consumer_are_reclaimed(redis: object) -> None:
    """Entries read by a consumer that never acks are reclaimed by another after claim_idle_s."""
    await ensure_group(redis, keys.ITEMS_STREAM, keys.ITEMS_GROUP)
    for i in range(3):
        await redis.xadd(keys.ITEMS_STREAM, {"item": str(i)})  # type: ignore[attr-defined]
    # A consumer that reads and then "dies" without acking.
    await redis.xreadgroup(keys.ITEMS_GROUP, "dead", {keys.ITEMS_STREAM: ">"}, count=3)  # type: ignore[attr-defined]
    handled: set[str] = set()
    done = asyncio.Event()

    async def handler(entry_id: str, fields: dict[str, str]) -> None:
        handled.add(fields["item"])
        if len(handled) == 3:
            done.set()

    await run_until(Consumer(redis, "live", handler, FAST), done)
    assert handled == {"0", "1", "2"}


async def test_prune_forgets_only_idle_empty_consumers(redis: object) -> None:
    """Consumers of dead workers are forgotten once idle and empty; one holding entries stays."""
    await ensure_group(redis, keys.ITEMS_STREAM, keys.ITEMS_GROUP)
    await redis.xadd(keys.ITEMS_STREAM, {"item": "x"})  # type: ignore[attr-defined]
    await redis.xreadgroup(keys.ITEMS_GROUP, "holder", {keys.ITEMS_STREAM: ">"}, count=1)  # type: ignore[attr-defined]
    await redis.xgroup_createconsumer(keys.ITEMS_STREAM, keys.ITEMS_GROUP, "empty")  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)
    assert await prune_consumers(redis, FAST, idle_s=0.01) == 1
    names = [c["name"] for c in await redis.xinfo_consumers(keys.ITEMS_STREAM, keys.ITEMS_GROUP)]  # type: ignore[attr-defined]
    assert names == ["holder"]


async def _ids(redis: Any) -> list[str]:
    return [str(eid) for eid, _ in await redis.xrange(keys.ITEMS_STREAM)]


async def test_trim_deletes_only_acked_entries(redis: Any) -> None:
    """The trim deletes the acked entries; pending and undelivered ones stay, keep their fields,
    are still reclaimed and read, and once they are acked the next trim empties the stream."""
    await ensure_group(redis, keys.ITEMS_STREAM, keys.ITEMS_GROUP)
    ids = [await redis.xadd(keys.ITEMS_STREAM, {"item": str(i)}) for i in range(10)]
    read = await redis.xreadgroup(keys.ITEMS_GROUP, "gone", {keys.ITEMS_STREAM: ">"}, count=5)
    assert [eid for eid, _ in read[0][1]] == ids[:5]
    await redis.xack(keys.ITEMS_STREAM, keys.ITEMS_GROUP, *ids[:3])  # 3, 4 stay pending
    field = "newsingest_items_trimmed"

    assert await trim_done(redis, FAST) == 3
    assert await _ids(redis) == ids[3:]
    assert await metric(redis, field) == 3
    # XTRIM leaves the group's lag known: 5 undelivered, 2 pending.
    stats = await queue_stats(redis)
    assert (stats["length"], stats["pending"], stats["lag"]) == (7, 2, 5)
    assert await trim_done(redis, FAST) == 0  # nothing more is done

    handled: list[str] = []
    done = asyncio.Event()

    async def handler(entry_id: str, fields: dict[str, str]) -> None:
        handled.append(fields["item"])
        if len(handled) == 7:
            done.set()

    await run_until(Consumer(redis, "live", handler, FAST), done)
    assert sorted(handled, key=int) == [str(i) for i in range(3, 10)]
    assert await redis.hget(keys.METRICS, "newsingest_items_reclaimed") == "2"
    assert await trim_done(redis, FAST) == 7
    assert await redis.xlen(keys.ITEMS_STREAM) == 0
    stats = await queue_stats(redis)
    assert (stats["length"], stats["pending"], stats["lag"]) == (0, 0, 0)
    assert await metric(redis, field) == 10
    # The stream keeps its last id: a new entry is read as usual after the stream was emptied.
    new = await redis.xadd(keys.ITEMS_STREAM, {"item": "10"})
    read = await redis.xreadgroup(keys.ITEMS_GROUP, "live", {keys.ITEMS_STREAM: ">"}, count=5)
    assert [eid for eid, _ in read[0][1]] == [new]


async def test_trim_keeps_what_any_group_still_needs(redis: Any) -> None:
    """An acked entry after the oldest pending one waits for it; a group that has read nothing
    keeps every entry; with no group at all nothing is trimmed."""
    assert await trim_done(redis, FAST) == 0  # no stream yet
    ids = [await redis.xadd(keys.ITEMS_STREAM, {"item": str(i)}) for i in range(4)]
    assert await trim_done(redis, FAST) == 0  # no group: nothing delivered
    await ensure_group(redis, keys.ITEMS_STREAM, keys.ITEMS_GROUP)
    assert await trim_done(redis, FAST) == 0  # group made at 0: everything undelivered
    await redis.xreadgroup(keys.ITEMS_GROUP, "c", {keys.ITEMS_STREAM: ">"}, count=4)
    await redis.xack(keys.ITEMS_STREAM, keys.ITEMS_GROUP, ids[0], ids[2], ids[3])
    assert await trim_done(redis, FAST) == 1  # ids[1] pending holds back ids[2] and ids[3]
    assert await _ids(redis) == ids[1:]
    await redis.xgroup_create(keys.ITEMS_STREAM, "audit", id="0")
    await redis.xack(keys.ITEMS_STREAM, keys.ITEMS_GROUP, ids[1])
    assert await trim_done(redis, FAST) == 0  # "audit" has read none of them
    await redis.xreadgroup("audit", "a", {keys.ITEMS_STREAM: ">"}, count=2)
    await redis.xack(keys.ITEMS_STREAM, "audit", ids[1])
    assert await trim_done(redis, FAST) == 1  # ids[2] is pending in "audit"
    assert await _ids(redis) == ids[2:]


PAUSED_LIMITS = FetchLimits(
    allow_networks=("127.0.0.1/32",),
    timeout_s=5.0,
    politeness=Politeness(robots=False, host_concurrency=0, host_rate_per_s=0, max_wait_s=0.2),
)


def fetching_handler(redis: Any, session: Any, fetched: list[str]) -> Any:
    """A handler that fetches the entry's page through the shared host gate, as workers do."""

    async def handler(entry_id: str, fields: dict[str, str]) -> None:
        result = await polite_fetch(redis, session, fields["url"], PAUSED_LIMITS)
        fetched.append(result.final_url)

    return handler


def parked_count(redis: Any, n: int) -> Any:
    async def check() -> bool:
        return int(await redis.zcard(keys.ITEMS_DELAYED)) == n

    return check


async def test_entry_of_a_paused_host_waits_for_the_pause_then_is_handled(
    redis: Any, site: LocalSite
) -> None:
    """A 429 with Retry-After: 3600 parks both pages of the host until the pause ends: acked,
    never dead-lettered and no delivery counted however many claim_idle_s pass; then both
    come back onto the stream and are handled once."""
    first = site.set("/a.html", "slow down", status=429, **{"Retry-After": "3600"})
    second = site.set("/b.html", "page b")
    fetched: list[str] = []
    session = make_session(PAUSED_LIMITS)
    try:
        consumer = Consumer(redis, "c1", fetching_handler(redis, session, fetched), FAST)
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await redis.xadd(keys.ITEMS_STREAM, {"url": first})
        await wait_until(parked_count(redis, 1), 10, "the 429 page parked")
        await redis.xadd(keys.ITEMS_STREAM, {"url": second})
        await wait_until(parked_count(redis, 2), 10, "the second page of the host parked")
        await asyncio.sleep(FAST.claim_idle_s * 5)  # many reclaim rounds: nothing may move
        stop.set()
        await task
        parked = await redis.zrange(keys.ITEMS_DELAYED, 0, -1, withscores=True)
        assert all(score > time.time() + 3500 for _, score in parked)
        assert await redis.xlen(keys.DEAD_STREAM) == 0
        assert (await redis.xpending(keys.ITEMS_STREAM, keys.ITEMS_GROUP))["pending"] == 0
        assert site.hits == {"/a.html": 1}  # the second page never reached the paused host
        assert await metric(redis, "newsingest_items_deferred") == 2
        assert fetched == []

        # The hour passes: the host's pause and the parked entries' times are up.
        site.set("/a.html", "page a")
        await redis.hset(keys.host("127.0.0.1"), "paused_until", time.time() - 1)
        for member, _ in parked:
            await redis.zadd(keys.ITEMS_DELAYED, {member: time.time() - 1})
        done = asyncio.Event()

        async def handler(entry_id: str, fields: dict[str, str]) -> None:
            await fetching_handler(redis, session, fetched)(entry_id, fields)
            if len(fetched) == 2:
                done.set()

        await run_until(Consumer(redis, "c2", handler, FAST), done)
    finally:
        await session.close()
    assert sorted(fetched) == sorted([first, second])
    assert await redis.zcard(keys.ITEMS_DELAYED) == 0
    assert await redis.xlen(keys.DEAD_STREAM) == 0
    assert (await redis.xpending(keys.ITEMS_STREAM, keys.ITEMS_GROUP))["pending"] == 0


async def test_a_page_answered_429_every_time_is_dead_lettered_after_max_deliveries(
    redis: Any, site: LocalSite
) -> None:
    """Only the host's own 429 answers count: after max_deliveries of them the entry is a dead
    letter with the 429 as its error, so a page refused forever does not cycle forever."""
    url = site.set("/never.html", "no", status=429, **{"Retry-After": "0"})
    await redis.xadd(keys.ITEMS_STREAM, {"url": url})
    session = make_session(PAUSED_LIMITS)
    fast_release = replace(FAST, release_every_s=0.05)
    try:
        consumer = Consumer(redis, "c1", fetching_handler(redis, session, []), fast_release)
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))

        async def dead() -> bool:
            return int(await redis.xlen(keys.DEAD_STREAM)) == 1

        await wait_until(dead, 15, "the entry dead-lettered")
        stop.set()
        await task
    finally:
        await session.close()
    assert site.hits["/never.html"] == FAST.max_deliveries + 1
    ((_, fields),) = await redis.xrange(keys.DEAD_STREAM)
    assert "HostPaused" in fields["error"] and fields["url"] == url
    assert await redis.zcard(keys.ITEMS_DELAYED) == 0
