"""One event per incident on a real Redis: reports from two outlets merge, others stay apart, split undoes."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from service import eventscli
from service.cli import build_parser
from service.http import AppState, make_app
from tests.test_store import messages
from workers import keys
from workers.dedup import article_key, canonical_url, text_hash
from workers.extract import extract_events
from workers.records import Article, Document, Event
from workers.store import RollingStore

DATA = Path(__file__).parent / "data" / "incidents"
SEED = Path(__file__).parent.parent / "seeds" / "syria_idlib_clashes.txt"
NOW = datetime(2015, 10, 10, 18, 0, tzinfo=UTC)
PUBLISHED = "2015-10-10T12:00:00Z"


def analysed(url: str, text: str) -> tuple[Article, list[Event]]:
    """An article and its extracted events, as the pipeline makes them (no HTML involved)."""
    canonical = canonical_url(url)
    key = article_key(canonical)
    art = Article(
        key=key,
        url=url,
        canonical_url=canonical,
        text_hash=text_hash(text),
        title=url,
        feed="https://feeds.example/rss",
        published=PUBLISHED,
        language="en",
        item_id=url,
        text=text,
    )
    doc = Document(
        text=text,
        doc_id=key,
        title=url,
        published=PUBLISHED,
        url=canonical,
        feed=art.feed,
        language="en",
    )
    return art, extract_events(doc)


def idlib(events: list[dict]) -> list[dict]:
    return [e for e in events if e["location"]["admin1"] == "Idlib"]


async def stored_events(store: RollingStore) -> list[dict]:
    return [e for e in [await store.get(i) for i in await store.redis.hkeys(keys.EVENT_DATA)] if e]


async def commit_seed_and_other(store: RollingStore) -> tuple[list[dict], str]:
    seed = analysed("https://www.presstv.example/Detail/2015/10/10/idlib", SEED.read_text())
    other_url = "https://wire.example/world/fuaa-kafriya-assault"
    other = analysed(other_url, (DATA / "fuah_other_outlet.txt").read_text())
    await store.commit("1-0", *seed, NOW, 0)
    got = await messages(store.redis, 1, store.commit("2-0", *other, NOW, 0))
    return got, canonical_url(other_url)


async def test_two_outlets_report_one_clash_one_event(redis: object) -> None:
    """The seed's Idlib clash and another outlet's report of it: one event, two sources, v2."""
    store = RollingStore(redis, 7 * 86400)
    got, other_url = await commit_seed_and_other(store)
    clashes = idlib(await stored_events(store))
    assert len(clashes) == 1
    event = clashes[0]
    assert len(event["sources"]) == 2 and event["version"] == 2
    assert [m["kind"] for m in got] == ["updated"] and got[0]["event"]["id"] == event["id"]
    assert event["fatalities"] == 100 and event["fatalities_reported"] == {"min": 100, "max": 120}
    why = event["provenance"][1]
    assert why["url"] == other_url and why["reason"] == "merged"
    assert "type family" in why["matched"] and why["distance_km"] == 0.0
    assert why["time_gap_h"] == 0.0


async def test_two_incidents_same_day_same_province_stay_two(redis: object) -> None:
    """A clash at Saraqib the same day in the same province is another event."""
    store = RollingStore(redis, 7 * 86400)
    await store.commit(
        "1-0", *analysed("https://www.presstv.example/idlib", SEED.read_text()), NOW, 0
    )
    saraqib = analysed("https://monitor.example/saraqib", (DATA / "saraqib_clash.txt").read_text())
    result = await store.commit("2-0", *saraqib, NOW, 0)
    assert (result.verdict, result.created) == ("new", 1)
    clashes = idlib(await stored_events(store))
    assert len(clashes) == 2 and all(len(e["sources"]) == 1 for e in clashes)


async def test_split_undoes_a_merge(redis: object) -> None:
    """Splitting the second outlet off gives two events again and publishes both changes."""
    store = RollingStore(redis, 7 * 86400)
    _, other_url = await commit_seed_and_other(store)
    merged = idlib(await stored_events(store))[0]
    got = await messages(redis, 2, store.split(merged["id"], other_url, NOW))
    kept, split_off = await store.get(merged["id"]), None
    clashes = idlib(await stored_events(store))
    assert len(clashes) == 2
    split_off = next(e for e in clashes if e["id"] != merged["id"])
    assert kept is not None and [s["url"] for s in kept["sources"]] != [other_url]
    assert len(kept["sources"]) == 1 and kept["version"] == 3 and kept["fatalities"] == 100
    assert [s["url"] for s in split_off["sources"]] == [other_url]
    assert (
        split_off["fatalities"] == 120 and split_off["provenance"][0]["split_from"] == merged["id"]
    )
    assert sorted(m["kind"] for m in got) == ["created", "updated"]
    story = await store.story(merged["id"])
    assert story is not None and [h["version"] for h in story["history"]] == [1, 2, 3]
    last = story["history"][-1]
    assert (last["reason"], last["source"]) == ("split", other_url)
    assert last["changes"]["sources_removed"] == [other_url]
    assert story["history"][1]["changes"]["sources_added"] == [other_url]


async def test_split_over_http(redis: object) -> None:
    """POST /events/{id}/split with the source URL; 404 for no event, 409 for no such source."""
    store = RollingStore(redis, 7 * 86400)
    _, other_url = await commit_seed_and_other(store)
    merged = idlib(await stored_events(store))[0]
    runner = web.AppRunner(make_app(AppState(redis, store)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as s:
            async with s.post(f"{base}/events/nope/split", params={"url": other_url}) as r:
                assert r.status == 404
            async with s.post(f"{base}/events/{merged['id']}/split", json={"url": "x"}) as r:
                assert r.status == 409
            async with s.post(f"{base}/events/{merged['id']}/split", json={"url": other_url}) as r:
                body = json.loads(await r.text())
                assert r.status == 200
    finally:
        await runner.cleanup()
    assert len(body["event"]["sources"]) == 1 and body["split"]["sources"][0]["url"] == other_url


async def test_split_from_the_command_line(redis: object) -> None:
    """`newsingest events split ID SOURCE` does what POST /events/{id}/split does."""
    store = RollingStore(redis, 7 * 86400)
    _, other_url = await commit_seed_and_other(store)
    merged = idlib(await stored_events(store))[0]
    runner = web.AppRunner(make_app(AppState(redis, store)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    out = io.StringIO()
    try:
        args = build_parser().parse_args(
            ["events", "--url", base, "split", merged["id"], other_url]
        )
        assert await asyncio.to_thread(eventscli.run, args, base, out) == 0
    finally:
        await runner.cleanup()
    kept = await store.get(merged["id"])
    assert kept is not None and len(kept["sources"]) == 1 and kept["version"] == 3
    assert out.getvalue().startswith(f"kept {merged['id']} (version 3, 1 sources)")
    assert kept["split_off"][0]["urls"] == [other_url]
