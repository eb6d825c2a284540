"""Shared fixtures: a private redis-server per session and a local aiohttp site per test."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
from aiohttp import web

from service.config import Settings, load
from service.redisconn import EmbeddedRedis, connect

DATA = Path(__file__).parent / "data"
SEEDS = Path(__file__).parent.parent / "seeds"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of our own on a free port; never a Redis we did not start."""
    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis")), appendonly=False)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[object]:
    client = connect(redis_url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


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

    def set(self, path: str, body: bytes | str, status: int = 200,
            content_type: str = "text/html", **headers: str) -> str:
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
        return web.Response(body=route.body, status=route.status, headers=route.headers,
                            content_type=route.content_type)


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    local = LocalSite()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", local.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    local.base = f"http://127.0.0.1:{tcp._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield local
    await runner.cleanup()


def rss(items: list[tuple[str, str]], title: str = "test feed") -> str:
    """RSS 2.0 with (title, link) items; the link doubles as the guid."""
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
                   f"<pubDate>Sat, 10 Oct 2015 12:00:00 GMT</pubDate></item>" for t, link in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>http://example.org/</link><description>d</description>"
            f"{body}</channel></rss>")


def test_settings(redis_url: str, **overrides: object) -> Settings:
    """Settings for a daemon under test: our Redis, loopback opened, short timings."""
    s = load(None, {})
    s = replace(s,
                redis=replace(s.redis, url=redis_url),
                http=replace(s.http, port=0),
                fetch=replace(s.fetch, allow_networks=("127.0.0.1/32",), timeout_s=5.0),
                feeds=replace(s.feeds, interval_s=0.5, backoff_max_s=2.0),
                workers=replace(s.workers, count=2, claim_idle_s=2.0, block_ms=200,
                                max_deliveries=3))
    return s
