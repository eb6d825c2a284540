"""make chaos: faults injected into a real daemon while articles flow, and every article and
event counted.

Each scenario runs on a private redis-server with its append-only file (appendfsync everysec),
the daemon as a child process (`python -m service run`, all roles, two worker processes) and a
local site serving feeds whose entries appear at a steady rate, each linking a page of its
own. A subscriber on the events channel and a reader of the events log count what is
published; the log reader goes offline for a while (T6) and must catch up.

  T1  kill -9 a random worker process every 2-8 s
  T2  SIGTERM the whole daemon and start it again, repeatedly
  T3  kill -9 redis-server and restart it on the same data, repeatedly
  T4  a TCP proxy between daemon and Redis: 50-500 ms per chunk, connections reset at random
  T5  30% of feed and page responses hostile (slow, truncated, 500, gzip bomb, redirect loop)
  T6  (in every scenario but T7) the events-log reader offline, then catching up
  T8  Redis Cluster (three masters, a replica of newsingest's master): kill -9 the master of
      newsingest's slot, repeatedly; its replica takes over; the killed node is started again
      and rejoins as the new master's replica (needs redis-server 7+, else skipped)
  T7  a soak, no faults: articles at a steady --rate for --duration seconds with a short
      store.window_s (--window) so that trimming must bound Redis; every SAMPLE_EVERY_S the
      RSS of each process (daemon, workers, sandbox children, redis-server, from /proc) and
      Redis used_memory, and /healthz asked HEALTHZ_PER_S times a second throughout
      (store.trim_every_s a tenth of the window; the flow starts once /healthz is 200).
      Judged: each RSS last vs its first sample after the warm-up (a fifth of the run, at
      most 60 s) within 15%; used_memory after the second window at most 15% over its peak
      in it; /healthz p99 under 50 ms and every answer 200. The store fills during the first
      window, so redis-server's RSS is also given against its first sample after one window.

Per scenario: articles in (entries the feeds listed), committed (article records in the store),
dead-lettered (refused by design, e.g. a gzip bomb over fetch.max_body_bytes, with its error),
lost (neither: the target is 0), events published (events-log entries), duplicates (one event
version published twice, on the channel or in the log), messages the subscriber missed, the
log reader's catch-up, and recovery times (fault -> /readyz 200, or -> a new worker heartbeat).

While the store trims (T7), articles and events leave Redis after the window, so committed
articles are collected by scanning the article records every few seconds (far inside the
window), and events published are the distinct events the log reader saw.

Usage: python bench/chaos.py [--scenarios T1,T2,T3,T4,T5] [--articles N] [--duration S]
       python bench/chaos.py --scenarios T7 --duration 1800 [--rate 5] [--window 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_pipeline import _children, _label, _status_kb, percentile  # noqa: E402
from service.redisconn import EmbeddedRedis, connect, free_port  # noqa: E402
from tests import cluster as local_cluster  # noqa: E402
from workers import beats, keys  # noqa: E402

TOWNS = ["Goma", "Kano", "Maiduguri", "Mogadishu", "Aleppo", "Kabul", "Sanaa", "Bamako"]
WORDS = [
    "market",
    "council",
    "river",
    "bridge",
    "harvest",
    "school",
    "clinic",
    "road",
    "convoy",
    "village",
    "border",
    "rain",
    "season",
    "office",
    "report",
    "week",
    "family",
    "truck",
    "field",
    "station",
    "district",
    "water",
    "power",
    "court",
]
FEEDS = 8
FEED_WINDOW = 60  # entries a feed lists (newest first)
SAMPLE_EVERY_S = 10.0  # T7: RSS and Redis memory
HEALTHZ_PER_S = 10.0  # T7: /healthz requests a second
COMMIT_SCAN_S = 5.0  # T7: article records collected this often (they live store.window_s)
RSS_FLAT = 0.15  # T7 targets: RSS last vs first within 15%,
HEALTHZ_P99_MS = 50.0  # /healthz p99 under 50 ms,
REDIS_BOUND = 0.15  # used_memory after the second window at most 15% over its level in it


def article_html(n: int) -> bytes:
    rng = random.Random(n)
    town = TOWNS[n % len(TOWNS)]
    filler = " ".join(
        " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(6)
    )
    text = (
        f"<p>Gunmen killed {n % 40 + 3} people in an attack on a market in {town} on "
        f"Monday, officials said.</p><p>Article {n}. {filler}</p>"
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Attack {n}</title>'
        f"</head><body><article><h1>Attack {n} in {town}</h1>{text}</article></body></html>"
    ).encode()


@dataclass
class Site:
    """Feeds whose entries appear as `released` grows; optionally hostile answers."""

    released: int = 0
    hostile: float = 0.0
    base: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    hostile_served: int = 0
    feed_hits: Counter[int] = field(default_factory=Counter)  # feed number -> requests

    def feed(self, f: int) -> bytes:
        ids = [n for n in range(self.released) if n % FEEDS == f][-FEED_WINDOW:]
        items = "".join(
            f"<item><title>Attack {n}</title><link>{self.base}/a/{n}.html</link>"
            f"<guid>{self.base}/a/{n}.html</guid></item>"
            for n in reversed(ids)
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>feed {f}</title>'
            f"<link>{self.base}/</link><description>d</description>{items}</channel></rss>"
        ).encode()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/feed") and path.endswith(".xml"):
            self.feed_hits[int(path[5:-4])] += 1
            body, kind = self.feed(int(path[5:-4])), "application/rss+xml"
        elif path.startswith("/a/"):
            body, kind = article_html(int(path[3:].split(".")[0])), "text/html"
        else:
            return web.Response(status=404)
        if self.hostile and self.rng.random() < self.hostile:
            self.hostile_served += 1
            return await self._hostile(request, body)
        return web.Response(body=body, content_type=kind)

    async def _hostile(self, request: web.Request, body: bytes) -> web.StreamResponse:
        kind = self.rng.choice(["slow", "truncated", "500", "bomb", "loop"])
        if kind == "slow":
            await asyncio.sleep(8.0)  # past fetch.timeout_s
            return web.Response(body=body, content_type="text/html")
        if kind == "500":
            return web.Response(status=500, text="server error")
        if kind == "loop":
            raise web.HTTPFound(request.path)
        if kind == "bomb":
            bomb = gzip.compress(b"\0" * (8 << 20), 9)  # 8 MiB of zeros, over the 4 MiB cap
            return web.Response(
                body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}
            )
        resp = web.StreamResponse(headers={"Content-Length": str(len(body))})
        resp.content_type = "text/html"
        await resp.prepare(request)
        await resp.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.close()  # truncated: the connection drops mid-body
        return resp


@dataclass
class Tally:
    name: str
    articles_in: int = 0
    committed: int = 0
    dead: int = 0
    lost: int = 0
    events_published: int = 0
    duplicates_channel: int = 0
    duplicates_log: int = 0
    missed_on_channel: int = 0
    log_reader_caught_up: bool = False
    faults: int = 0
    dead_errors: list[str] = field(default_factory=list)
    recovery_s: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def row(self) -> str:
        rec = f"{max(self.recovery_s):.1f}" if self.recovery_s else "-"
        return (
            f"| {self.name} | {self.faults} | {self.articles_in} | {self.committed} | {self.dead} "
            f"| {self.lost} | {self.events_published} | {self.duplicates_channel} / "
            f"{self.duplicates_log} | {self.missed_on_channel} | "
            f"{'yes' if self.log_reader_caught_up else 'NO'} | {rec} | {self.seconds:.0f} |"
        )


HEADER = (
    "| scenario | faults | articles in | committed | dead-lettered | lost | events published "
    "| duplicates (channel / log) | missed on channel | log reader caught up "
    "| worst recovery s | run s |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
)


class FlakyProxy:
    """T4: a TCP proxy between the daemon and Redis that delays every chunk 50-500 ms and
    resets connections at random, while `active`."""

    def __init__(self, target_port: int, reset_p: float = 0.02) -> None:
        self.target_port = target_port
        self.reset_p = reset_p
        self.active = True
        self.resets = 0
        self.rng = random.Random(4)
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server:
            self._server.close()

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pipe(reader, up_w, writer), self._pipe(up_r, writer, up_w), return_exceptions=True
        )
        for w in (writer, up_w):
            with contextlib.suppress(Exception):
                w.close()

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, back: asyncio.StreamWriter
    ) -> None:
        # A reset (ours, or the peer's) ends both directions; the error is the expected end,
        # not a failure to report ("Task exception was never retrieved" on every reset).
        with contextlib.suppress(ConnectionError, OSError):
            while data := await src.read(65536):
                if self.active:
                    await asyncio.sleep(self.rng.uniform(0.05, 0.5))
                    if self.rng.random() < self.reset_p:
                        self.resets += 1
                        dst.transport.abort()
                        back.transport.abort()
                        return
                dst.write(data)
                await dst.drain()
            dst.close()


class Harness:
    """A private Redis (AOF everysec), the local site, the daemon as a child process, and
    the two event readers."""

    def __init__(
        self,
        workdir: Path,
        hostile: float = 0.0,
        log_offline_s: float = 0.0,
        flaky_network: bool = False,
        store_env: dict[str, str] | None = None,
        cluster: bool = False,
    ) -> None:
        self.workdir = workdir
        self.cluster = local_cluster.LocalCluster(str(workdir / "cluster"), node_timeout_ms=2000)
        self.use_cluster = cluster
        self.store_env = store_env or {}
        self.committed_seen: set[int] = set()
        self.flaky_network = flaky_network
        self.proxy: FlakyProxy | None = None
        self.site = Site(hostile=hostile)
        self.redis_server = EmbeddedRedis(str(workdir / "redis"), appendonly=True)
        self.http_port = free_port()
        self.daemon: asyncio.subprocess.Process | None = None
        self.channel: list[tuple[str, int]] = []
        self.log_seen: list[tuple[str, int]] = []
        self.log_offline_s = log_offline_s
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._daemon_log = open(workdir / "daemon.log", "ab")  # noqa: SIM115 (closed on exit)

    async def __aenter__(self) -> Harness:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self.site.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        tcp = web.TCPSite(self._runner, "127.0.0.1", 0)
        await tcp.start()
        port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.site.base = f"http://127.0.0.1:{port}"
        if self.use_cluster:
            self.redis_url = await asyncio.to_thread(self.cluster.start, True)
        else:
            self.redis_url = self.redis_server.start()
        self.redis = connect(self.redis_url)
        if self.flaky_network:
            self.proxy = FlakyProxy(self.redis_server.port)
            await self.proxy.start()
        self._write_config()
        await self.start_daemon()
        self._tasks = [
            asyncio.create_task(self._subscribe()),
            asyncio.create_task(self._read_log()),
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.stop_daemon()
        await self.redis.aclose()
        if self.proxy:
            await self.proxy.close()
        self.redis_server.stop()
        self.cluster.stop()
        if self._runner:
            await self._runner.cleanup()
        self._daemon_log.close()

    def _write_config(self) -> None:
        feeds = "".join(f'<outline xmlUrl="{self.site.base}/feed{f}.xml"/>' for f in range(FEEDS))
        (self.workdir / "feeds.opml").write_text(f'<opml version="2.0"><body>{feeds}</body></opml>')
        (self.workdir / "chaos.toml").write_text(
            "[feeds]\ninterval_s = 1.0\nmin_interval_s = 0.5\nmax_interval_s = 2.0\n"
            "backoff_max_s = 2.0\n"
            "[workers]\ncount = 2\nclaim_idle_s = 3.0\nblock_ms = 200\n"
            "[fetch]\ntimeout_s = 5.0\nmax_body_bytes = 4194304\n"
            "[politeness]\nhost_concurrency = 0\nhost_rate_per_s = 0.0\nrobots = false\n"
            "[store]\ntrim_every_s = 3600.0\n"
            '[log]\nlevel = "WARNING"\n'
        )

    async def start_daemon(self) -> None:
        env = {
            **os.environ,
            "NEWSINGEST_REDIS_URL": (
                f"redis://127.0.0.1:{self.proxy.port}/0" if self.proxy else self.redis_url
            ),
            "NEWSINGEST_HTTP_PORT": str(self.http_port),
            "NEWSINGEST_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
            **self.store_env,
        }
        self.daemon = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "service",
            "run",
            "--config",
            str(self.workdir / "chaos.toml"),
            "--feeds",
            str(self.workdir / "feeds.opml"),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self._daemon_log,
        )

    async def stop_daemon(self) -> tuple[int, float]:
        """SIGTERM; the exit status and seconds it took."""
        if self.daemon is None or self.daemon.returncode is not None:
            return 0, 0.0
        started = time.monotonic()
        self.daemon.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.daemon.wait(), 20)
        except TimeoutError:
            self.daemon.kill()
            code = await self.daemon.wait()
        return code, time.monotonic() - started

    async def ready(self, timeout_s: float = 60.0, path: str = "/readyz") -> float:
        """Seconds until /readyz (or `path`) answers 200."""
        started = time.monotonic()
        url = f"http://127.0.0.1:{self.http_port}{path}"
        async with aiohttp.ClientSession() as s:
            while time.monotonic() - started < timeout_s:
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with s.get(url, timeout=aiohttp.ClientTimeout(total=1)) as r:
                        if r.status == 200:
                            return time.monotonic() - started
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{path} not 200 within {timeout_s}s")

    async def _subscribe(self) -> None:
        while True:  # reconnects after a Redis restart; what it misses meanwhile, the log has
            client = connect(self.redis_url)
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(keys.EVENTS_CHANNEL)
                while True:
                    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg:
                        event = json.loads(msg["data"])["event"]
                        self.channel.append((event["id"], int(event["version"])))
            except (OSError, ConnectionError, aiohttp.ClientError, Exception):
                await asyncio.sleep(0.2)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def _read_log(self) -> None:
        last = "0-0"
        offline_from = time.monotonic() + 5.0
        while True:
            if self.log_offline_s and offline_from <= time.monotonic():
                await asyncio.sleep(self.log_offline_s)  # T6: the reader is away
                self.log_offline_s = 0.0
            try:
                reply = await self.redis.xread({keys.EVENTS_STREAM: last}, count=500, block=500)
            except Exception:
                await asyncio.sleep(0.2)
                continue
            for _, entries in reply or []:
                for entry_id, fields in entries:
                    last = entry_id
                    self.log_seen.append(_log_event(fields))

    async def worker_pids(self) -> list[int]:
        """Pids of workers with a live heartbeat ([] while Redis is down)."""
        try:
            return [int(b["pid"]) for b in (await beats.live(self.redis, "worker")).values()]
        except Exception:
            return []

    async def release(self, total: int, duration_s: float, stop: asyncio.Event) -> None:
        step = duration_s / max(total, 1)
        for n in range(1, total + 1):
            self.site.released = n
            await asyncio.sleep(step)
        stop.set()

    async def settle(self, timeout_s: float) -> None:
        """Wait until every released article is committed or dead-lettered, or timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.store_env:  # records leave after the window: count those gathered
                    self.committed_seen |= await self.committed_now()
                    done = len(self.committed_seen)
                else:
                    done = await self.redis.hlen(keys.ARTICLE_DATA)
                dead = await self.redis.xlen(keys.DEAD_STREAM)
                if done + dead >= self.site.released:
                    break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # the readers take the last messages

    async def committed_after(self, count: int, timeout_s: float = 120.0) -> None:
        """Wait until more than `count` article records are stored (Redis may be away)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if await self.redis.hlen(keys.ARTICLE_DATA) > count:
                    return
            await asyncio.sleep(0.1)

    async def committed_now(self) -> set[int]:
        """Numbers of the articles whose records are in the store now."""
        records = await self.redis.hvals(keys.ARTICLE_DATA)
        urls = {json.loads(r)["url"] for r in records}
        return {int(u.rsplit("/", 1)[1].split(".")[0]) for u in urls if "/a/" in u}

    async def collect_committed(self, stop: asyncio.Event) -> None:
        """T7: the store trims records after the window, so gather them while they are there."""
        while not stop.is_set():
            with contextlib.suppress(Exception):
                self.committed_seen |= await self.committed_now()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), COMMIT_SCAN_S)

    async def tally(self, name: str) -> Tally:
        t = Tally(name)
        t.articles_in = self.site.released
        committed = await self.committed_now() | self.committed_seen
        dead_urls = set()
        for _, fields in await self.redis.xrange(keys.DEAD_STREAM):
            with contextlib.suppress(Exception):
                dead_urls.add(json.loads(fields["item"])["url"])
                t.dead_errors.append(fields.get("error", "")[:160])
        dead = {int(u.rsplit("/", 1)[1].split(".")[0]) for u in dead_urls} - committed
        t.committed = len(committed)
        t.dead = len(dead)
        lost = set(range(t.articles_in)) - committed - dead
        t.lost = len(lost)
        if lost:
            await self._explain(name, lost)
        log = await self.redis.xrange(keys.EVENTS_STREAM)
        trimming = bool(self.store_env)  # the log keeps only the window: count what was read
        t.events_published = len(set(self.log_seen)) if trimming else len(log)
        t.duplicates_channel = len(self.channel) - len(set(self.channel))
        t.duplicates_log = len(self.log_seen) - len(set(self.log_seen))
        t.missed_on_channel = len(set(self.log_seen) - set(self.channel))
        if trimming:  # every entry still in the log was read
            t.log_reader_caught_up = {_log_event(f) for _, f in log} <= set(self.log_seen)
        else:
            t.log_reader_caught_up = len(self.log_seen) == len(log)
        return t

    async def _explain(self, name: str, lost: set[int]) -> None:
        """Where lost articles come from: per feed, how many, its polls and its state."""
        by_feed = Counter(n % FEEDS for n in lost)
        for f, count in sorted(by_feed.items()):
            state = await self.redis.hgetall(keys.feed_state(f"{self.site.base}/feed{f}.xml"))
            brief = {k: state.get(k) for k in ("paused", "errors", "last_outcome", "last_error")}
            print(
                f"  {name} lost: feed{f} {count} articles, {self.site.feed_hits[f]} polls, {brief}",
                file=sys.stderr,
                flush=True,
            )


def _log_event(fields: dict[str, str]) -> tuple[str, int]:
    """(event id, version) of an events-log entry."""
    event = json.loads(fields.get("message") or fields.get("data") or "{}")
    event = event.get("event", event)
    return event.get("id", ""), int(event.get("version", 0))


async def kill_workers(h: Harness, stop: asyncio.Event, tally: Tally, rng: random.Random) -> None:
    """T1: kill -9 a random worker every 2-8 s; recovery = until a new worker beats."""
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(2.0, 8.0))
        pids = await h.worker_pids()
        if not pids or stop.is_set():
            continue
        victim = rng.choice(pids)
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        tally.faults += 1
        killed = time.monotonic()
        while time.monotonic() - killed < 60:
            live = await h.worker_pids()
            if victim not in live and len(live) >= 2:
                break
            await asyncio.sleep(0.2)
        tally.recovery_s.append(time.monotonic() - killed)


async def restart_daemon(h: Harness, stop: asyncio.Event, tally: Tally, every_s: float) -> None:
    """T2: SIGTERM the whole daemon (it must exit 0 within 10 s), start it again."""
    while not stop.is_set():
        await asyncio.sleep(every_s)
        if stop.is_set():
            break
        code, took = await h.stop_daemon()
        if code != 0 or took > 10.0:
            print(f"  T2: daemon exit status {code} after {took:.1f}s", flush=True)
        tally.faults += 1
        await h.start_daemon()
        tally.recovery_s.append(await h.ready())


async def restart_redis(h: Harness, stop: asyncio.Event, tally: Tally, every_s: float) -> None:
    """T3: kill -9 redis-server, restart it on the same port and data; recovery = /readyz."""
    while not stop.is_set():
        await asyncio.sleep(every_s)
        if stop.is_set() or h.redis_server.proc is None:
            break
        h.redis_server.proc.kill()
        h.redis_server.proc.wait()
        h.redis_server.stop()  # closes the dead server's stderr pipe
        tally.faults += 1
        await asyncio.sleep(1.0)
        await asyncio.to_thread(h.redis_server.start, 30.0)
        tally.recovery_s.append(await h.ready())


async def fail_over(h: Harness, stop: asyncio.Event, tally: Tally, every_s: float) -> None:
    """T8: kill -9 the cluster master holding newsingest's slot; recovery = an article
    committed after the kill and /readyz 200 (the replica promoted). Then the killed node is
    started again and rejoins as the new master's replica, ready for the next round."""
    while not stop.is_set():
        await asyncio.sleep(every_s)
        if stop.is_set():
            break
        victim = await asyncio.to_thread(h.cluster.master_of_tag)
        before = await h.redis.hlen(keys.ARTICLE_DATA)
        h.cluster.kill(victim)
        tally.faults += 1
        killed = time.monotonic()
        await h.committed_after(before)
        await h.ready()
        tally.recovery_s.append(time.monotonic() - killed)
        await asyncio.to_thread(h.cluster.restart, victim)


