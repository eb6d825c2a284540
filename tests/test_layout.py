"""A keyspace written with the layout-1 names ("newsingest:...") is renamed at start, intact."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support import (
    LocalSite,
    get_json,
    metric,
    news_page,
    rss,
    running_daemon,
    subscribed,
    wait_until,
)
from tests.test_daemon import settings_for
from workers import keys, layout
from workers.feeds import FeedSpec


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


async def test_a_daemon_upgraded_on_a_layout_1_keyspace_redoes_nothing(
    redis_url: str, redis: Any, site: LocalSite
) -> None:
    """The daemon commits two articles; its keyspace is turned into what the previous release
    leaves (every key under "newsingest:", no layout mark); a daemon started on it renames the
    keys and goes on: the same pages are neither fetched, committed nor published again, the
    events are still served, and a new entry is processed."""
    settings = settings_for(redis_url)
    pages = [f"/u{i}.html" for i in range(3)]
    for i, path in enumerate(pages):
        site.set(path, news_page(f"Report {i}", [_report(i), f"Aftermath number {i}. " * 8]))
    site.set("/feed.xml", rss([(p, site.url(p)) for p in pages[:2]]))
    feeds = [FeedSpec(site.url("/feed.xml"))]
    async with running_daemon(settings, feeds):
        await wait_until(lambda: _done(redis, 2), what="two articles committed")
    log_before = await redis.xlen(keys.EVENTS_STREAM)
    events_before = await redis.hlen(keys.EVENT_DATA)
    assert log_before > 0
    await _back_to_layout_1(redis)

    site.set("/feed.xml", rss([(p, site.url(p)) for p in pages]))
    base = f"http://127.0.0.1:{settings.http.port}"
    async with subscribed(redis_url) as got, running_daemon(settings, feeds):
        await wait_until(lambda: _done(redis, 3), what="the new entry after the upgrade")
        status, listed = await get_json(base + "/events?limit=50")
    assert await redis.keys("newsingest:*") == []
    assert [site.hits.get(p) for p in pages] == [1, 1, 1]
    assert status == 200 and len(listed["events"]) >= events_before
    new_log = await redis.xrange(keys.EVENTS_STREAM)
    assert len(new_log) > log_before  # the new entry's events, after the old ones
    # Every message after the upgrade is about the new page (a new event, or an old one it joins).
    assert got and all(_cites(m["event"], "/u2.html") for m in got)
    assert await metric(redis, "newsingest_articles|verdict=new") == 3


def _cites(event: dict[str, Any], path: str) -> bool:
    return any(path in (s.get("url") or "") for s in event.get("sources") or [])


def _report(i: int) -> str:
    return (
        f"Gunmen killed {i + 4} people in an attack on a market in Kano, Nigeria, on Monday, "
        "police said."
    )


async def _back_to_layout_1(redis: Any) -> None:
    await redis.delete(keys.LAYOUT)
    for name in await redis.keys(keys.PREFIX + ":*"):
        await redis.rename(name, keys.OLD_PREFIX + name[len(keys.PREFIX) + 1 :])


async def _done(redis: Any, n: int) -> bool:
    return await redis.zcard(keys.DONE_ITEMS) >= n  # type: ignore[no-any-return]
