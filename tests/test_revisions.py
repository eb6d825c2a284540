"""Stories that develop, end to end: a feed's entries revised in place reach subscribers as updates."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import replace

import pytest

from service.redisconn import free_port
from tests.support import (
    LocalSite,
    daemon_settings,
    get_json,
    metric,
    news_page,
    running_daemon,
    subscribed,
    wait_until,
)
from workers import keys
from workers.dedup import article_key, canonical_url
from workers.feeds import FeedSpec

pytestmark = pytest.mark.slow

_WORDS = [
    "council",
    "budget",
    "river",
    "harbour",
    "market",
    "school",
    "bridge",
    "festival",
    "museum",
    "railway",
    "station",
    "farmers",
    "harvest",
    "weather",
    "season",
    "library",
    "hospital",
    "clinic",
    "teachers",
    "students",
    "road",
    "repairs",
    "village",
    "town",
    "mayor",
    "residents",
    "meeting",
    "plan",
    "water",
    "supply",
    "power",
    "grid",
    "prices",
    "rent",
    "housing",
    "park",
    "garden",
    "fishing",
    "boats",
    "tourism",
    "hotel",
    "airport",
    "flights",
    "traffic",
    "lanes",
    "cyclists",
    "parking",
    "tax",
    "reform",
    "election",
    "campaign",
    "debate",
    "voters",
    "survey",
    "report",
    "study",
    "museum",
    "exhibition",
    "painting",
    "music",
    "concert",
    "theatre",
    "film",
    "award",
    "winner",
    "league",
    "match",
    "coach",
    "players",
    "stadium",
    "ticket",
    "sales",
    "owners",
    "company",
    "factory",
    "workers",
    "wages",
    "contract",
    "union",
    "talks",
    "strike",
    "deadline",
    "court",
    "ruling",
    "appeal",
    "judge",
    "lawyer",
    "police",
    "patrol",
    "station",
    "emergency",
    "service",
    "ambulance",
    "volunteers",
    "charity",
    "fund",
    "donation",
    "program",
    "youth",
    "elderly",
    "care",
    "homes",
    "nurses",
    "doctors",
    "vaccine",
    "campaign",
    "families",
    "children",
]
TOWNS = [
    ("Kano", "Nigeria"),
    ("Mombasa", "Kenya"),
    ("Peshawar", "Pakistan"),
    ("Mosul", "Iraq"),
    ("Goma", "Democratic Republic of Congo"),
    ("Timbuktu", "Mali"),
    ("Kandahar", "Afghanistan"),
    ("Aleppo", "Syria"),
    ("Benghazi", "Libya"),
    ("Mogadishu", "Somalia"),
    ("Sanaa", "Yemen"),
]


def _prose(rng: random.Random, sentences: int) -> list[str]:
    """Distinct filler paragraphs (random words), so that no two articles look alike."""
    out = []
    for _ in range(sentences):
        words = rng.sample(_WORDS, 14)
        out.append(" ".join(words).capitalize() + ".")
    return [" ".join(out[i : i + 3]) for i in range(0, len(out), 3)]


def _event(i: int, killed: int) -> list[str]:
    """The first eleven stories each report an attack in their own town; the others none."""
    if i >= len(TOWNS):
        return []
    town, country = TOWNS[i]
    return [
        f"Gunmen killed {killed} people in an attack on a market in {town}, {country}, "
        f"on Monday, police said."
    ]


def _feed(entries: list[tuple[str, str, str]]) -> str:
    """RSS with (title, link, pubDate) items; the link doubles as the guid."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{date}</pubDate></item>"
        for t, link, date in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>t</title><link>http://example.org/</link><description>d</description>"
        f"{body}</channel></rss>"
    )


FIRST = "Mon, 12 Oct 2015 12:00:00 GMT"
LATER = "Mon, 12 Oct 2015 15:00:00 GMT"