async def run_scenario(
    name: str, articles: int, duration_s: float, workdir: Path, log_offline_s: float = 0.0
) -> Tally:
    """One scenario, or several faults at once ("T1+T3")."""
    started = time.monotonic()
    parts = name.split("+")
    rng = random.Random(name)
    hostile = 0.3 if "T5" in parts else 0.0
    async with Harness(
        workdir, hostile, log_offline_s, flaky_network="T4" in parts, cluster="T8" in parts
    ) as h:
        await h.ready()
        stop = asyncio.Event()
        tally = Tally(name)
        faults = {
            "T1": lambda: kill_workers(h, stop, tally, rng),
            "T2": lambda: restart_daemon(h, stop, tally, max(duration_s / 10, 3.0)),
            "T3": lambda: restart_redis(h, stop, tally, max(duration_s / 5, 4.0)),
            "T8": lambda: fail_over(h, stop, tally, max(duration_s / 4, 10.0)),
        }
        tasks = [asyncio.create_task(h.release(articles, duration_s, stop))]
        tasks += [asyncio.create_task(faults[p]()) for p in parts if p in faults]
        await asyncio.gather(*tasks)
        if h.proxy:  # T4 lasts while articles flow; then the network heals
            h.proxy.active = False
            tally.faults += h.proxy.resets
        await h.settle(timeout_s=max(60.0, duration_s))
        result = await h.tally(name)
        result.faults = tally.faults + h.site.hostile_served
        result.recovery_s = tally.recovery_s
    result.seconds = time.monotonic() - started
    return result


