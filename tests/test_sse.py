"""GET /events/stream: live events, filters, Last-Event-ID resume, heartbeats, slow clients dropped."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from service.http import AppState, make_app
from service.redisconn import free_port
from service.sse import StreamSettings
from tests.delivery import commit_paced
from tests.support import daemon_settings, get_json, metric, running_daemon, wait_until
from workers import keys
from workers.store import RollingStore


@dataclass
class Client:
    """An SSE reader: frames as (id, message) pairs, and the comment lines it saw."""

    frames: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    status: int = 0

    async def read(self, url: str, headers: dict[str, str] | None = None) -> None:
        async with aiohttp.ClientSession() as s, s.get(url, headers=headers) as resp:
            self.status = resp.status
            if resp.status != 200:
                return
            frame: dict[str, str] = {}
            async for raw in resp.content:
                line = raw.decode().rstrip("\n")
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                elif line:
                    name, _, value = line.partition(": ")
                    frame[name] = value
                elif "data" in frame:
                    self.frames.append((frame["id"], json.loads(frame["data"])))
                    frame = {}

    def ids(self) -> list[str]:
        return [m["event"]["id"] for _, m in self.frames]


@pytest.fixture
async def api(redis: Any) -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(**stream: Any) -> str:
        state = AppState(redis, RollingStore(redis, 60), stream=StreamSettings(**stream))
        runner = web.AppRunner(make_app(state), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def _until(client: Client, n: int) -> None:
    async def enough() -> bool:
        return len(client.frames) >= n

    await wait_until(enough, 20, f"{n} frames")


async def test_live_events_with_filters(api: Any, redis: Any) -> None:
    """Events committed after connecting arrive with id = log id; filters as query parameters."""
    base = await api()
    every, some = Client(), Client()
    tasks = [
        asyncio.create_task(every.read(base + "/events/stream")),
        asyncio.create_task(some.read(base + "/events/stream?country=SY,fr&type=battles")),
    ]
    await wait_until(lambda: _connected(every, some), 10, "both connected")
    await commit_paced(redis, 8, 0)
    await _until(every, 8)
    await _until(some, 2)
    log_ids = [str(i) for i, _ in await redis.xrange(keys.EVENTS_STREAM)]
    assert [i for i, _ in every.frames] == log_ids
    assert all(m["log_id"] == i and m["kind"] == "created" for i, m in every.frames)
    assert every.ids() == [f"r-e{i}" for i in range(8)]
    assert some.ids() == ["r-e0", "r-e4"]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _connected(*clients: Client) -> bool:
    return all("connected" in c.comments for c in clients)


async def test_last_event_id_resumes_without_gap_or_repeat(api: Any, redis: Any) -> None:
    """A reconnect with Last-Event-ID gets exactly the events committed after that id."""
    base = await api()
    await commit_paced(redis, 5, 0)
    first = Client()
    task = asyncio.create_task(first.read(base + "/events/stream?since=0"))
    await _until(first, 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    last = first.frames[2][0]  # as if the connection broke after the third event
    await commit_paced(redis, 3, 0, start=5)
    second = Client()
    task = asyncio.create_task(second.read(base + "/events/stream", {"Last-Event-ID": last}))
    await _until(second, 5)
    await commit_paced(redis, 1, 0, start=8)
    await _until(second, 6)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert second.ids() == [f"r-e{i}" for i in range(3, 9)]
    bad = Client()
    await bad.read(base + "/events/stream", {"Last-Event-ID": "yesterday"})
    assert bad.status == 400


async def test_heartbeats_on_an_idle_stream(api: Any) -> None:
    """With nothing to send, a comment line arrives every heartbeat_s."""
    base = await api(heartbeat_s=0.2)
    client = Client()
    task = asyncio.create_task(client.read(base + "/events/stream"))
    await wait_until(lambda: _count(client.comments, "heartbeat", 3), 10, "three heartbeats")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _count(items: list[str], value: str, n: int) -> bool:
    return items.count(value) >= n


async def test_slow_client_is_dropped_others_unharmed(api: Any, redis: Any) -> None:
    """A client that stops reading is disconnected once its buffer fills; the API serves on."""
    base = await api(buffer=50)
    port = int(base.rsplit(":", 1)[1])
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(("127.0.0.1", port))
    stuck.sendall(b"GET /events/stream HTTP/1.1\r\nHost: x\r\n\r\n")
    reader = Client()
    task = asyncio.create_task(reader.read(base + "/events/stream"))
    await wait_until(lambda: _connected(reader), 10, "reader connected")
    # Large messages (as the commit script writes them) fill the stuck client's socket fast.
    body = json.dumps({"kind": "created", "event": {"id": "big", "summary": "x" * 40_000}})
    for _ in range(200):
        await redis.xadd(keys.EVENTS_STREAM, {"kind": "created", "id": "big", "message": body})
    await wait_until(lambda: _dropped(redis), 20, "the stuck client counted as dropped")
    await _until(reader, 200)
    assert (await get_json(base + "/livez"))[0] == 200
    stuck.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _dropped(redis: Any) -> bool:
    return await metric(redis, "newsingest_sse_clients_dropped") == 1


async def test_daemon_stops_promptly_with_streams_open(redis_url: str, redis: Any) -> None:
    """Open streams end when the daemon stops; they do not hold up its shutdown."""
    settings = replace(
        daemon_settings(redis_url), http=replace(daemon_settings(redis_url).http, port=free_port())
    )
    client = Client()
    async with running_daemon(settings, [], roles=("api",)):
        base = f"http://127.0.0.1:{settings.http.port}"
        task = asyncio.create_task(client.read(base + "/events/stream"))
        await wait_until(lambda: _connected(client), 10, "stream connected")
        await commit_paced(redis, 1, 0)
        await _until(client, 1)
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 5.0
    await asyncio.wait_for(task, 5)  # the stream ended with the daemon
