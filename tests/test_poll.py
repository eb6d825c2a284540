"""Pollers on a real Redis against a local site: leases, races, hints, pauses, politeness."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from service.poll import FeedRegistry, Poller, PollSettings
from service.poll.poller import SeenBounds, enqueue_items
from tests.support import LocalSite, metric, rss, wait_until
from workers import keys
from workers.feeds import FeedSpec
from workers.fetch import FetchLimits, Politeness, make_session
from workers.records import Item
from workers.scripts import lua

LIMITS = FetchLimits(
    allow_networks=("127.0.0.1/32",),
    timeout_s=5.0,
    politeness=Politeness(host_concurrency=0, host_rate_per_s=0),
)
FAST = PollSettings(
    interval_s=3600,
    min_interval_s=3600,
    max_interval_s=3600,
    lease_s=30.0,
    host_concurrency=0,
    host_spacing_s=0.0,
)


@contextlib.asynccontextmanager
async def polling(
    redis: Any,
    settings: PollSettings = FAST,
    feeds: list[FeedSpec] | None = None,
    name: str = "p1",
    limits: FetchLimits = LIMITS,
) -> AsyncIterator[Poller]:
    stop = asyncio.Event()
    session = make_session(limits)
    poller = Poller(redis, session, limits, settings, name=name)
    task = asyncio.create_task(poller.run(feeds or [], stop))
    try:
        yield poller
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await session.close()


def feed_doc(n: int, base: str = "http://example.org") -> str:
    return rss([(f"entry {i}", f"{base}/e{i}") for i in range(n)])


async def test_two_pollers_racing_never_poll_a_feed_twice(redis: Any, site: LocalSite) -> None:
    """300 feeds, two pollers claiming at once: each feed is fetched exactly once per interval."""
    feeds = [
        FeedSpec(site.set(f"/f{i}.xml", feed_doc(2, f"http://example.org/{i}"))) for i in range(300)
    ]
    await FeedRegistry(redis).add_many(feeds)
    async with polling(redis, name="a") as a, polling(redis, name="b") as b:
        await wait_until(lambda: _all_hit(site, 300), timeout_s=30, what="every feed polled")
        await wait_until(
            lambda: _true(a.polls + b.polls >= 300), timeout_s=30, what="every poll finished"
        )
        await asyncio.sleep(0.3)
    twice = {p: n for p, n in site.hits.items() if n != 1}
    assert not twice
    assert a.polls > 0 and b.polls > 0 and a.polls + b.polls == 300
    assert await redis.zcard(keys.FEED_DUE) == 300 and await redis.zcard(keys.FEED_LEASES) == 0
    assert await redis.xlen(keys.ITEMS_STREAM) == 600


async def _true(value: bool) -> bool:
    return value


async def _all_hit(site: LocalSite, n: int) -> bool:
    return sum(1 for p in site.hits if p.startswith("/f")) >= n


async def test_dead_pollers_lease_expires_and_feed_is_picked_up(
    redis: Any, site: LocalSite
) -> None:
    """A poller that claimed a feed and died: after the lease, another poller polls it."""
    url = site.set("/lease.xml", feed_doc(1))
    await FeedRegistry(redis).add(url)
    session = make_session(LIMITS)
    dead = Poller(redis, session, LIMITS, PollSettings(lease_s=1.0, host_concurrency=0), "dead")
    claims, _ = await dead.schedule.claim(10)
    await session.close()
    assert [c.state["url"] for c in claims] == [url]
    async with polling(redis, name="live"):
        await asyncio.sleep(0.5)
        assert site.hits.get("/lease.xml", 0) == 0  # still leased by the dead one
        await wait_until(lambda: _hit(site, "/lease.xml"), timeout_s=5, what="picked up")


async def _hit(site: LocalSite, path: str, n: int = 1) -> bool:
    return site.hits.get(path, 0) >= n


async def test_feed_added_and_removed_while_running(redis: Any, site: LocalSite) -> None:
    """Adding a feed to the Redis list makes a running poller poll it; removing stops it."""
    quick = PollSettings(
        interval_s=0.2, min_interval_s=0.2, max_interval_s=0.2, host_concurrency=0, host_spacing_s=0
    )
    url = site.set("/later.xml", feed_doc(1))
    async with polling(redis, quick):
        await asyncio.sleep(0.3)
        assert await FeedRegistry(redis).add(url)
        await wait_until(lambda: _hit(site, "/later.xml", 2), timeout_s=5, what="polled")
        assert await FeedRegistry(redis).remove(url)
        await asyncio.sleep(0.5)
        hits = site.hits["/later.xml"]
        await asyncio.sleep(1.0)
    assert site.hits["/later.xml"] == hits
    assert await redis.zscore(keys.FEED_DUE, keys.feed_id(url)) is None


async def test_cache_control_and_ttl_delay_the_next_poll(redis: Any, site: LocalSite) -> None:
    """max-age=600 on the response and <ttl>30</ttl> in the feed: next due at least 30 min."""
    body = feed_doc(1).replace(
        "<description>d</description>", "<description>d</description><ttl>30</ttl>"
    )
    url = site.set("/hinted.xml", body, **{"Cache-Control": "max-age=600"})
    quick = PollSettings(
        interval_s=1, min_interval_s=1, max_interval_s=7200, host_concurrency=0, host_spacing_s=0
    )
    async with polling(redis, quick, [FeedSpec(url)]):
        await wait_until(lambda: _hit(site, "/hinted.xml"), timeout_s=5, what="polled")
        await asyncio.sleep(0.3)
    due = await redis.zscore(keys.FEED_DUE, keys.feed_id(url))
    assert due >= time.time() + 1790


async def test_failing_feed_backs_off_then_pauses_and_add_resumes(
    redis: Any, site: LocalSite
) -> None:
    """Three 500s pause the feed (status visible, no more polls); adding it again resumes it."""
    url = site.set("/broken.xml", "oops", status=500)
    quick = PollSettings(
        interval_s=0.05,
        min_interval_s=0.05,
        max_interval_s=0.05,
        backoff_max_s=0.1,
        pause_after_errors=3,
        host_concurrency=0,
        host_spacing_s=0,
    )
    registry = FeedRegistry(redis)
    async with polling(redis, quick, [FeedSpec(url)]):
        await wait_until(lambda: _paused(registry, url), timeout_s=10, what="paused")
        hits = site.hits["/broken.xml"]
        await asyncio.sleep(0.5)
        assert site.hits["/broken.xml"] == hits == 3
        status = await registry.status(keys.feed_id(url))
        assert status is not None and status["status"] == "paused" and status["errors"] == 3
        assert status["next_due"] is None and "HTTP 500" in status["last_error"]
        site.set("/broken.xml", feed_doc(1))
        await registry.add(url)
        await wait_until(lambda: _hit(site, "/broken.xml", 4), timeout_s=5, what="resumed")
    assert await metric(redis, "newsingest_feed_polls|outcome=error") == 3


async def _paused(registry: FeedRegistry, url: str) -> bool:
    status = await registry.status(keys.feed_id(url))
    return bool(status and status["status"] == "paused")


async def test_429_pauses_the_host_for_every_feed_on_it(redis: Any, site: LocalSite) -> None:
    """One feed answers 429 Retry-After: 30; the other feeds of that host wait, shared in Redis."""
    first = site.set("/limited.xml", "slow down", status=429, **{"Retry-After": "30"})
    others = [site.set(f"/other{i}.xml", feed_doc(1)) for i in range(3)]
    registry = FeedRegistry(redis)
    await registry.add(first)
    async with polling(redis, name="a") as a:
        await wait_until(lambda: _hit(site, "/limited.xml"), timeout_s=5, what="the 429")
        await asyncio.sleep(0.2)
        for url in others:
            await registry.add(url)
        async with polling(redis, name="b"):
            await asyncio.sleep(1.0)
    assert not any(site.hits.get(f"/other{i}.xml") for i in range(3)) and a.polls == 1
    paused_until = float(await redis.hget(keys.host("127.0.0.1"), "paused_until"))
    assert paused_until >= time.time() + 25
    due = await redis.zscore(keys.FEED_DUE, keys.feed_id(first))
    assert due >= time.time() + 25


async def test_host_limits_are_shared_by_two_pollers(redis: Any) -> None:
    """host_concurrency=1 and 5 requests/s, two pollers: never two at once, spaced >= 0.2 s."""
    active, peak, starts = 0, 0, []

    async def slow(request: web.Request) -> web.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        starts.append(time.monotonic())
        await asyncio.sleep(0.05)
        active -= 1
        return web.Response(text=feed_doc(1), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{name}", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    await FeedRegistry(redis).add_many(FeedSpec(f"http://127.0.0.1:{port}/f{i}") for i in range(6))
    gated = PollSettings(
        interval_s=3600,
        min_interval_s=3600,
        max_interval_s=3600,
        host_concurrency=1,
        host_spacing_s=0.2,
    )
    try:
        async with polling(redis, gated, name="a"), polling(redis, gated, name="b"):
            await wait_until(lambda: _count(starts, 6), timeout_s=10, what="six polls")
    finally:
        await runner.cleanup()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert peak == 1 and min(gaps) >= 0.18


async def _count(items: list[Any], n: int) -> bool:
    return len(items) >= n


async def test_overflowed_window_is_counted_and_polled_sooner(redis: Any, site: LocalSite) -> None:
    """A re-poll where every entry is new counts a missed window in the feed's status."""
    quick = PollSettings(
        interval_s=0.3,
        min_interval_s=0.05,
        max_interval_s=0.3,
        host_concurrency=0,
        host_spacing_s=0,
    )
    url = site.set("/flood.xml", feed_doc(3, "http://example.org/a"))
    registry = FeedRegistry(redis)
    async with polling(redis, quick, [FeedSpec(url)]):
        await wait_until(lambda: _hit(site, "/flood.xml"), timeout_s=5, what="first poll")
        site.set("/flood.xml", feed_doc(3, "http://example.org/b"))
        await wait_until(lambda: _missed(registry, url), timeout_s=5, what="overflow counted")
    status = await registry.status(keys.feed_id(url))
    assert status is not None and status["entries_seen"] >= 6 and status["last_new"]


