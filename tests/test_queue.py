"""The queue consumer on a real Redis: ack after success, retries, reclaiming and dead letters."""

from __future__ import annotations

import asyncio

from workers import keys
from workers.errors import CleanError
from workers.queue import Consumer, QueueSettings, ensure_group, prune_consumers

FAST = QueueSettings(concurrency=4, block_ms=100, claim_idle_s=0.3, max_deliveries=2, grace_s=1.0)


async def run_until(consumer: Consumer, done: asyncio.Event, timeout_s: float = 10.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await asyncio.wait_for(done.wait(), timeout_s)
    finally:
        stop.set()
        await task


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
