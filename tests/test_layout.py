"""A keyspace written with the layout-1 names ("newsingest:...") is renamed at start, intact."""

from __future__ import annotations

import asyncio
from typing import Any

from workers import keys, layout


async def _old_keyspace(redis: Any) -> str:
    """A small layout-1 keyspace: a work stream with a pending entry, a hash, a zset with a TTL."""
    old_items = "newsingest:items"
    await redis.xgroup_create(old_items, keys.ITEMS_GROUP, id="0", mkstream=True)
    await redis.xadd(old_items, {"item": '{"id": "a"}'})
    await redis.xadd(old_items, {"item": '{"id": "b"}'})
    await redis.xreadgroup(keys.ITEMS_GROUP, "w1", {old_items: ">"}, count=1)
    await redis.hset("newsingest:event", mapping={"e1": '{"id": "e1"}'})
    await redis.zadd("newsingest:host:example.org:inflight", {"t": 1.0})
    await redis.expire("newsingest:host:example.org:inflight", 300)
    await redis.set("other:app:key", "untouched")
    return old_items


async def test_layout_1_keys_are_renamed_with_their_state(redis: Any) -> None:
    await _old_keyspace(redis)
    assert await layout.ensure(redis) == 3
    assert await redis.get(keys.LAYOUT) == layout.LAYOUT
    assert await redis.keys("newsingest:*") == []
    assert await redis.get("other:app:key") == "untouched"
    assert await redis.hget(keys.EVENT_DATA, "e1") == '{"id": "e1"}'
    assert 0 < await redis.ttl(keys.host_inflight("example.org")) <= 300
    # The queue keeps its group: one entry pending with w1, one not yet delivered.
    pending = await redis.xpending(keys.ITEMS_STREAM, keys.ITEMS_GROUP)
    assert pending["pending"] == 1 and pending["consumers"][0]["name"] == "w1"
    fresh = await redis.xreadgroup(keys.ITEMS_GROUP, "w2", {keys.ITEMS_STREAM: ">"})
    assert [f["item"] for _, entries in fresh for _, f in entries] == ['{"id": "b"}']


async def test_layout_is_renamed_once_and_never_overwrites(redis: Any) -> None:
    await redis.set("newsingest:metrics", "old")
    await redis.set(keys.METRICS, "new")  # written by this version before the mark: kept
    assert await layout.ensure(redis) == 0
    assert await redis.get(keys.METRICS) == "new"
    assert await redis.get("newsingest:metrics") == "old"  # left for the operator, logged
    await redis.set("newsingest:later", "x")
    assert await layout.ensure(redis) == 0  # marked: no second scan
    assert await redis.get("newsingest:later") == "x"


async def test_a_second_process_waits_for_the_first(redis: Any) -> None:
    await redis.set(keys.LAYOUT_LOCK, "other-process", ex=30)
    await redis.set("newsingest:feeds:list", "x")

    async def mark_later() -> None:
        await redis.rename("newsingest:feeds:list", keys.FEED_LIST)
        await redis.set(keys.LAYOUT, layout.LAYOUT)

    waiter = asyncio.create_task(layout.ensure(redis, wait_s=10))
    await asyncio.sleep(0.5)
    assert not waiter.done()
    await mark_later()
    assert await asyncio.wait_for(waiter, 5) == 0
    assert await redis.get(keys.FEED_LIST) == "x"
