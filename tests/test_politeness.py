"""Article-page politeness on a real Redis: robots.txt, shared host pauses, refusal counting;
and the feed-size caps that run before feedparser."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.support import LocalSite, metric, rss
from workers import keys
from workers.errors import FetchError, FetchRefused, HostPaused
from workers.feedlimits import PERSON_TEXT_BYTES, bounded_feed
from workers.feeds import parse_feed
from workers.fetch import FetchLimits, Politeness, make_session
from workers.politeness import HostGate, note_refusal, polite_fetch

POLITE = FetchLimits(
    allow_networks=("127.0.0.1/32",),
    timeout_s=5.0,
    politeness=Politeness(host_concurrency=1, host_rate_per_s=0, max_wait_s=0.5),
)


async def test_robots_txt_is_honoured_cached_and_refusals_counted(
    redis: Any, site: LocalSite
) -> None:
    """Disallowed pages are refused (reason robots) after one robots.txt fetch per host."""
    site.set("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.set("/private/a.html", "secret")
    site.set("/public/b.html", "hello")
    session = make_session(POLITE)
    try:
        with pytest.raises(FetchRefused) as refused:
            await polite_fetch(redis, session, site.url("/private/a.html"), POLITE)
        await note_refusal(redis, refused.value, "page")
        ok = await polite_fetch(redis, session, site.url("/public/b.html"), POLITE)
    finally:
        await session.close()
    assert refused.value.reason_code == "robots" and ok.body == b"hello"
    assert site.hits.get("/private/a.html") is None and site.hits["/robots.txt"] == 1
    assert await redis.get(keys.robots("127.0.0.1")) is not None
    assert await metric(redis, "newsingest_fetch_refused|reason=robots") == 1


async def test_missing_robots_allows_and_robots_off_skips_it(redis: Any, site: LocalSite) -> None:
    """A 404 robots.txt allows everything; robots=false never asks for it."""
    site.set("/page.html", "hi")
    session = make_session(POLITE)
    try:
        await polite_fetch(redis, session, site.url("/page.html"), POLITE)
        off = FetchLimits(
            allow_networks=("127.0.0.1/32",),
            politeness=Politeness(robots=False, host_concurrency=0),
        )
        await redis.flushdb()
        site.hits.clear()
        await polite_fetch(redis, session, site.url("/page.html"), off)
    finally:
        await session.close()
    assert "/robots.txt" not in site.hits


async def test_503_retry_after_pauses_the_host_for_everyone(redis: Any, site: LocalSite) -> None:
    """A 503 with Retry-After: 60 pauses the host in Redis; the next page waits, then retries."""
    site.set("/busy.html", "later", status=503, **{"Retry-After": "60"})
    site.set("/other.html", "fine")
    session = make_session(POLITE)
    try:
        with pytest.raises(FetchError) as first:
            await polite_fetch(redis, session, site.url("/busy.html"), POLITE)
        with pytest.raises(FetchError) as second:
            await polite_fetch(redis, session, site.url("/other.html"), POLITE)
    finally:
        await session.close()
    assert first.value.status == 503 and "paused" in str(second.value)
    assert not second.value.permanent and (second.value.retry_after_s or 0) > 50
    assert "/other.html" not in site.hits
    assert float(await redis.hget(keys.host("127.0.0.1"), "paused_until")) > time.time() + 50


async def test_host_concurrency_slot_is_shared_and_expires(redis: Any) -> None:
    """One slot per host: a second holder waits; a dead holder's slot frees itself."""
    gate = HostGate(redis, Politeness(host_concurrency=1, host_rate_per_s=0))
    assert await gate.try_acquire("h.example", "a", hold_s=0.3) == 0
    assert await gate.try_acquire("h.example", "b", hold_s=0.3) > 0
    await asyncio.sleep(0.35)  # "a" died without releasing
    assert await gate.try_acquire("h.example", "b", hold_s=0.3) == 0


async def test_rate_limit_spaces_requests(redis: Any) -> None:
    """At 5 requests/s the second request of a host must wait about 0.2 s."""
    gate = HostGate(redis, Politeness(host_concurrency=0, host_rate_per_s=5))
    assert await gate.try_acquire("r.example", "a", 1) == 0
    wait = await gate.try_acquire("r.example", "b", 1)
    assert 0.1 < wait <= 0.2


def test_entries_are_capped_before_feedparser() -> None:
    """A 5,000-entry feed reaches feedparser with max_entries entries and stays well formed."""
    body = rss([(f"t{i}", f"http://e.example/{i}") for i in range(5000)]).encode()
    cut = bounded_feed(body, 50, 65536)
    assert cut.count(b"<item>") == 50 and cut.endswith(b"</channel></rss>")
    parsed = parse_feed(body, "http://e.example/feed", max_entries=50)
    assert (len(parsed.items) == 50 and parsed.bozo is None) or "Content-type" in str(parsed.bozo)


def test_long_author_and_text_are_cut_in_linear_time() -> None:
    """A 2 MB author and a 2 MB description are cut; parsing stays fast (no quadratic regex)."""
    huge = "a" * 2_000_000
    body = (
        rss([("t", "http://e.example/1")])
        .replace("</guid>", f"</guid><author>{huge}</author><description>{huge}</description>")
        .encode()
    )
    started = time.perf_counter()
    parsed = parse_feed(body, "http://e.example/feed", max_text_bytes=65536)
    assert time.perf_counter() - started < 2.0
    assert len(parsed.items) == 1 and len(parsed.items[0].summary) <= 65536
    assert len(bounded_feed(body, 10, 65536)) < 65536 + PERSON_TEXT_BYTES + 1000


def test_cut_keeps_cdata_and_characters_whole() -> None:
    """A cut inside CDATA keeps its end marker; a cut never splits a UTF-8 character."""
    body = (
        "<rss><channel><item><description><![CDATA["
        + "é" * 50000
        + "]]></description></item></channel></rss>"
    ).encode()
    cut = bounded_feed(body, 10, 1001)
    assert b"]]></description>" in cut
    cut.decode("utf-8")


async def test_page_of_a_paused_host_is_deferred_before_its_robots_txt(
    redis: Any, site: LocalSite
) -> None:
    """While a host is paused even its robots.txt waits: the page raises HostPaused (the queue
    defers it) and no 'unreachable' robots.txt is cached for the pause to outlive."""
    site.set("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    site.set("/page.html", "hello")
    await redis.hset(keys.host("127.0.0.1"), "paused_until", time.time() + 3600)
    limits = FetchLimits(
        allow_networks=("127.0.0.1/32",),
        timeout_s=5.0,
        politeness=Politeness(host_concurrency=1, host_rate_per_s=0, max_wait_s=0.5),
    )
    session = make_session(limits)
    try:
        with pytest.raises(HostPaused) as paused:
            await polite_fetch(redis, session, site.url("/page.html"), limits)
    finally:
        await session.close()
    assert paused.value.defer_s > 3500 and not paused.value.answered
    assert site.hits == {} and await redis.get(keys.robots("127.0.0.1")) is None
