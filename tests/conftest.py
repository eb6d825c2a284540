"""Shared fixtures: a private redis-server per session and a local aiohttp site per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web

from service.redisconn import EmbeddedRedis, connect
from tests.support import LocalSite


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
