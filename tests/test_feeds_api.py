"""Managing feeds (CLI and /feeds on a live API) and WebSub push against a hub of our own."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import io
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from service import feedscli
from service.config import load
from service.http import AppState, make_app
from service.poll import FeedRegistry, Poller, PollSettings
from service.redisconn import free_port
from service.websub import Subscriber, WebSubConfig, signature_ok
from tests.support import (
    LocalSite,
    get_json,
    get_text,
    metric,
    rss,
    running_daemon,
    wait_until,
)
from workers import keys
from workers.feeds import FeedSpec, alternate_feeds
from workers.fetch import FetchLimits, Politeness, make_session
from workers.records import Item
from workers.store import RollingStore

LIMITS = FetchLimits(
    allow_networks=("127.0.0.1/32",),
    timeout_s=5.0,
    politeness=Politeness(host_concurrency=0, host_rate_per_s=0),
)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def api(redis: Any) -> AsyncIterator[str]:
    runner, base = await _serve(make_app(AppState(redis, RollingStore(redis, 60))))
    yield base
    await runner.cleanup()


async def cli(base: str, *argv: str) -> str:
    parser = argparse.ArgumentParser()
    feedscli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["feeds", *argv])
    out = io.StringIO()
    await asyncio.to_thread(feedscli.run, args, base, LIMITS, out)
    return out.getvalue()


async def test_import_list_export_add_remove(
    redis: Any, api: str, site: LocalSite, tmp_path: Path
) -> None:
    """The CLI changes the Redis feed list through the API; /feeds shows the same data."""
    a, b = site.set("/a.xml", rss([])), site.set("/b.xml", rss([]))
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        f'<opml version="2.0"><body><outline text="A" xmlUrl="{a}"/>'
        f'<outline title="B" xmlUrl="{b}"/></body></opml>'
    )
    assert "2 added of 2 listed" in await cli(api, "import", str(opml))
    assert "0 added of 2 listed" in await cli(api, "import", str(opml))
    listing = await cli(api, "list")
    assert a in listing and b in listing and "last new entry" in listing
    exported = await cli(api, "export")
    assert f'xmlUrl="{a}"' in exported and 'title="B"' in exported
    site.set(
        "/news/",
        '<html><head><link rel="alternate" type="application/rss+xml" '
        'href="/c.xml"></head><body>site</body></html>',
    )
    c = site.set("/c.xml", rss([]))
    assert f"added {c}" in await cli(api, "add", site.url("/news/"))
    status, one = await get_json(f"{api}/feeds/{keys.feed_id(c)}")
    assert status == 200 and one["url"] == c and one["mode"] == "poll"
    assert one["next_due"] and one["status"] == "ok"
    assert "removed" in await cli(api, "remove", a)
    status, body = await get_json(api + "/feeds")
    assert status == 200 and sorted(f["url"] for f in body["feeds"]) == sorted([b, c])
    assert (await get_json(f"{api}/feeds/{keys.feed_id(a)}"))[0] == 404
    assert await redis.zscore(keys.FEED_DUE, keys.feed_id(a)) is None
    full = json.loads(await cli(api, "list", "--json"))
    assert {
        "last_poll",
        "last_new",
        "entries_seen",
        "errors",
        "next_due",
        "mode",
        "lag_s",
        "missed_windows",
    } <= set(full[0])


def test_alternate_link_discovery() -> None:
    """Only rel=alternate links with a feed type count, resolved against the page URL."""
    page = (
        b'<link rel="alternate" type="application/atom+xml" href="atom.xml">'
        b'<link rel="alternate" type="text/html" href="/fr/">'
        b'<link rel="alternate stylesheet" type="application/rss+xml" href="//cdn.x/r">'
    )
    assert alternate_feeds(page, "https://site.example/blog/") == [
        "https://site.example/blog/atom.xml",
        "https://cdn.x/r",
    ]


# --- WebSub ---------------------------------------------------------------------------------


@dataclass
class Hub:
    """A WebSub hub for the tests: verifies intent, then publishes signed content on demand."""

    subs: dict[str, dict[str, str]] = field(default_factory=dict)
    verified: list[str] = field(default_factory=list)
    base: str = ""
    lease_s: int = 600

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        topic = str(form["hub.topic"])
        self.subs[topic] = {k: str(v) for k, v in form.items()}
        asyncio.get_running_loop().create_task(self._verify(topic))
        return web.Response(status=202)

    async def _verify(self, topic: str) -> None:
        sub = self.subs[topic]
        params = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.challenge": "c-" + topic[-6:],
            "hub.lease_seconds": str(self.lease_s),
        }
        async with aiohttp.ClientSession() as s, s.get(sub["hub.callback"], params=params) as r:
            if r.status == 200 and await r.text() == params["hub.challenge"]:
                self.verified.append(topic)

    async def publish(self, topic: str, body: bytes, secret: str | None = None) -> int:
        sub = self.subs[topic]
        return await signed_post(sub["hub.callback"], secret or sub["hub.secret"], body)


async def signed_post(callback: str, secret: str, body: bytes) -> int:
    """POST `body` to a WebSub callback as a hub does, signed under `secret`; the status."""
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    async with (
        aiohttp.ClientSession() as s,
        s.post(
            callback,
            data=body,
            headers={"X-Hub-Signature": f"sha256={sig}", "Content-Type": "application/rss+xml"},
        ) as r,
    ):
        return r.status


def hubbed_rss(hub: str, self_url: str, items: list[tuple[str, str]]) -> str:
    link = (
        f'<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="hub" href="{hub}"/>'
        f'<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="self" href="{self_url}"/>'
    )
    return rss(items).replace("<description>d</description>", "<description>d</description>" + link)


async def test_websub_subscribe_verify_push_and_signature(
    redis: Any, api: str, site: LocalSite
) -> None:
    """A hubbed feed is subscribed and verified; signed pushes enqueue, forged ones do not."""
    hub = Hub()
    app = web.Application()
    app.router.add_post("/", hub.handle)
    runner, hub.base = await _serve(app)
    topic = site.url("/pushed.xml")
    site.set("/pushed.xml", hubbed_rss(hub.base + "/", topic, [("one", "http://example.org/1")]))
    await FeedRegistry(redis).add(topic)
    session = make_session(LIMITS)
    sub = Subscriber(redis, session, WebSubConfig(callback_url=api + "/"))
    settings = PollSettings(
        interval_s=0.2,
        min_interval_s=0.2,
        max_interval_s=0.2,
        host_concurrency=0,
        host_spacing_s=0,
        push_poll_interval_s=600,
    )
    stop = asyncio.Event()
    poller = Poller(redis, session, LIMITS, settings, on_hub=sub.ensure, name="p")
    task = asyncio.create_task(poller.run([], stop))
    try:
        await wait_until(lambda: _true(topic in hub.verified), timeout_s=10, what="verified")
        fid = keys.feed_id(topic)
        status = await FeedRegistry(redis).status(fid)
        assert status is not None and status["mode"] == "push" and status["hub"] == hub.base + "/"
        pushed = hubbed_rss(
            hub.base + "/",
            topic,
            [("two", "http://example.org/2"), ("one", "http://example.org/1")],
        ).encode()
        assert await hub.publish(topic, pushed, secret="forged") == 202
        assert await redis.xlen(keys.ITEMS_STREAM) == 1  # the forged push was dropped
        assert await hub.publish(topic, pushed) == 202
        assert await redis.xlen(keys.ITEMS_STREAM) == 2  # only the new entry
        await asyncio.sleep(0.6)
        due = await redis.zscore(keys.FEED_DUE, fid)
        assert due is None or due > time.time() + 300  # pushed: polled rarely
        status = await FeedRegistry(redis).status(fid)
        assert status is not None and status["last_push"] and status["entries_seen"] == 2
    finally:
        stop.set()
        await task
        await session.close()
        await runner.cleanup()


async def _true(value: bool) -> bool:
    return value


async def test_websub_push_keeps_the_configured_revision_bound(redis: Any, redis_url: str) -> None:
    """NEWSINGEST_FEEDS_MAX_REVISIONS_PER_ENTRY bounds pushed revisions as it bounds polled ones:
    with 1, an entry pushed three times with three titles is enqueued twice (first fetch,
    revision 1) and the second revision is only counted as limited."""
    s = load(None, {"NEWSINGEST_FEEDS_MAX_REVISIONS_PER_ENTRY": "1"})
    port = free_port()
    s = replace(s, redis=replace(s.redis, url=redis_url), http=replace(s.http, port=port))
    feed = "http://feeds.example/pushed.xml"
    fid = keys.feed_id(feed)
    await redis.hset(
        keys.websub(fid), mapping={"feed": feed, "topic": feed, "secret": "s3", "state": "active"}
    )
    callback = f"http://127.0.0.1:{port}/websub/{fid}"
    async with running_daemon(s, [], roles=("api",)):
        for title in ("one", "one revised", "one revised again"):
            body = rss([(title, "http://example.org/1")]).encode()
            assert await signed_post(callback, "s3", body) == 202
        _, text = await get_text(f"http://127.0.0.1:{port}/metrics")
    items = [Item.from_fields(f) for _, f in await redis.xrange(keys.ITEMS_STREAM)]
    assert [(i.title, i.revision) for i in items] == [("one", 0), ("one revised", 1)]
    assert await metric(redis, "newsingest_feed_revisions|outcome=enqueued") == 1
    assert await metric(redis, "newsingest_feed_revisions|outcome=limited") == 1
    assert 'newsingest_feed_revisions_total{outcome="limited"} 1.0' in text


async def test_websub_unknown_or_denied_subscription(redis: Any, api: str) -> None:
    """A challenge for a topic we never asked about is refused; denial falls back to polling."""
    async with aiohttp.ClientSession() as s:
        challenge = {"hub.mode": "subscribe", "hub.topic": "x", "hub.challenge": "c"}
        async with s.get(api + "/websub/nope", params=challenge) as r:
            assert r.status == 404
        await redis.hset(
            keys.websub("f1"), mapping={"topic": "t", "state": "pending", "feed": "http://x/"}
        )
        await redis.hset(keys.feed_state_by_id("f1"), "mode", "push")
        async with s.get(api + "/websub/f1", params={"hub.mode": "denied", "hub.topic": "t"}) as r:
            assert r.status == 200
    assert await redis.hget(keys.feed_state_by_id("f1"), "mode") == "poll"


def test_signature_check() -> None:
    """sha1/sha256 signatures verify; a wrong secret, method or empty header do not."""
    body = b"<rss/>"
    good = hmac.new(b"s3", body, hashlib.sha1).hexdigest()
    assert signature_ok("s3", body, f"sha1={good}")
    assert not signature_ok("other", body, f"sha1={good}")
    assert not signature_ok("s3", body, f"md5={good}") and not signature_ok("s3", body, "")


async def test_feeds_file_adds_what_redis_lacks_at_every_start(
    redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A restart with an edited feeds file adds its new feeds, leaves listed ones as they are
    (a paused feed stays paused), never removes one added through the API, and says so."""
    registry = FeedRegistry(redis)
    first = [FeedSpec("http://a.example/rss", "A"), FeedSpec("http://b.example/rss", "B")]
    assert await registry.seed(first) == 2
    await registry.add("http://api.example/rss", "added by the API")
    await redis.hset(keys.feed_state("http://a.example/rss"), "paused", "1")
    edited = [*first, FeedSpec("http://c.example/rss", "C")]
    caplog.clear()
    with caplog.at_level("INFO", logger="service.poll.registry"):
        assert await registry.seed(edited) == 1
    assert "feeds.file: 1 added, 2 known, 1 only in Redis" in caplog.messages
    listed = {f.url for f in await registry.specs()}
    assert listed == {f.url for f in edited} | {"http://api.example/rss"}
    assert await redis.hget(keys.feed_state("http://a.example/rss"), "paused") == "1"
    assert await redis.zscore(keys.FEED_DUE, keys.feed_id("http://c.example/rss")) is not None