async def _missed(registry: FeedRegistry, url: str) -> bool:
    status = await registry.status(keys.feed_id(url))
    return bool(status and status["missed_windows"] >= 1)


@pytest.mark.parametrize("outcome", ["not_modified"])
async def test_conditional_get_and_status_fields(redis: Any, site: LocalSite, outcome: str) -> None:
    """ETag is sent back; a 304 is counted; the status shows last poll and next due."""
    url = site.set("/etag.xml", feed_doc(2), ETag='"v1"')
    quick = PollSettings(
        interval_s=0.1, min_interval_s=0.1, max_interval_s=0.1, host_concurrency=0, host_spacing_s=0
    )
    async with polling(redis, quick, [FeedSpec(url, "Etag feed")]):
        await wait_until(lambda: _hit(site, "/etag.xml", 3), timeout_s=5, what="re-polls")
    assert await metric(redis, f"newsingest_feed_polls|outcome={outcome}") >= 2
    status = await FeedRegistry(redis).status(keys.feed_id(url))
    assert status is not None
    assert status["title"] == "Etag feed" and status["entries_seen"] == 2
    assert status["mode"] == "poll" and status["last_poll"] and status["errors"] == 0


async def test_revised_entries_are_enqueued_again_within_the_bound(redis: Any) -> None:
    """Same guid with a newer stamp or another title: enqueued again, as revision 1, 2 ... up
    to the bound, then only counted; an unchanged entry is never enqueued twice."""
    script = redis.register_script(lua("enqueue.lua"))
    feed = "http://feeds.example/rss"

    def entry(revised: str, title: str = "t") -> Item:
        return Item("guid-1", "http://ex.org/a", feed, title=title, revised=revised)

    async def enqueue(item: Item) -> int:
        return len(await enqueue_items(redis, script, feed, (item,), SeenBounds(3600.0, 2)))

    first, later, latest = "2015-10-12T12:00:00Z", "2015-10-12T15:00:00Z", "2015-10-12T18:00:00Z"
    assert await enqueue(entry(first)) == 1
    assert await enqueue(entry(first)) == 0  # a re-poll
    assert await enqueue(entry(later)) == 1  # newer stamp
    assert await enqueue(entry(first)) == 0  # an older stamp is no revision
    assert await enqueue(entry(later, "t2")) == 1  # another title
    assert await enqueue(entry(latest, "t3")) == 0  # over the bound
    items = [Item.from_fields(f) for _, f in await redis.xrange(keys.ITEMS_STREAM)]
    assert [i.revision for i in items] == [0, 1, 2]
    assert await metric(redis, "newsingest_feed_revisions|outcome=enqueued") == 2
    assert await metric(redis, "newsingest_feed_revisions|outcome=limited") == 1
