"""End to end: the daemon on a private Redis against a local site of feeds and pages."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest

from service import daemon
from service.demo import seed_page
from service.redisconn import free_port
from tests.support import (
    DATA,
    SEEDS,
    LocalSite,
    daemon_settings,
    get_json,
    get_text,
    metric,
    news_page,
    rss,
    running_daemon,
    subscribed,
    wait_until,
)
from workers import beats, keys
from workers.feeds import FeedSpec

pytestmark = pytest.mark.slow

JPOST = "e372e42c0a3df7b86e1c0bacf7bc14d042144a01e88833bc5a643d61b3547090.html"


def settings_for(redis_url: str, **workers: object):  # type: ignore[no-untyped-def]
    s = daemon_settings(redis_url)
    s = replace(s, http=replace(s.http, port=free_port()))
    return replace(s, workers=replace(s.workers, **workers)) if workers else s


def seed_site(site: LocalSite) -> str:
    site.set("/seed.html", seed_page((SEEDS / "syria_idlib_clashes.txt").read_text()))
    site.set("/jpost.html", (DATA / "pages" / JPOST).read_bytes())
    return site.set(
        "/feed.xml",
        rss([("Seed", site.url("/seed.html")), ("Berlin", site.url("/jpost.html"))]),
        content_type="application/rss+xml",
    )


def _mentions(event: dict, name: str) -> bool:
    loc = event.get("location") or {}
    text = " ".join(str(loc.get(k) or "") for k in ("name", "admin1")).lower()
    return name in text


async def test_seed_article_events_reach_subscribers(
    redis_url: str, redis: object, site: LocalSite
) -> None:
    """The seed article yields the Idlib (>=100 killed) and Latakia (80) clashes, not the war total.
    Housekeeping then deletes the two acknowledged entries from the work queue."""
    settings = settings_for(redis_url)
    settings = replace(settings, store=replace(settings.store, trim_every_s=1.0))
    feed = seed_site(site)
    base = f"http://127.0.0.1:{settings.http.port}"
    async with subscribed(redis_url) as got, running_daemon(settings, [FeedSpec(feed)]):
        await wait_until(lambda: _done(redis, 2), what="both articles committed")
        await wait_until(lambda: _queue_empty(redis), what="acked entries trimmed")
        await asyncio.sleep(0.5)
        status, health = await get_json(base + "/healthz")
        assert status == 200, health
        status, listed = await get_json(base + "/events?country=SY&limit=50")
        _, prom = await get_text(base + "/metrics")
    events = [m["event"] for m in got if m["kind"] == "created"]
    idlib = [e for e in events if _mentions(e, "idlib") and (e["fatalities"] or 0) >= 100]
    latakia = [e for e in events if _mentions(e, "latakia") and e["fatalities"] == 80]
    assert idlib and idlib[0]["sub_event_type"] == "Armed clash"
    assert latakia and latakia[0]["location"]["country"] == "SY"
    assert all(e["fatalities"] != 240000 for e in events)
    assert status == 200 and {e["id"] for e in idlib + latakia} <= {
        e["id"] for e in listed["events"]
    }
    assert 'newsingest_articles_total{verdict="new"} 2.0' in prom
    assert 'newsingest_events_published_total{kind="created"}' in prom
    assert f'newsingest_queue_pending{{stream="{keys.ITEMS_STREAM}"}} 0.0' in prom
    assert "newsingest_items_trimmed_total 2.0" in prom
    assert health["queue"]["length"] == 0 and health["queue"]["lag"] == 0
    latency = [
        line
        for line in prom.splitlines()
        if line.startswith("newsingest_pipeline_latency_seconds_count ")
    ]
    assert latency and float(latency[0].split()[1]) >= 1


async def _queue_empty(redis: object) -> bool:
    return await redis.xlen(keys.ITEMS_STREAM) == 0  # type: ignore[attr-defined,no-any-return]


async def _done(redis: object, n: int) -> bool:
    return await redis.zcard(keys.DONE_ITEMS) >= n  # type: ignore[attr-defined,no-any-return]


async def test_repoll_processes_only_new_entries(
    redis_url: str, redis: object, site: LocalSite
) -> None:
    """Re-polling fetches no page twice; an entry added later is the only new work."""
    settings = settings_for(redis_url)
    pages = [f"/p{i}.html" for i in range(3)]
    for i, path in enumerate(pages):
        site.set(
            path,
            news_page(
                f"Report {i}",
                [
                    f"Gunmen killed {i + 4} people in an attack on a market in Kano, Nigeria, on Monday, "
                    "police said.",
                    f"Paragraph about the aftermath number {i}. " * 8,
                ],
            ),
        )
    site.set("/feed.xml", rss([(p, site.url(p)) for p in pages[:2]]), ETag='"v1"')
    async with running_daemon(settings, [FeedSpec(site.url("/feed.xml"))]):
        await wait_until(lambda: _done(redis, 2), what="first two entries")
        await wait_until(lambda: _feed_polls(site, 4), what="several re-polls")
        site.set("/feed.xml", rss([(p, site.url(p)) for p in pages]), ETag='"v2"')
        await wait_until(lambda: _done(redis, 3), what="the added entry")
        await wait_until(lambda: _feed_polls(site, 8), what="more re-polls")
    assert [site.hits.get(p) for p in pages] == [1, 1, 1]
    assert await redis.zcard(keys.DONE_ITEMS) == 3  # type: ignore[attr-defined]
    assert await metric(redis, "newsingest_articles|verdict=new") == 3
    assert await metric(redis, "newsingest_feed_polls|outcome=not_modified") >= 2


async def _feed_polls(site: LocalSite, n: int) -> bool:
    return site.hits.get("/feed.xml", 0) >= n


async def test_killed_worker_loses_nothing_and_publishes_nothing_twice(
    redis_url: str, redis: object, site: LocalSite
) -> None:
    """kill -9 of a worker holding entries, then again while it holds their revisions: they
    are reclaimed, each article stored once, each change published once."""
    settings = settings_for(redis_url, claim_idle_s=2.0, concurrency=4)
    paths = [f"/slow{i}.html" for i in range(8)]

    def publish(killed: int, version: str) -> None:
        for i, path in enumerate(paths):
            site.set(
                path,
                news_page(
                    f"Clash {i}",
                    [
                        f"Soldiers and rebels fought near Goma, Democratic Republic of Congo, on "
                        f"Tuesday; {i + killed} fighters were killed, the army said.",
                        f"Background paragraph {i}. " * 10,
                    ],
                ),
                ETag=version,
            )
            # Longer than a heartbeat period (2 s), so some beat reports the entries in flight.
            site.routes[path].delay_s = 3.0

    publish(2, '"v1"')
    site.set("/feed.xml", rss([(p, site.url(p)) for p in paths]))
    async with (
        subscribed(redis_url) as got,
        running_daemon(settings, [FeedSpec(site.url("/feed.xml"))]),
    ):
        victim = await _busy_worker_pid(redis)
        os.kill(victim, signal.SIGKILL)
        await wait_until(lambda: _done(redis, len(paths)), timeout_s=90, what="all entries")
        # Every toll corrected in place; the feed retitles its entries (same guids).
        publish(30, '"v2"')
        site.set("/feed.xml", rss([(p + " (updated)", site.url(p)) for p in paths]))
        await wait_until(lambda: _revisions(redis, len(paths)), what="revisions enqueued")
        victim = await _busy_worker_pid(redis, not_pid=victim)
        os.kill(victim, signal.SIGKILL)
        await wait_until(lambda: _done(redis, 2 * len(paths)), timeout_s=90, what="revisions")
        await asyncio.sleep(1.0)
    assert await redis.hlen(keys.ARTICLE_DATA) == len(paths)  # type: ignore[attr-defined]
    assert await metric(redis, "newsingest_articles|verdict=update") == len(paths)
    assert any(m["kind"] == "updated" and m["event"]["fatalities"] >= 30 for m in got)
    created = [m["event"]["id"] for m in got if m["kind"] == "created"]
    assert created and len(created) == len(set(created))
    # Reports of one incident merge (workers/incidents.py): "updated" messages, each version once.
    versions = [(m["event"]["id"], m["event"]["version"]) for m in got]
    assert len(versions) == len(set(versions))
    log = await redis.xrange(keys.EVENTS_STREAM)  # type: ignore[attr-defined]
    assert len(log) == len(got)
    pending = await redis.xpending(keys.ITEMS_STREAM, keys.ITEMS_GROUP)  # type: ignore[attr-defined]
    assert pending["pending"] == 0


async def _revisions(redis: object, n: int) -> bool:
    return await metric(redis, "newsingest_feed_revisions|outcome=enqueued") >= n


async def _busy_worker_pid(redis: object, not_pid: int = 0) -> int:
    found: list[int] = []

    async def busy() -> bool:
        for beat in (await beats.live(redis, "worker")).values():
            # A killed worker's last beat stays live until it expires.
            if beat.get("in_flight") and int(beat["pid"]) != not_pid:
                found.append(int(beat["pid"]))
                return True
        return False

    await wait_until(busy, timeout_s=60, what="a worker holding entries")
    return found[0]


async def test_broken_feeds_cost_nothing_else(
    redis_url: str, redis: object, site: LocalSite
) -> None:
    """Every ill-formed feed is polled and counted; the daemon stays healthy; good feeds deliver."""
    settings = settings_for(redis_url)
    good = seed_site(site)
    broken = sorted((DATA / "illformed").iterdir())
    feeds = [FeedSpec(good)]
    for path in broken:
        feeds.append(
            FeedSpec(
                site.set("/bad/" + path.name, path.read_bytes(), content_type="application/xml")
            )
        )
    feeds.append(FeedSpec(site.set("/status/500", "oops", status=500)))
    feeds.append(FeedSpec(site.set("/status/404", "gone", status=404)))
    feeds.append(FeedSpec("http://127.0.0.1:1/unreachable.xml"))
    base = f"http://127.0.0.1:{settings.http.port}"
    async with running_daemon(settings, feeds):
        await wait_until(lambda: _done(redis, 2), what="the good feed's articles")
        await wait_until(lambda: _all_polled(site, broken), what="every broken feed polled")
        status, health = await get_json(base + "/healthz")
    assert status == 200, health
    assert await metric(redis, "newsingest_feed_polls|outcome=error") >= 4
    assert await metric(redis, "newsingest_articles|verdict=new") == 2


async def _all_polled(site: LocalSite, broken: list[Path]) -> bool:
    return all(site.hits.get("/bad/" + p.name, 0) >= 1 for p in broken)


async def test_a_role_that_fails_is_started_again_not_left_dead(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A poller whose start-up call hits a Redis reset would otherwise end while /readyz stays
    200: the daemon logs the error and runs it again a second later, until stop."""
    stop = asyncio.Event()
    runs: list[int] = []

    async def poller_run() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise ConnectionError("Connection reset by peer")
        await stop.wait()

    task = asyncio.create_task(daemon._supervised("poller", poller_run, stop))
    await wait_until(lambda: _ran_twice(runs), timeout_s=10, what="the second run")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert runs == [0, 1]
    assert any("poller failed" in m and "outcome=restarted" in m for m in caplog.messages)


async def _ran_twice(runs: list[int]) -> bool:
    return len(runs) >= 2