@dataclass
class Soak:
    """T7's samples: RSS per process, Redis used_memory, work queue XLEN, /healthz latencies."""

    window_s: float
    warmup_s: float
    rss_kb: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    redis_bytes: list[tuple[float, int]] = field(default_factory=list)
    queue_len: list[tuple[float, int]] = field(default_factory=list)  # XLEN of the work queue
    healthz_ms: list[float] = field(default_factory=list)
    healthz_failed: list[tuple[float, str]] = field(default_factory=list)  # (t, why)

    def rss_rows(self) -> list[str]:
        """Per process: first sample after warm-up, last, max, last vs first; and last vs the
        first sample after one window (the store fills during the first window)."""
        rows = []
        for name, samples in self.rss_kb.items():
            after = [kb for t, kb in samples if t >= self.warmup_s] or [kb for _, kb in samples]
            first, last, peak = after[0], after[-1], max(after)
            change = (last - first) / first
            windowed = [kb for t, kb in samples if t >= self.window_s]
            since = f"{(last - windowed[0]) / windowed[0]:+.1%}" if windowed else "-"
            rows.append(
                f"| {name} | {len(samples)} | {first / 1024:.1f} | {last / 1024:.1f} "
                f"| {peak / 1024:.1f} | {change:+.1%} | {since} "
                f"| {'yes' if abs(change) <= RSS_FLAT else 'NO'} |"
            )
        return rows

    def redis_bounded(self) -> tuple[float, float, bool] | None:
        """Max used_memory in the second window and after it (MiB), and whether the later
        stays within REDIS_BOUND of the earlier; None when the run is shorter than 2 windows."""
        second = [b for t, b in self.redis_bytes if self.window_s <= t < 2 * self.window_s]
        later = [b for t, b in self.redis_bytes if t >= 2 * self.window_s]
        if not second or not later:
            return None
        a, b = max(second), max(later)
        return a / 2**20, b / 2**20, b <= a * (1 + REDIS_BOUND)

    def healthz(self) -> tuple[float, float]:
        return percentile(self.healthz_ms, 50), percentile(self.healthz_ms, 99)

    def flat(self) -> bool:
        return all(row.endswith("| yes |") for row in self.rss_rows())


