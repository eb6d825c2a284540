"""The rolling store on a real private Redis: atomic commits, dedup verdicts, queries, trimming."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from workers import keys
from workers.dedupindex import exact_slot
from workers.records import Actor, Article, Event, Location, Source
from workers.store import EventQuery, RollingStore

NOW = datetime(2015, 10, 10, 12, 0, tzinfo=UTC)


def article(key: str = "a1", url: str = "http://ex.org/a", text_hash: str = "h1") -> Article:
    return Article(
        key=key,
        url=url,
        canonical_url=url,
        text_hash=text_hash,
        title="t",
        feed="http://ex.org/feed",
        published=None,
        language="en",
        item_id=url,
    )


def event(
    eid: str = "e1",
    fatalities: int | None = 100,
    country: str = "SY",
    etype: str = "Battles",
    date: str = "2015-10-10",
) -> Event:
    return Event(
        id=eid,
        event_type=etype,
        sub_event_type="Armed clash",
        date=date,
        location=Location("Idlib", "Idlib", country, 35.9, 36.6),
        actors=(Actor("al-Nusra Front", "actor1"),),
        fatalities=fatalities,
        injured=None,
        summary="s",
        confidence=0.8,
        sources=(Source("http://ex.org/a"),),
    )


async def messages(redis: object, count: int, action: object) -> list[dict]:
    """Run `action` while subscribed; return the channel messages it caused."""
    pubsub = redis.pubsub()  # type: ignore[attr-defined]
    await pubsub.subscribe(keys.EVENTS_CHANNEL)
    await pubsub.get_message(timeout=1.0)
    await action  # type: ignore[misc]
    got = []
    for _ in range(count + 1):
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if msg:
            got.append(json.loads(msg["data"]))
    await pubsub.aclose()
    return got


async def test_commit_publishes_once_per_entry(redis: object) -> None:
    """A redelivered entry (same entry id) stores and publishes nothing a second time."""
    store = RollingStore(redis, 7 * 86400)
    first = await messages(redis, 1, store.commit("1-0", article(), [event()], NOW, 0.0))
    again = await store.commit("1-0", article(), [event()], NOW, 0.0)
    assert [m["kind"] for m in first] == ["created"]
    assert first[0]["event"]["version"] == 1 and first[0]["event"]["first_seen"]
    assert again.verdict == "done" and again.created == 0
    assert await redis.xlen(keys.EVENTS_STREAM) == 1  # type: ignore[attr-defined]


async def test_verdicts_by_url_and_text_hash(redis: object) -> None:
    """Same URL and text is a duplicate; same text elsewhere too; new text at a URL an update."""
    store = RollingStore(redis, 7 * 86400)
    assert (await store.commit("1-0", article(), [event()], NOW, 0)).verdict == "new"
    same_url = await store.commit("2-0", article(), [event()], NOW, 0)
    assert (same_url.verdict, same_url.reason) == ("duplicate", "canonical_url")
    copy = await store.commit("3-0", article("a2", "http://other.org/x"), [event("e9")], NOW, 0)
    assert (copy.verdict, copy.reason, copy.matched) == ("duplicate", "text_hash", "a1")
    assert copy.created == 0
    revised = await store.commit("4-0", article(text_hash="h2"), [event(fatalities=120)], NOW, 0)
    assert (revised.verdict, revised.updated) == ("update", 1)
    stored = await store.get("e1")
    # Version 2 added the copy's URL to the sources, version 3 is the revised figure.
    assert stored and stored["fatalities"] == 120 and stored["version"] == 3
    record = await store.article("a2")
    assert record and record["verdict"]["verdict"] == "duplicate"


async def test_unchanged_event_in_update_is_not_republished(redis: object) -> None:
    """An update whose re-extracted event did not change publishes nothing for it."""
    store = RollingStore(redis, 7 * 86400)
    await store.commit("1-0", article(), [event()], NOW, 0)
    result = await store.commit("2-0", article(text_hash="h2"), [event()], NOW, 0)
    assert (result.verdict, result.created, result.updated) == ("update", 0, 0)


async def test_update_that_no_longer_reports_an_event_retracts_it(redis: object) -> None:
    """A revision without the event: published once as `retracted`, kept with that status,
    logged, left out of listings; a redelivery of the revision publishes nothing again."""
    store = RollingStore(redis, 7 * 86400)
    await store.commit("1-0", article(), [event()], NOW, 0)
    got = await messages(redis, 1, store.commit("2-0", article(text_hash="h2"), [], NOW, 0))
    again = await store.commit("2-0", article(text_hash="h2"), [], NOW, 0)
    assert [m["kind"] for m in got] == ["retracted"] and again.verdict == "done"
    stored = await store.get("e1")
    assert stored is not None and stored["status"] == "retracted" and stored["version"] == 2
    assert got[0]["event"] == stored
    log = await redis.xrange(keys.EVENTS_STREAM)  # type: ignore[attr-defined]
    assert [f["kind"] for _, f in log] == ["created", "retracted"]
    assert await store.query(EventQuery()) == []
    # No later report merges into a retracted event.
    later = await store.commit("3-0", article("a3", "http://ex.org/c", "h3"), [event("e3")], NOW, 0)
    assert later.created == 1


async def test_duplicate_at_another_url_joins_the_sources(redis: object) -> None:
    """A copy at another URL adds its URL to the original's event (one `updated`, confidence
    unchanged); the same copy seen again, or the original re-fetched, publishes nothing."""
    store = RollingStore(redis, 7 * 86400)
    await store.commit("1-0", article(), [event()], NOW, 0)
    copy = article("a2", "http://other.org/x")
    got = await messages(redis, 1, store.commit("2-0", copy, [event("e9")], NOW, 0))
    assert [m["kind"] for m in got] == ["updated"]
    stored = await store.get("e1")
    assert stored is not None and stored["version"] == 2 and stored["confidence"] == 0.8
    assert [s["url"] for s in stored["sources"]] == ["http://ex.org/a", "http://other.org/x"]
    assert stored["provenance"][1]["reason"] == "duplicate"
    again = await messages(redis, 1, store.commit("3-0", copy, [event("e9")], NOW, 0))
    same = await messages(redis, 1, store.commit("4-0", article(), [event()], NOW, 0))
    assert again == [] and same == []
    assert (await store.get("e1"))["version"] == 2  # type: ignore[index]


async def test_query_filters_and_orders(redis: object) -> None:
    """Events come newest first and filter by time range, type and country."""
    store = RollingStore(redis, 7 * 86400)
    await store.commit(
        "1-0",
        article(),
        [
            event("e1", date="2015-10-09"),
            event("e2", country="IQ", date="2015-10-10"),
            event("e3", etype="Protests", date="2015-10-11"),
        ],
        NOW,
        0,
    )
    ids = [e["id"] for e in await store.query(EventQuery())]
    assert ids == ["e3", "e2", "e1"]
    assert [e["id"] for e in await store.query(EventQuery(country="iq"))] == ["e2"]
    assert [e["id"] for e in await store.query(EventQuery(event_type="Protests"))] == ["e3"]
    since = datetime(2015, 10, 10, tzinfo=UTC)
    assert [e["id"] for e in await store.query(EventQuery(since=since, limit=1))] == ["e3"]


async def test_trim_drops_only_what_left_the_window(redis: object) -> None:
    """Trimming removes events, articles and dedup keys first seen before the window."""
    store = RollingStore(redis, 3600)
    await store.commit("1-0", article(), [event("old")], NOW - timedelta(hours=2), 0)
    # Another incident (a week later), so that it is not merged into "old".
    await store.commit(
        "2-0", article("b", "http://ex.org/b", "hb"), [event("new", date="2015-10-17")], NOW, 0
    )
    assert await store.trim(NOW) >= 2
    assert await store.get("old") is None and await store.get("new") is not None
    # exact_slot (Python) finds what exact.lua (in the scripts) wrote and deleted.
    url, text = keys.DEDUP_URL_PREFIX, keys.DEDUP_TEXT_PREFIX
    assert not await redis.hexists(*exact_slot(url, "http://ex.org/a"))  # type: ignore[attr-defined]
    assert not await redis.hexists(*exact_slot(text, "h1"))  # type: ignore[attr-defined]
    assert await redis.hexists(*exact_slot(url, "http://ex.org/b"))  # type: ignore[attr-defined]
    assert await redis.hget(*exact_slot(text, "hb")) == "b"  # type: ignore[attr-defined]
    # The trimmed article's URL is new again.
    assert (await store.commit("3-0", article(), [], NOW, 0)).verdict == "new"


async def test_racing_commits_yield_one_new(redis: object) -> None:
    """Two workers committing copies of one article at once: exactly one `new`."""
    store = RollingStore(redis, 7 * 86400)
    results = await asyncio.gather(
        *[
            store.commit(
                f"{i}-0", replace(article(f"k{i}", f"http://site{i}.org/a")), [event()], NOW, 0
            )
            for i in range(10)
        ]
    )
    assert sorted(r.verdict for r in results).count("new") == 1
    # One event: created once, then each copy's URL joins its sources, one version each.
    log = await redis.xrange(keys.EVENTS_STREAM)  # type: ignore[attr-defined]
    assert sorted(f["kind"] for _, f in log) == ["created"] + ["updated"] * 9
    versions = sorted(json.loads(f["message"])["event"]["version"] for _, f in log)
    assert versions == list(range(1, 11))
    assert len((await store.get("e1"))["sources"]) == 10  # type: ignore[index]


async def test_history_of_a_much_copied_event_stays_bounded(redis: object) -> None:
    """Each copy's URL is a version; past 32 KB the history keeps the last 100 of them."""
    store = RollingStore(redis, 7 * 86400)
    await store.commit("1-0", article(), [event()], NOW, 0)
    for i in range(260):
        await store.commit(f"c{i}-0", article(f"c{i}", f"http://copy{i}.org/a"), [], NOW, 0)
    story = await store.story("e1")
    assert story is not None and story["version"] == 261
    versions = [h["version"] for h in story["history"]]
    assert 100 <= len(versions) < 261 and versions[-1] == 261
    assert versions == list(range(versions[0], 262))
