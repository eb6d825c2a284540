"""make bench-poll: pollers on 10,000 local feeds, with the scheduler and politeness in the loop.

Three runs on a private redis-server and a minimal keep-alive HTTP server (its own process):

1. 304s: every feed has an ETag the server matches -> polls/s and peak RSS of one poller process;
2. new content: NEW_FEEDS feeds answer 200 with an ~18 KB RSS document of 20 new entries ->
   feeds/s (fetch + feedparser + enqueue) of one poller process;
3. two poller processes race on the 10,000 feeds -> double polls (a feed fetched twice in one
   interval; must be 0), counted by the server.

The interval is an hour, so in each run every feed is due exactly once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.poll import FeedRegistry, Poller, PollSettings
from service.redisconn import EmbeddedRedis, connect
from workers import keys
from workers.fetch import FetchLimits, Politeness, make_session

FEEDS = int(os.environ.get("BENCH_FEEDS", "10000"))
NEW_FEEDS = int(os.environ.get("BENCH_NEW_FEEDS", "1000"))
ETAG = '"v1"'


def feed_body(i: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n} of feed {i}: officials say talks continue after clashes"
        f"</title><link>http://news.example/{i}/story-{n}</link><guid>http://news.example/{i}/"
        f"story-{n}</guid><pubDate>Sat, 10 Oct 2015 12:{n:02d}:00 GMT</pubDate>"
        f"<description>{'A paragraph of summary text about the story. ' * 14}</description>"
        f"</item>"
        for n in range(20)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {i}'
        f"</title><link>http://news.example/{i}/</link><description>d</description>{items}"
        f"</channel></rss>"
    ).encode()


# --- the HTTP server (its own process) ------------------------------------------------------


class _Http(asyncio.Protocol):
    def __init__(self, hits: dict[str, int]) -> None:
        self.hits = hits
        self.buf = b""

    def connection_made(self, transport: Any) -> None:
        self.t = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            self._answer(head)

    def _answer(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        path = lines[0].split(b" ")[1].decode()
        self.hits[path] = self.hits.get(path, 0) + 1
        if path == "/hits":
            body = repr(self.hits).encode()
            self.hits.clear()
            self._send(b"200 OK", body)
            return
        conditional = any(line.lower().startswith(b"if-none-match:") for line in lines)
        if conditional:
            self._send(b"304 Not Modified", b"", etag=True)
        else:
            self._send(b"200 OK", feed_body(int(path[2:].split(".")[0])), etag=True)

    def _send(self, status: bytes, body: bytes, etag: bool = False) -> None:
        extra = f"ETag: {ETAG}\r\n".encode() if etag else b""
        self.t.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nContent-Type: application/rss+xml\r\n"
            + extra
            + b"Content-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )


def serve(port_out: Any) -> None:
    async def main() -> None:
        hits: dict[str, int] = {}
        server = await asyncio.get_running_loop().create_server(lambda: _Http(hits), "127.0.0.1", 0)
        port_out.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


# --- a poller process -----------------------------------------------------------------------


def poll_until(redis_url: str, expect: int, name: str, out: Any) -> None:
    """Poll until `expect` polls are done by all pollers together; report own figures."""
    out.put(asyncio.run(_poll(redis_url, expect, name)))


async def _poll(redis_url: str, expect: int, name: str) -> dict[str, Any]:
    redis = connect(redis_url)
    limits = FetchLimits(
        allow_networks=("127.0.0.1/32",),
        timeout_s=20.0,
        politeness=Politeness(host_concurrency=1024, host_rate_per_s=1e6),
    )
    session = make_session(limits)
    # Politeness stays in the loop (every claim runs the host gate) with limits a single local
    # server can take; a real deployment's 2 requests/host would make this a test of sleeping.
    settings = PollSettings(
        interval_s=3600,
        min_interval_s=3600,
        max_interval_s=3600,
        lease_s=60,
        concurrency=256,
        host_concurrency=1024,
        host_spacing_s=1e-6,
    )
    poller = Poller(redis, session, limits, settings, name=name)
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run([], stop))
    first = last = cpu0 = 0.0
    while True:
        total = sum(
            int(v)
            for k, v in (await redis.hgetall(keys.METRICS)).items()
            if k.startswith("newsingest_feed_polls|")
        )
        if poller.polls and not first:
            first, cpu0 = time.perf_counter(), time.process_time()
        if total >= expect:
            last, cpu = time.perf_counter(), time.process_time() - cpu0
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    await session.close()
    await redis.aclose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "name": name,
        "polls": poller.polls,
        "seconds": last - first,
        "cpu_s": cpu,
        "rss_mb": rss_mb,
    }


async def _prepare(redis_url: str, base: str, n: int, with_etag: bool) -> None:
    redis = connect(redis_url)
    await redis.flushdb()
    registry = FeedRegistry(redis)
    pipe_size = 50
    for start in range(0, n, pipe_size):
        await asyncio.gather(
            *(registry.add(f"{base}/f{i}.xml") for i in range(start, min(n, start + pipe_size)))
        )
    if with_etag:
        pipe = redis.pipeline(transaction=False)
        for i in range(n):
            pipe.hset(keys.feed_state(f"{base}/f{i}.xml"), "etag", ETAG)
        await pipe.execute()
    await redis.aclose()


def run_pollers(redis_url: str, expect: int, count: int) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=poll_until, args=(redis_url, expect, f"p{i}", out)) for i in range(count)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return results


def server_hits(base: str) -> dict[str, int]:
    import urllib.request

    with urllib.request.urlopen(base + "/hits") as resp:
        raw: dict[str, int] = eval(resp.read().decode())  # our own server's repr of a dict
    return raw


def main() -> None:
    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=10)}"
    redis = EmbeddedRedis(tempfile.mkdtemp(prefix="bench-poll-"), appendonly=False)
    url = redis.start()
    print(f"bench-poll: {FEEDS} feeds, {os.cpu_count()} CPUs, server {base}, redis {url}")
    try:
        asyncio.run(_prepare(url, base, FEEDS, with_etag=True))
        server_hits(base)
        [one] = run_pollers(url, FEEDS, 1)
        server_hits(base)
        print(
            f"304s, one poller:     {one['polls'] / one['seconds']:8.0f} polls/s wall, "
            f"{one['polls'] / one['cpu_s']:.0f} per CPU-second of the poller "
            f"({one['polls']} polls in {one['seconds']:.2f} s), peak RSS {one['rss_mb']:.0f} MB"
        )

        asyncio.run(_prepare(url, base, NEW_FEEDS, with_etag=False))
        [new] = run_pollers(url, NEW_FEEDS, 1)
        server_hits(base)
        print(
            f"new content, one poller: {new['polls'] / new['seconds']:5.0f} feeds/s wall, "
            f"{new['polls'] / new['cpu_s']:.0f} per CPU-second "
            f"(200 + ~18 KB RSS, 20 new entries each; {new['polls']} feeds in "
            f"{new['seconds']:.2f} s), peak RSS {new['rss_mb']:.0f} MB"
        )

        asyncio.run(_prepare(url, base, FEEDS, with_etag=True))
        server_hits(base)
        two = run_pollers(url, FEEDS, 2)
        hits = server_hits(base)
        doubles = sum(n - 1 for path, n in hits.items() if path != "/hits" and n > 1)
        polled = sum(1 for path in hits if path.startswith("/f"))
        total = sum(r["seconds"] for r in two) / 2
        print(
            f"304s, two pollers:    {FEEDS / total:8.0f} polls/s together; "
            + ", ".join(f"{r['name']} {r['polls']} polls, RSS {r['rss_mb']:.0f} MB" for r in two)
            + f"; feeds polled {polled}/{FEEDS}, double polls {doubles}"
        )
    finally:
        redis.stop()
        server.kill()


if __name__ == "__main__":
    main()
