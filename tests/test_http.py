"""The HTTP endpoints on their own: readiness, health per component, parameter errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from service.http import AppState, make_app
from service.redisconn import connect, free_port
from tests.support import get_json
from workers import beats
from workers.store import RollingStore


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(state: AppState) -> str:
        runner = web.AppRunner(make_app(state), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_redis_down_makes_ready_and_health_fail(serve: Any) -> None:
    """With Redis unreachable, /livez stays 200 while /readyz and /healthz answer 503."""
    dead = connect(f"redis://127.0.0.1:{free_port()}/0")
    base = await serve(AppState(dead, RollingStore(dead, 60)))
    assert (await get_json(base + "/livez"))[0] == 200
    assert (await get_json(base + "/readyz"))[0] == 503
    status, body = await get_json(base + "/healthz")
    assert status == 503 and body["redis"]["ok"] is False
    await dead.aclose()


async def test_health_needs_live_workers_and_pollers(serve: Any, redis: Any) -> None:
    """/healthz is 503 until a worker and a poller beat, then 200 with the queue figures."""
    state = AppState(redis, RollingStore(redis, 60))
    base = await serve(state)
    status, body = await get_json(base + "/healthz")
    assert status == 503 and body["workers"] == {"ok": False, "live": 0}
    await beats.record(redis, "worker", "w", {}, ttl_s=10)
    await beats.record(redis, "poller", "p", {}, ttl_s=10)
    status, body = await get_json(base + "/healthz")
    assert status == 200 and body["queue"]["pending"] == 0
    state.draining = True
    assert (await get_json(base + "/readyz"))[0] == 503
    assert (await get_json(base + "/healthz"))[0] == 503


async def test_bad_query_parameters_are_named(serve: Any, redis: Any) -> None:
    """A bad parameter answers 400 naming it; an unknown event id 404."""
    base = await serve(AppState(redis, RollingStore(redis, 60)))
    status, body = await get_json(base + "/events?since=yesterday")
    assert status == 400 and body["error"].startswith("since")
    status, body = await get_json(base + "/events?limit=0")
    assert status == 400 and body["error"].startswith("limit")
    assert (await get_json(base + "/events/nope"))[0] == 404
    status, body = await get_json(base + "/events?since=2015-10-01T00:00:00Z&country=SY")
    assert status == 200 and body == {"count": 0, "events": []}