def process_tree(root: int) -> dict[int, str]:
    """The daemon's processes by pid: the daemon, its workers, their sandbox children."""
    out: dict[int, str] = {}
    todo = [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        label = _label(pid, root) or "?"
        if label == "worker" and depth >= 2:
            label = "sandbox"  # a worker's page-analysis child (spawned too)
        out[pid] = label
        todo += [(c, depth + 1) for c in _children(pid)]
    return out


async def sample_memory(h: Harness, soak: Soak, started: float, stop: asyncio.Event) -> None:
    """T7: every SAMPLE_EVERY_S, VmRSS of each process, Redis used_memory, work queue XLEN."""
    while not stop.is_set():
        t = time.monotonic() - started
        assert h.daemon is not None and h.redis_server.proc is not None
        procs = process_tree(h.daemon.pid)
        procs[h.redis_server.proc.pid] = "redis-server"
        for pid, label in procs.items():
            rss = _status_kb(pid, "VmRSS")
            if rss is not None:
                soak.rss_kb.setdefault(f"{label} {pid}", []).append((t, rss))
        with contextlib.suppress(Exception):
            info = await h.redis.info("memory")
            soak.redis_bytes.append((t, int(info["used_memory"])))
            soak.queue_len.append((t, int(await h.redis.xlen(keys.ITEMS_STREAM))))
        print(
            f"  T7 t={t:.0f}s redis used_memory={soak.redis_bytes[-1][1] / 2**20:.1f}MiB "
            f"queue_xlen={soak.queue_len[-1][1] if soak.queue_len else '?'} "
            + " ".join(
                f"{n}={v[-1][1] // 1024}MiB" for n, v in soak.rss_kb.items() if v[-1][0] == t
            ),
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY_S)


async def ask_healthz(h: Harness, soak: Soak, started: float, stop: asyncio.Event) -> None:
    """T7: GET /healthz HEALTHZ_PER_S times a second on one keep-alive session; latency in ms."""
    url = f"http://127.0.0.1:{h.http_port}/healthz"
    step = 1.0 / HEALTHZ_PER_S
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:
        next_at = time.monotonic()
        while not stop.is_set():
            asked = time.perf_counter()
            why = ""
            try:
                async with s.get(url) as r:
                    body = await r.read()
                    if r.status != 200:
                        why = f"{r.status} {body[:200].decode(errors='replace')}"
            except (aiohttp.ClientError, OSError, TimeoutError) as e:
                why = repr(e)
            if why:
                soak.healthz_failed.append((time.monotonic() - started, why))
            else:
                soak.healthz_ms.append((time.perf_counter() - asked) * 1000)
            next_at += step
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def run_soak(
    rate: float, duration_s: float, window_s: float, workdir: Path
) -> tuple[Tally, Soak]:
    """T7: no faults; steady articles, a short store window, memory and /healthz sampled."""
    started = time.monotonic()
    store_env = {
        "NEWSINGEST_STORE_WINDOW_S": str(window_s),
        "NEWSINGEST_STORE_TRIM_EVERY_S": str(max(5.0, window_s / 10)),
    }
    listed_s = FEED_WINDOW * FEEDS / rate
    if window_s <= listed_s:  # the seen set would forget entries the feeds still list
        raise ValueError(
            f"--window {window_s:g}: must exceed {listed_s:g} s, how long an entry stays "
            f"listed ({FEED_WINDOW} entries a feed, {FEEDS} feeds, --rate {rate:g})"
        )
    soak = Soak(window_s=window_s, warmup_s=min(60.0, duration_s / 5))
    async with Harness(workdir, store_env=store_env) as h:
        await h.ready()
        # /readyz is 200 before the workers' first heartbeats make /healthz 200: start after.
        late = await h.ready(path="/healthz")
        print(f"  T7: /healthz 200 {late:.1f} s after /readyz 200", file=sys.stderr, flush=True)
        released, sampled, gathered = asyncio.Event(), asyncio.Event(), asyncio.Event()
        flow = time.monotonic()
        release = asyncio.create_task(h.release(round(rate * duration_s), duration_s, released))
        collect = asyncio.create_task(h.collect_committed(gathered))
        samplers = [
            asyncio.create_task(sample_memory(h, soak, flow, sampled)),
            asyncio.create_task(ask_healthz(h, soak, flow, sampled)),
        ]
        await release
        sampled.set()
        await asyncio.gather(*samplers)
        await h.settle(timeout_s=60.0)  # records still gathered meanwhile
        gathered.set()
        await collect
        result = await h.tally("T7")
    result.seconds = time.monotonic() - started
    return result, soak


def print_soak(soak: Soak, rate: float, duration_s: float) -> bool:
    """The T7 report; True when every target is met."""
    print(
        f"\nT7: {rate:g} articles/s for {duration_s:.0f} s, store.window_s {soak.window_s:g}, "
        f"samples every {SAMPLE_EVERY_S:g} s, warm-up {soak.warmup_s:g} s\n\n"
        "| process pid | samples | RSS MiB first after warm-up | last | max | last vs first "
        f"| last vs first after one window | within {RSS_FLAT:.0%} |\n|---|---|---|---|---|---|---|---|"
    )
    for row in soak.rss_rows():
        print(row)
    series = ", ".join(
        f"{t:.0f}s {b / 2**20:.1f}"
        for t, b in soak.redis_bytes[:: max(1, len(soak.redis_bytes) // 15)]
    )
    print(
        f"\nRedis used_memory MiB over time: {series}; last {soak.redis_bytes[-1][1] / 2**20:.1f}"
    )
    if soak.queue_len:
        print(
            f"Work queue {keys.ITEMS_STREAM} XLEN: max {max(n for _, n in soak.queue_len)}, "
            f"last {soak.queue_len[-1][1]} (acked entries are deleted every store.trim_every_s)"
        )
    bound = soak.redis_bounded()
    if bound:
        print(
            f"Redis used_memory max in the second window {bound[0]:.1f} MiB, after it "
            f"{bound[1]:.1f} MiB: {'bounded' if bound[2] else 'STILL GROWING'}"
        )
    else:
        print("Redis used_memory: run shorter than two windows, boundedness not judged")
    p50, p99 = soak.healthz()
    print(
        f"/healthz: {len(soak.healthz_ms)} answered 200, {len(soak.healthz_failed)} not; "
        f"of the 200s p50 {p50:.1f} ms, p99 {p99:.1f} ms (target < {HEALTHZ_P99_MS:g} ms)",
        flush=True,
    )
    reasons = Counter(re.sub(r"\d+", "N", why)[:160] for _, why in soak.healthz_failed)
    for why, count in reasons.most_common(5):
        print(f"  /healthz not 200: {count} x {why}", flush=True)
    if soak.healthz_failed:
        times = [t for t, _ in soak.healthz_failed]
        print(f"  /healthz not 200 between {min(times):.0f}s and {max(times):.0f}s", flush=True)
    return (
        soak.flat()
        and p99 < HEALTHZ_P99_MS
        and not soak.healthz_failed
        and (bound is None or bound[2])
    )


async def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scenarios", default="T1,T2,T3,T4,T5")
    p.add_argument("--articles", type=int, default=600)
    p.add_argument("--duration", type=float, default=120.0, help="seconds articles flow")
    p.add_argument("--log-offline", type=float, default=60.0, help="T6: log reader away, s")
    p.add_argument("--rate", type=float, default=5.0, help="T7: articles a second")
    p.add_argument("--window", type=float, default=300.0, help="T7: store.window_s, s")
    args = p.parse_args(argv)
    print(HEADER, flush=True)
    failed = False
    soaks: list[Soak] = []
    for name in args.scenarios.split(","):
        # CHAOS_KEEP=1 keeps each run's directory (daemon.log, the Redis data) for a look.
        if "T8" in name and (why := local_cluster.unavailable()):
            print(f"| {name} | skipped: {why} |", flush=True)
            continue
        tmp = tempfile.mkdtemp(prefix=f"chaos-{name}-")
        try:
            if name == "T7":
                t, soak = await run_soak(args.rate, args.duration, args.window, Path(tmp))
                soaks.append(soak)
            else:
                t = await run_scenario(
                    name, args.articles, args.duration, Path(tmp), args.log_offline
                )
        finally:
            if os.environ.get("CHAOS_KEEP"):
                print(f"  {name}: kept {tmp}", file=sys.stderr, flush=True)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        print(t.row(), flush=True)
        reasons = Counter(re.sub(r"https?://\S+", "URL", e) for e in t.dead_errors)
        for reason, count in reasons.most_common():
            print(f"  {name} dead letters: {count} x {reason}", file=sys.stderr, flush=True)
        failed |= bool(t.lost or t.duplicates_log or t.duplicates_channel)
        failed |= not t.log_reader_caught_up
    for soak in soaks:
        failed |= not print_soak(soak, args.rate, args.duration)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