async def test_revised_entries_are_fetched_and_published_as_updates(
    redis_url: str, redis: object, site: LocalSite
) -> None:
    """30 entries, 10 revised in place (same guid, newer pubDate, a paragraph added): 10 updates;
    the one whose toll rose is published as `updated` with the new figure; an entry whose
    pubDate moved but whose page did not change costs one 304 and publishes nothing."""
    settings = daemon_settings(redis_url)
    settings = replace(settings, http=replace(settings.http, port=free_port()))
    rng = random.Random(10)
    paths = [f"/story{i}.html" for i in range(30)]
    prose = {p: _prose(rng, 9) for p in paths}
    for i, p in enumerate(paths):
        site.set(p, news_page(f"Story {i}", [*_event(i, 12), *prose[p]]), ETag=f'"{i}-v1"')
    entries = [(f"Story {i}", site.url(p), FIRST) for i, p in enumerate(paths)]
    site.set("/feed.xml", _feed(entries), content_type="application/rss+xml", ETag='"f1"')
    async with (
        subscribed(redis_url) as got,
        running_daemon(settings, [FeedSpec(site.url("/feed.xml"))]),
    ):
        await wait_until(lambda: _done(redis, 30), what="the 30 first versions")
        await asyncio.sleep(0.5)
        # Ten revised in place: a paragraph added; the first also raises its toll to 40.
        for i, p in enumerate(paths[:10]):
            added = _prose(rng, 3)[0]
            site.set(
                p,
                news_page(f"Story {i}", [*_event(i, 40 if i == 0 else 12), *prose[p], added]),
                ETag=f'"{i}-v2"',
            )
        # One more entry bumped in the feed whose page did not change.
        bumped = {*paths[:10], paths[10]}
        revised = [
            (t, link, LATER if p in bumped else d)
            for (t, link, d), p in zip(entries, paths, strict=True)
        ]
        hits_before = site.hits.get(paths[10], 0)
        site.set("/feed.xml", _feed(revised), content_type="application/rss+xml", ETag='"f2"')
        await wait_until(lambda: _done(redis, 40), what="the 10 revisions committed")
        await wait_until(
            lambda: _metric_at_least(redis, "newsingest_feed_revisions|outcome=not_modified", 1),
            what="the unchanged page's 304",
        )
        await asyncio.sleep(1.5)  # further polls of the same feed enqueue nothing more
        kano = next(m["event"]["id"] for m in got if m["event"]["location"]["name"] == "Kano")
        status, story = await get_json(f"http://127.0.0.1:{settings.http.port}/events/{kano}")
    assert await metric(redis, "newsingest_articles|verdict=update") == 10
    assert await metric(redis, "newsingest_articles|verdict=new") == 30
    assert await metric(redis, "newsingest_feed_revisions|outcome=enqueued") == 11
    assert await metric(redis, "newsingest_feed_revisions|outcome=not_modified") == 1
    assert site.hits[paths[10]] == hits_before + 1
    # The first versions each created one event (version 1): everything later is a change.
    assert [m["kind"] for m in got if m["event"]["version"] == 1] == ["created"] * 11
    after = [m for m in got if m["event"]["version"] > 1]
    toll = [m for m in after if m["event"]["location"]["name"] == "Kano"]
    assert [m["kind"] for m in toll] == ["updated"]
    assert toll[0]["event"]["fatalities"] == 40 and toll[0]["event"]["version"] == 2
    assert toll[0]["event"]["fatalities_reported"] == {"min": 12, "max": 40}
    # The story view: how the toll evolved, when, from which source.
    assert status == 200 and story["fatalities"] == 40
    history = story["history"]
    assert [(h["version"], h["kind"]) for h in history] == [(1, "created"), (2, "updated")]
    assert history[1]["changes"] == {"fatalities": {"from": 12, "to": 40}}
    assert history[1]["source"].endswith(paths[0]) and history[1]["at"] == story["updated"]
    record = json.loads(
        await redis.hget(keys.ARTICLE_DATA, article_key(canonical_url(site.url(paths[0]))))
    )  # type: ignore[attr-defined]
    assert record["verdict"]["verdict"] == "update" and record["verdict"]["supersedes"] == 1
    assert record["version"] == 2
    # Only the toll changed in what a subscriber sees: one message; the 304 published nothing.
    assert [m["event"]["id"] for m in after] == [toll[0]["event"]["id"]]


async def _done(redis: object, n: int) -> bool:
    return await redis.zcard(keys.DONE_ITEMS) >= n  # type: ignore[attr-defined,no-any-return]


async def _metric_at_least(redis: object, field: str, n: int) -> bool:
    return await metric(redis, field) >= n