async def test_a_feed_listed_but_never_scheduled_is_made_due_at_start(
    redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An add cut off between listing and scheduling (as an older release could be, by a Redis
    connection reset at start-up) left a feed listed but never due: the next start would take
    it as known and it would never be polled. add() is now one script; seed() repairs such a
    feed, and leaves alone one that is paused or held by a poller."""
    registry = FeedRegistry(redis)
    urls = ["http://orphan.example/rss", "http://held.example/rss", "http://paused.example/rss"]
    for url in urls:
        await redis.hset(keys.FEED_LIST, keys.feed_id(url), url)  # listed, nothing more
    await redis.zadd(keys.FEED_LEASES, {keys.feed_id(urls[1]): 9e9})
    await redis.hset(keys.feed_state(urls[2]), "paused", "1")
    with caplog.at_level("WARNING", logger="service.poll.registry"):
        assert await registry.seed([FeedSpec(u) for u in urls]) == 0
    assert "feeds: 1 listed but never due (an interrupted add), now due" in caplog.messages
    due = await redis.zrange(keys.FEED_DUE, 0, -1)
    assert due == [keys.feed_id(urls[0])]
    state = await redis.hgetall(keys.feed_state(urls[0]))
    assert state["url"] == urls[0] and state["host"] == "orphan.example"
    # add() lists, describes and schedules in one step.
    assert await registry.add("http://new.example/rss", "New")
    assert await redis.zscore(keys.FEED_DUE, keys.feed_id("http://new.example/rss")) is not None
    assert not await registry.add("http://new.example/rss")
    assert await redis.hget(keys.feed_state("http://new.example/rss"), "title") == "New"
