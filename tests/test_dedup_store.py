"""Dedup verdicts through the worker's analysis and the Redis commit: every kind, races, trimming."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from service.redisconn import connect
from tests.support import news_page
from tests.test_dedup import STORY
from workers import keys, metrics
from workers.dedup import article_key, canonical_url
from workers.pipeline import analyse_page
from workers.records import Item
from workers.store import RollingStore

NOW = datetime(2015, 10, 10, 12, 0, tzinfo=UTC)
PARAGRAPHS = STORY.split("\n") + [
    "Local officials said the road to the provincial capital had been closed to civilian traffic "
    "since the weekend and that checkpoints had been set up at the entrances to the town.",
    "The United Nations said it was gravely concerned about the safety of civilians and called on "
    "all parties to allow humanitarian access to the affected villages without delay.",
]
ADDED = (
    "Later on Tuesday the monitoring group raised its toll, saying that four more fighters "
    "had died of their wounds in a field hospital and that several civilians were missing."
)


def item(url: str) -> Item:
    return Item(
        item_id=url,
        url=url,
        feed="https://feeds.example/rss",
        title="t",
        published="2015-10-10T09:00:00Z",
    )


async def commit_page(
    store: RollingStore,
    entry: str,
    url: str,
    title: str,
    paragraphs: list[str],
    now: datetime = NOW,
):  # type: ignore[no-untyped-def]
    """Analyse a page as a worker does (clean, fingerprint, extract) and commit it."""
    analysis = analyse_page(news_page(title, paragraphs).encode(), url, item(url))
    return await store.commit(
        entry, analysis.article, list(analysis.events), now, 0, analysis.fingerprint
    )


async def test_every_verdict_kind(redis: object) -> None:
    """new; duplicate by canonical URL, by text hash, as a near-duplicate; update in place."""
    store = RollingStore(redis, 7 * 86400)
    url = "https://news.example/world/saraqeb-clashes"
    first = await commit_page(store, "1-0", url, "Clashes near Saraqeb", PARAGRAPHS)
    assert (first.verdict, first.reason) == ("new", "first") and first.created >= 1
    tracked = await commit_page(
        store, "2-0", url + "?utm_source=rss&fbclid=x", "Clashes near Saraqeb", PARAGRAPHS
    )
    assert (tracked.verdict, tracked.reason) == ("duplicate", "canonical_url")
    copied = await commit_page(
        store, "3-0", "https://mirror.example/saraqeb", "Clashes near Saraqeb", PARAGRAPHS
    )
    assert (copied.verdict, copied.reason) == ("duplicate", "text_hash")
    captioned = (
        PARAGRAPHS[:2] + ["Smoke rises over Saraqeb on Tuesday. Photo: AFP"] + PARAGRAPHS[2:]
    )
    near = await commit_page(
        store,
        "4-0",
        "https://other.example/2015/saraqeb-fighting",
        "Fighting kills 14 near Saraqeb",
        captioned[:-1],
    )
    original = article_key(canonical_url(url))
    assert (near.verdict, near.reason, near.matched) == ("duplicate", "near_duplicate", original)
    assert near.similarity is not None and 0.5 <= near.similarity < 1.0
    copy = await store.article(article_key("https://other.example/2015/saraqeb-fighting"))
    assert copy is not None and copy["verdict"] == {
        "verdict": "duplicate",
        "reason": "near_duplicate",
        "matched": original,
        "similarity": near.similarity,
    }
    revised = PARAGRAPHS[:3] + [ADDED] + PARAGRAPHS[3:]
    revised[0] = revised[0].replace("at least 14", "at least 18")
    update = await commit_page(store, "5-0", url, "Clashes near Saraqeb", revised)
    assert (update.verdict, update.reason) == ("update", "canonical_url")
    assert update.updated >= 1 and update.created == 0
    events = [e for e in [await store.get(i) for i in await redis.hkeys(keys.EVENT_DATA)] if e]  # type: ignore[attr-defined]
    saraqeb = [e for e in events if e["fatalities"] == 18]
    # Versions 2 and 3 added the two copies at other URLs to its sources; 4 is the revision.
    assert len(saraqeb) == 1 and saraqeb[0]["version"] == 4
    assert len(saraqeb[0]["sources"]) == 3
    field = metrics.field("newsingest_articles", verdict="duplicate")
    assert int(await redis.hget(keys.METRICS, field)) == 3  # type: ignore[attr-defined]
    assert (
        int(
            await redis.hget(
                keys.METRICS,
                metrics.field(  # type: ignore[attr-defined]
                    "newsingest_articles", verdict="update"
                ),
            )
        )
        == 1
    )


async def test_near_duplicate_update_at_a_new_url(redis: object) -> None:
    """A revised copy at another URL (paragraph added) is an update of the original, by resemblance."""
    store = RollingStore(redis, 7 * 86400)
    first = await commit_page(store, "1-0", "https://news.example/a", "Clashes", PARAGRAPHS)
    revised = PARAGRAPHS[:3] + [ADDED] + PARAGRAPHS[3:]
    update = await commit_page(store, "2-0", "https://news.example/a-update", "Clashes", revised)
    assert (update.verdict, update.reason) == ("update", "near_duplicate")
    record = await store.article(update.matched or "")
    assert record is not None and record["verdict"]["verdict"] == "update"
    assert record["verdict"]["similarity"] and sorted(record["urls"]) == [
        "https://news.example/a",
        "https://news.example/a-update",
    ]
    assert first.verdict == "new"


async def test_two_workers_racing_copies_yield_one_new(redis_url: str, redis: object) -> None:
    """Near-identical copies (each text differs) committed at once by two workers: one `new`."""
    clients = [connect(redis_url) for _ in range(2)]
    stores = [RollingStore(c, 7 * 86400) for c in clients]
    analyses = []
    for i in range(12):
        url = f"https://site{i}.example/story"
        extra = [f"Reporting by correspondent number {i} of the desk. Photo credit {i}."]
        analyses.append(
            analyse_page(news_page("Clashes", PARAGRAPHS + extra).encode(), url, item(url))
        )
    assert len({a.article.text_hash for a in analyses}) == 12
    try:
        results = await asyncio.gather(
            *[
                stores[i % 2].commit(f"{i}-0", a.article, list(a.events), NOW, 0, a.fingerprint)
                for i, a in enumerate(analyses)
            ]
        )
    finally:
        for c in clients:
            await c.aclose()
    verdicts = sorted(r.verdict for r in results)
    assert verdicts.count("new") == 1, verdicts
    assert {r.reason for r in results if r.verdict != "new"} == {"near_duplicate"}
    assert any(r.attempts > 1 for r in results)  # the snapshot check did catch the race


async def test_trim_removes_the_index_entries(redis: object) -> None:
    """Trimming an article removes its fingerprint and band entries; it is new again after."""
    store = RollingStore(redis, 3600)
    url = "https://news.example/a"
    await commit_page(store, "1-0", url, "Clashes", PARAGRAPHS, NOW - timedelta(hours=2))
    assert await redis.hlen(keys.DEDUP_FP) == 1  # type: ignore[attr-defined]
    assert await store.trim(NOW) >= 1
    assert await redis.hlen(keys.DEDUP_FP) == 0  # type: ignore[attr-defined]
    for prefix in (keys.DEDUP_BAND_PREFIX, keys.DEDUP_URL_PREFIX, keys.DEDUP_TEXT_PREFIX):
        left = [k async for k in redis.scan_iter(match=prefix + "*")]  # type: ignore[attr-defined]
        assert left == [], prefix
    assert not [k async for k in redis.scan_iter(match=keys.EVENT_CELL_PREFIX + "*")]  # type: ignore[attr-defined]
    assert await redis.hlen(keys.EVENT_REPORTS) == 0  # type: ignore[attr-defined]
    again = await commit_page(store, "2-0", "https://copy.example/a", "Clashes", PARAGRAPHS[:-1])
    assert again.verdict == "new"
