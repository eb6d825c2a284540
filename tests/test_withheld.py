"""Events below extract.min_confidence are withheld end to end: not stored, not published,
counted."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from service.demo import seed_page
from service.redisconn import free_port
from tests.support import (
    SEEDS,
    LocalSite,
    daemon_settings,
    get_json,
    metric,
    news_page,
    rss,
    running_daemon,
    subscribed,
    wait_until,
)
from tests.test_extract_model import REVIEW
from workers import keys
from workers.feeds import FeedSpec
from workers.pipeline import analyse_page
from workers.records import Item

pytestmark = pytest.mark.slow


async def test_low_confidence_events_are_withheld_and_counted(
    redis_url: str, redis: Any, site: LocalSite
) -> None:
    """The review's event is below the threshold: no subscriber or query sees it, the metric
    counts it; the seed article's clashes on the same feed are published."""
    s = daemon_settings(redis_url)
    s = replace(s, http=replace(s.http, port=free_port()))
    review = news_page("Album review: the band's boldest record yet", REVIEW)
    url = site.set("/review.html", review)
    found = analyse_page(review.encode(), url, Item(item_id=url, url=url, feed="")).events
    assert found and all(e.confidence < s.extract.min_confidence for e in found)
    site.set("/seed.html", seed_page((SEEDS / "syria_idlib_clashes.txt").read_text()))
    feed = site.set(
        "/feed.xml",
        rss([("Review", url), ("Seed", site.url("/seed.html"))]),
        content_type="application/rss+xml",
    )
    base = f"http://127.0.0.1:{s.http.port}"
    async with subscribed(redis_url) as got, running_daemon(s, [FeedSpec(feed)]):
        await wait_until(lambda: _committed(redis, 2), what="both articles committed", timeout_s=60)
        await asyncio.sleep(0.5)
        _, listed = await get_json(base + "/events?limit=50")
    sources = {src["url"] for m in got for src in m["event"]["sources"]}
    assert url not in sources
    assert all(url not in {x["url"] for x in e["sources"]} for e in listed["events"])
    assert any(m["event"]["fatalities"] == 80 for m in got)
    assert await metric(redis, "newsingest_events_withheld") >= len(found)


async def _committed(redis: Any, n: int) -> bool:
    return int(await redis.zcard(keys.DONE_ITEMS)) >= n
