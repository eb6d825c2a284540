"""Test helpers: a local site, feeds and pages, and running the daemon in-process."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from service import daemon
from service.config import Settings, load
from service.redisconn import connect
from workers import keys
from workers.feeds import FeedSpec

DATA = Path(__file__).parent / "data"
SEEDS = Path(__file__).parent.parent / "seeds"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class LocalSite:
    """An aiohttp site on 127.0.0.1 whose routes tests set and change while it runs."""

    routes: dict[str, Route] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    base: str = ""

    def url(self, path: str) -> str:
        return self.base + path

    def set(
        self,
        path: str,
        body: bytes | str,
        status: int = 200,
        content_type: str = "text/html",
        **headers: str,
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, status, content_type, dict(headers))
        return self.url(path)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.delay_s:
            await asyncio.sleep(route.delay_s)
        etag = route.headers.get("ETag")
        if etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=route.body,
            status=route.status,
            headers=route.headers,
            content_type=route.content_type,
        )


@contextlib.asynccontextmanager
async def running_daemon(
    settings: Settings, feeds: list[FeedSpec], roles: tuple[str, ...] = daemon.ROLES
) -> AsyncIterator[None]:
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(daemon.run(settings, roles, feeds=feeds, stop=stop, ready=ready))
    await asyncio.wait_for(ready.wait(), 30)
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@contextlib.asynccontextmanager
async def subscribed(redis_url: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Every message published on the events channel while inside the block."""
    client = connect(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(keys.EVENTS_CHANNEL)
    got: list[dict[str, Any]] = []

    async def pump() -> None:
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if msg:
                got.append(json.loads(msg["data"]))

    task = asyncio.create_task(pump())
    try:
        yield got
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pubsub.aclose()
        await client.aclose()


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 60.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


async def get_json(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        return resp.status, await resp.json(content_type=None)


async def get_text(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        return resp.status, await resp.text()


def news_page(title: str, paragraphs: list[str]) -> str:
    """A plain article page that trafilatura reads like a news site's."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
        f'{html.escape(title)}</title></head><body><nav><a href="/">Home</a></nav>'
        f"<article><h1>{html.escape(title)}</h1>\n{body}\n</article>"
        f"<footer>Copyright test site</footer></body></html>"
    )


async def metric(redis: Any, field: str) -> int:
    return int(await redis.hget(keys.METRICS, field) or 0)


def rss(items: list[tuple[str, str]], title: str = "test feed") -> str:
    """RSS 2.0 with (title, link) items; the link doubles as the guid."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Sat, 10 Oct 2015 12:00:00 GMT</pubDate></item>"
        for t, link in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.org/</link><description>d</description>"
        f"{body}</channel></rss>"
    )


def daemon_settings(redis_url: str, **overrides: object) -> Settings:
    """Settings for a daemon under test: our Redis, loopback opened, short timings."""
    s = load(None, {})
    s = replace(
        s,
        redis=replace(s.redis, url=redis_url),
        http=replace(s.http, port=0),
        fetch=replace(s.fetch, allow_networks=("127.0.0.1/32",), timeout_s=5.0),
        feeds=replace(
            s.feeds, interval_s=0.5, backoff_max_s=2.0, min_interval_s=0.1, max_interval_s=1.0
        ),
        # Politeness has its own tests; here it would only serialise the local site.
        politeness=replace(s.politeness, host_concurrency=0, host_rate_per_s=0.0),
        workers=replace(s.workers, count=2, claim_idle_s=2.0, block_ms=200, max_deliveries=3),
    )
    return s
