"""Broken article pages cost only themselves: counted, retried or dead-lettered, nothing else."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from service.redisconn import free_port
from tests.support import (
    LocalSite,
    daemon_settings,
    get_json,
    metric,
    news_page,
    rss,
    running_daemon,
    wait_until,
)
from workers import keys
from workers.feeds import FeedSpec

pytestmark = pytest.mark.slow


async def test_failed_pages_are_dead_lettered_and_the_rest_delivered(
    redis_url: str, redis: Any, site: LocalSite
) -> None:
    """404, 500, an empty page and a refused address end as dead letters; good pages commit."""
    s = daemon_settings(redis_url)
    s = replace(
        s,
        http=replace(s.http, port=free_port()),
        workers=replace(s.workers, claim_idle_s=0.5, max_deliveries=2),
    )
    good = site.set(
        "/good.html",
        news_page(
            "Good",
            ["Police arrested 14 people after clashes in Dhaka, Bangladesh, on Sunday. " * 3],
        ),
    )
    entries = [
        ("good", good),
        ("gone", site.set("/gone.html", "gone", status=404)),
        ("broken", site.set("/broken.html", "oops", status=500)),
        ("empty", site.set("/empty.html", "<html><body></body></html>")),
        ("private", "http://10.1.2.3/private.html"),
    ]
    feed = site.set("/feed.xml", rss(entries), content_type="application/rss+xml")
    base = f"http://127.0.0.1:{s.http.port}"
    async with running_daemon(s, [FeedSpec(feed)]):
        await wait_until(lambda: _finished(redis, 1, 4), what="1 commit and 4 dead letters")
        status, health = await get_json(base + "/healthz")
    assert status == 200, health
    dead = {
        fields["entry_id"]: fields["error"] for _, fields in await redis.xrange(keys.DEAD_STREAM)
    }
    errors = " ".join(dead.values())
    assert "404" in errors and "500" in errors and "no main text" in errors
    assert "private_address" in errors or "10.1.2.3" in errors
    assert await metric(redis, "newsingest_articles|verdict=failed") == 4
    assert await metric(redis, "newsingest_articles|verdict=new") == 1
    assert await metric(redis, "newsingest_fetch_refused|reason=private_address") == 1
    assert site.hits["/broken.html"] == 2  # retried once, then given up


async def _finished(redis: Any, done: int, dead: int) -> bool:
    return await redis.zcard(keys.DONE_ITEMS) >= done and await redis.xlen(keys.DEAD_STREAM) >= dead
