"""Events committed through the real store (RollingStore.commit), for the delivery tests and benches.

Each synthetic article carries one event on its own day, so no two merge into one incident and
every commit appends exactly one `created` message to the events log.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from service.redisconn import free_port
from workers import keys
from workers.records import Actor, Article, Event, Location, Source
from workers.store import RollingStore
from workers.webhooks import ID_HEADER, SIGNATURE_HEADER, signature_ok

COUNTRIES = ("SY", "FR", "MX", "ID")
TYPES = (("Battles", "Armed clash"), ("Protests", "Peaceful protest"))
DAY0 = date(2000, 1, 1)


def synthetic(i: int, run: str = "r") -> tuple[Article, Event]:
    """Article and event number `i`: country, type and confidence cycle so filters can be tested."""
    url = f"http://news.example/{run}/{i}"
    etype, sub = TYPES[i % len(TYPES)]
    article = Article(
        key=f"{run}-{i}",
        url=url,
        canonical_url=url,
        text_hash=f"{run}-h{i}",
        title=f"report {i}",
        feed="http://news.example/feed",
        published=None,
        language="en",
        item_id=url,
    )
    event = Event(
        id=f"{run}-e{i}",
        event_type=etype,
        sub_event_type=sub,
        date=(DAY0 + timedelta(days=3 * i)).isoformat(),
        location=Location("Town", "Region", COUNTRIES[i % len(COUNTRIES)], 10.0, 20.0),
        actors=(Actor("group", "actor1"),),
        fatalities=i % 7,
        injured=None,
        summary=f"event {i}",
        confidence=(0.5, 0.9)[i % 2],
        sources=(Source(url),),
    )
    return article, event


async def commit_one(store: RollingStore, i: int, run: str = "r") -> None:
    article, event = synthetic(i, run)
    await store.commit(f"{run}-item-{i}", article, [event], datetime.now(UTC), time.time())


async def commit_paced(
    redis: Any, count: int, per_s: float, run: str = "r", start: int = 0
) -> None:
    """Commit `count` events at about `per_s` a second (as fast as possible when 0)."""
    store = RollingStore(redis, 10 * 365 * 86400.0)
    t0 = time.monotonic()
    for k in range(count):
        if per_s:
            delay = t0 + k / per_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await commit_one(store, start + k, run)


def tail_command(redis_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "service", "tail", "--redis", redis_url, *args]


@dataclass(frozen=True, slots=True)
class KillRun:
    """What `tail --cursor` killed repeatedly wrote, against what the log holds."""

    written: Counter[str]  # log id -> times it appears in the output
    expected: list[str]  # every log id in the log
    kills: int
    final_exit: int | None

    @property
    def missing(self) -> list[str]:
        return [i for i in self.expected if i not in self.written]

    @property
    def repeated(self) -> list[str]:
        return [i for i, n in self.written.items() if n > 1]


async def tail_under_kills(
    redis_url: str, redis: Any, workdir: Path, events: int, kills: int, per_s: float
) -> KillRun:
    """Commit `events` while `tail --cursor` is SIGKILLed `kills` times mid-output, then let it finish.

    Every run appends to one output file (`>> out.jsonl`), the way a user keeps a tail's output.
    Each kill waits until the running tail has written something, then strikes at a random moment.
    """
    out_path, cursor = workdir / "out.jsonl", workdir / "cursor"
    out_path.write_bytes(b"")
    argv = tail_command(redis_url, "--since", "0", "--cursor", str(cursor))
    writer = asyncio.create_task(commit_paced(redis, events, per_s, run="kill"))
    done = 0
    while done < kills:
        size = out_path.stat().st_size
        with open(out_path, "ab") as out:
            proc = subprocess.Popen(argv, stdout=out)
        deadline = time.monotonic() + 20
        while out_path.stat().st_size == size and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        await asyncio.sleep(random.uniform(0, 0.1))
        proc.kill()
        proc.wait()
        done += 1
    await writer
    with open(out_path, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out)
    started = time.monotonic()
    total = await redis.xlen(keys.EVENTS_STREAM)
    deadline = time.monotonic() + 60
    while _lines(out_path) < total and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    # Let it settle first: SIGINT is to end a running tail, not one still importing modules.
    await asyncio.sleep(max(0.0, started + 1.5 - time.monotonic()))
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=10)
    written: Counter[str] = Counter(
        json.loads(line)["log_id"] for line in out_path.read_bytes().splitlines()
    )
    expected = [str(eid) for eid, _ in await redis.xrange(keys.EVENTS_STREAM)]
    return KillRun(written, expected, done, code)


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n")


SECRET = "hook-secret"


@dataclass
class Receiver:
    """A webhook target on 127.0.0.1 that fails a share of requests and can be taken down."""

    fail_rate: float = 0.0
    status_when_failing: int = 500
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    accepted: list[str] = field(default_factory=list)  # idempotency ids answered 2xx
    attempts: int = 0
    bad_signatures: int = 0
    port: int = 0
    runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        if not signature_ok(SECRET, body, request.headers.get(SIGNATURE_HEADER, "")):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.rng.random() < self.fail_rate:
            return web.Response(status=self.status_when_failing)
        self.accepted.append(request.headers[ID_HEADER])
        return web.Response(status=204)

    async def up(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        self.port = self.port or free_port()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self.runner:
            await self.runner.cleanup()
            self.runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"
