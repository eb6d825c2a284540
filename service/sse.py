"""GET /events/stream: the events log as server-sent events, resumable with Last-Event-ID.

One reader task per API process follows the log (XREAD BLOCK) and hands each entry to every
connected client's bounded queue; a client first catches up from the log after its position
(Last-Event-ID, `since`, or now), then takes live entries from its queue, skipping any it
already sent. A client whose queue overflows (it reads slower than events arrive) is
disconnected and counted; it reconnects with Last-Event-ID and resumes from the log, so it
misses nothing, and the daemon never holds more than `sse.buffer` messages per client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from workers import eventlog, metrics
from workers.errors import ConfigError
from workers.eventlog import EventFilter, LogEntry

log = logging.getLogger(__name__)

READ_BLOCK_MS = 1000  # the reader's XREAD wait; well under the Redis client's socket timeout
CATCH_UP_BATCH = 500


@dataclass(frozen=True, slots=True)
class StreamSettings:
    heartbeat_s: float = 15.0
    buffer: int = 1000  # messages queued per client before it is dropped
    max_clients: int = 1000  # per API process
    retry_ms: int = 2000  # what EventSource waits before reconnecting


@dataclass(frozen=True, slots=True)
class Live:
    """A live entry as handed to every client: its SSE frame is encoded once, not per client."""

    entry: LogEntry
    frame: bytes


@dataclass(eq=False)
class Subscriber:
    """One connected client: its queue, and whether the reader had to give up on it."""

    queue: asyncio.Queue[Live | None]
    transport: Any
    dropped: bool = False


@dataclass(eq=False)
class Fanout:
    """The per-process log reader and the clients it feeds."""

    redis: Any
    settings: StreamSettings
    subscribers: set[Subscriber] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    closed: bool = False
    counting: set[asyncio.Task[None]] = field(default_factory=set)

    def subscribe(self, transport: Any) -> Subscriber:
        sub = Subscriber(asyncio.Queue(self.settings.buffer), transport)
        self.subscribers.add(sub)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._read(), name="sse-reader")
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    async def _read(self) -> None:
        after: str | None = None
        while self.subscribers and not self.closed:
            try:
                if after is None:
                    after = await eventlog.last_id(self.redis)
                entries = await eventlog.read_after(self.redis, after, block_ms=READ_BLOCK_MS)
            except RedisError as e:  # Redis away: clients keep their heartbeats; try again
                log.warning("sse reader error=%r", e)
                await asyncio.sleep(1.0)
                continue
            for entry in entries:
                self._hand_out(entry)
                after = entry.log_id

    def _hand_out(self, entry: LogEntry) -> None:
        live = Live(entry, frame(entry))
        for sub in list(self.subscribers):
            try:
                sub.queue.put_nowait(live)
            except asyncio.QueueFull:
                self._drop(sub)

    def _drop(self, sub: Subscriber) -> None:
        sub.dropped = True
        self.subscribers.discard(sub)
        if sub.transport is not None:
            sub.transport.close()  # a handler blocked writing to this client wakes up failing
        task = asyncio.create_task(metrics.incr(self.redis, "newsingest_sse_clients_dropped"))
        self.counting.add(task)
        task.add_done_callback(self.counting.discard)

    async def close(self) -> None:
        """On shutdown: every client's stream ends, the reader stops."""
        self.closed = True
        for sub in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


FANOUT: web.AppKey[Fanout] = web.AppKey("sse_fanout", Fanout)


def add_routes(app: web.Application, redis: Any, settings: StreamSettings) -> None:
    app[FANOUT] = Fanout(redis, settings)
    app.router.add_get("/events/stream", stream)

    async def close(app: web.Application) -> None:
        await app[FANOUT].close()

    app.on_shutdown.append(close)


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def _options(request: web.Request) -> EventFilter:
    q = request.query
    try:
        return eventlog.make_filter(
            q.get("type"), q.get("country"), q.get("min_confidence"), q.get("kind"), "query"
        )
    except ConfigError as e:
        raise _bad(f"{e.source.removeprefix('query ')}: {e.detail}") from e


async def _start(request: web.Request, redis: Any) -> str:
    resume = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    spec = resume or request.query.get("since") or "now"
    try:
        return eventlog.position_of(spec, await eventlog.last_id(redis))
    except ConfigError as e:
        raise _bad(f"{'Last-Event-ID' if resume else 'since'}: {e.detail}") from e


def frame(entry: LogEntry) -> bytes:
    """One SSE message: the log id, then the message JSON (with its log_id) as one data line."""
    return f"id: {entry.log_id}\ndata: {entry.line()}\n\n".encode()


async def stream(request: web.Request) -> web.StreamResponse:
    """Catch up from the log after the client's position, then follow live, with heartbeats."""
    fanout = request.app[FANOUT]
    settings = fanout.settings
    wanted = _options(request)
    after = await _start(request, fanout.redis)
    if len(fanout.subscribers) >= settings.max_clients or fanout.closed:
        raise web.HTTPServiceUnavailable(
            text=json.dumps({"error": "too many stream clients"}), content_type="application/json"
        )
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # nginx: pass each message on at once
        }
    )
    await resp.prepare(request)
    sub = fanout.subscribe(request.transport)
    try:
        await resp.write(f"retry: {settings.retry_ms}\n: connected\n\n".encode())
        after = await _catch_up(fanout, sub, resp, wanted, after)
        await _follow(sub, resp, wanted, after, settings.heartbeat_s)
    except ConnectionError:
        pass  # the client went away, or was dropped for falling behind
    except RedisError as e:  # the client reconnects with Last-Event-ID and loses nothing
        log.warning("sse stream ended: redis error=%r", e)
    finally:
        fanout.unsubscribe(sub)
    return resp


async def _catch_up(
    fanout: Fanout, sub: Subscriber, resp: web.StreamResponse, wanted: EventFilter, after: str
) -> str:
    while not sub.dropped and not fanout.closed:
        entries = await eventlog.read_after(fanout.redis, after, count=CATCH_UP_BATCH)
        if not entries:
            return after
        for entry in entries:
            if wanted.matches(entry):
                await resp.write(frame(entry))
            after = entry.log_id
    return after


async def _follow(
    sub: Subscriber, resp: web.StreamResponse, wanted: EventFilter, after: str, heartbeat_s: float
) -> None:
    sent = eventlog.id_key(after)
    while not sub.dropped:
        try:
            async with asyncio.timeout(heartbeat_s):  # no extra task per message, as wait_for has
                live = await sub.queue.get()
        except TimeoutError:
            await resp.write(b": heartbeat\n\n")
            continue
        if live is None:
            return
        entry = live.entry
        key = eventlog.id_key(entry.log_id)
        if key <= sent:
            continue  # already sent while catching up
        sent = key
        if wanted.matches(entry):
            await resp.write(live.frame)
