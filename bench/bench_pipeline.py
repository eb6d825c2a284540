"""`make bench` part: the whole daemon, end to end, on the 210 pages of ../shared/corpus/articles.

What it does, in one run on one machine:

1. Single process, no daemon: articles/s and word-level F1 (against ground_truth.json) of plain
   `trafilatura.extract(html)` (defaults), `extract(html, fast=True)`, `workers.clean.clean_html`
   (what the pipeline runs) and clean_html + extract_events (a worker's whole CPU work per page).
2. The daemon as a real subprocess (`newsingest run --feeds X.opml`, default worker count) on a
   private redis-server (appendonly off), polling 4 local RSS feeds served by an aiohttp site on
   127.0.0.1 that hands out the page bytes as they are on disk. Feed responses are held until
   every worker beats, so start-up is not counted; then the bench waits until every entry is
   committed or dead-lettered and reads the figures back from Redis: articles/s from the first
   poll that saw entries to the last commit, latency per article from `polled_at` (item JSON in
   the items stream) to its commit (score in the done zset, written by the script that
   PUBLISHes), peak RSS per process (VmRSS sampled every 0.2 s, VmHWM at the end), CPU seconds
   per process, verdicts and events.

Target: end-to-end articles/s >= 1.6 x plain trafilatura in one process, on 2 cores,
with the pipeline's cleaning F1 no lower than plain trafilatura's.
F1 is bag-of-words over lowercased \\w+ tokens, computed per page and averaged over the 127
pages that have an `articleBody` (a page with no text scores 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.6
N_FEEDS = 4
SAMPLE_EVERY_S = 0.2
READY_TIMEOUT_S = 90.0
DONE_TIMEOUT_S = 900.0
OUT = ROOT / "var" / "bench"

_WORD = re.compile(r"\w+")


# --- corpus and quality ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    page_id: str
    body: bytes


def shared_dir() -> Path:
    return Path(os.environ.get("NEWSINGEST_SHARED") or ROOT.parent / "shared")


def load_pages(folder: Path) -> list[Page]:
    return [Page(p.stem, p.read_bytes()) for p in sorted(folder.glob("*.html"))]


def load_truth(folder: Path) -> dict[str, str]:
    raw = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    return {k: v["articleBody"] for k, v in raw.items() if v.get("articleBody")}


def word_f1(got: str | None, want: str) -> float:
    """Bag-of-words F1 of two texts over lowercased word tokens."""
    a, b = Counter(_WORD.findall((got or "").lower())), Counter(_WORD.findall(want.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def mean_f1(texts: dict[str, str | None], truth: dict[str, str]) -> float:
    return sum(word_f1(texts.get(k), want) for k, want in truth.items()) / len(truth)


# --- single process baselines -----------------------------------------------------------------


def page_url(page_id: str) -> str:
    return f"http://127.0.0.1/articles/{page_id}.html"


def single_process(pages: list[Page], truth: dict[str, str]) -> dict[str, dict[str, Any]]:
    """articles/s and F1 of each way of cleaning, in this process, one page after another."""
    import trafilatura

    from workers.clean import clean_html
    from workers.errors import CleanError
    from workers.pipeline import analyse_page
    from workers.records import Item

    def pipeline_clean(p: Page) -> str | None:
        try:
            return clean_html(p.body, page_url(p.page_id)).text
        except CleanError:
            return None

    errors: Counter[str] = Counter()

    def analyse(p: Page) -> str | None:
        url = page_url(p.page_id)
        try:
            return analyse_page(p.body, url, Item(p.page_id, url, "bench")).article.text
        except CleanError:
            return None
        except Exception as e:  # a broken extractor must not hide the other figures
            errors[f"{type(e).__name__}: {e}"[:100]] += 1
            return None

    variants: dict[str, Callable[[Page], str | None]] = {
        "trafilatura.extract (defaults)": lambda p: trafilatura.extract(p.body),
        "trafilatura.extract fast=True": lambda p: trafilatura.extract(p.body, fast=True),
        "workers.clean.clean_html": pipeline_clean,
        "clean_html + extract_events": analyse,
    }
    out = {}
    for name, run in variants.items():
        for p in pages[:3]:
            run(p)  # warm caches and lazy loads (gazetteer, lexicons) outside the timing
        errors.clear()
        texts: dict[str, str | None] = {}
        t0, c0 = time.perf_counter(), time.process_time()
        for p in pages:
            texts[p.page_id] = run(p)
        elapsed, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        out[name] = {
            "articles_per_s": len(pages) / elapsed,
            "seconds": elapsed,
            "articles_per_cpu_s": len(pages) / cpu_s,
            "cpu_s": cpu_s,
            "f1": mean_f1(texts, truth),
            "no_text": sum(1 for t in texts.values() if not t),
            "errors": dict(errors),
        }
        print(
            f"  {name:34} {out[name]['articles_per_s']:6.1f} articles/s  "
            f"{out[name]['articles_per_cpu_s']:6.1f} per CPU-s  F1 {out[name]['f1']:.3f}"
            + (f"  errors {dict(errors)}" if errors else ""),
            flush=True,
        )
    return out


# --- the local site ---------------------------------------------------------------------------


@dataclass
class Site:
    """Pages as they are on disk, and RSS feeds whose responses wait for `opened`."""

    pages: dict[str, bytes]
    base: str = ""
    feeds: dict[str, bytes] = field(default_factory=dict)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    first_feed_at: float | None = None
    feed_hits: int = 0
    page_hits: int = 0

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        if request.path in self.feeds:
            # Held until the workers are up, so the daemon's start-up is not measured.
            await self.opened.wait()
            self.feed_hits += 1
            body = self.feeds[request.path]
            if self.first_feed_at is None:
                self.first_feed_at = time.time()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            return web.Response(
                body=body, content_type="application/rss+xml", headers={"ETag": etag}
            )
        body = self.pages.get(request.path)
        if body is None:
            raise web.HTTPNotFound()
        self.page_hits += 1
        return web.Response(body=body, content_type="text/html")  # no charset: bytes as-is


def rss(title: str, links: list[str], now: datetime) -> bytes:
    items = "".join(
        f"<item><title>page {i}</title><link>{u}</link><guid>{u}</guid>"
        f"<pubDate>{format_datetime(now)}</pubDate></item>"
        for i, u in enumerate(links)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link><description>bench"
        f"</description>{items}</channel></rss>"
    ).encode()


async def start_site(pages: list[Page]) -> tuple[Any, Site]:
    from aiohttp import web

    site = Site({f"/articles/{p.page_id}.html": p.body for p in pages})
    app = web.Application()
    app.router.add_get("/{tail:.*}", site.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    site.base = f"http://127.0.0.1:{tcp._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    now = datetime.now(UTC)
    paths = sorted(site.pages)
    for n in range(N_FEEDS):
        links = [site.base + p for p in paths[n::N_FEEDS]]
        site.feeds[f"/feeds/{n}.xml"] = rss(f"bench feed {n}", links, now)
    return runner, site


def opml(path: Path, site: Site) -> None:
    outlines = "".join(
        f'<outline type="rss" text="bench {p}" xmlUrl="{site.base}{p}"/>'
        for p in sorted(site.feeds)
    )
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head>'
        f"<title>bench</title></head><body>{outlines}</body></opml>",
        encoding="utf-8",
    )


# --- process memory ---------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                out += [int(c) for c in fh.read().split()]
    return out


def _label(pid: int, root: int) -> str | None:
    """What a process of the daemon's tree is; None until it is recognisable (fork, then exec)."""
    if pid == root:
        return "daemon (poller, api)"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    if "resource_tracker" in cmd:
        return "mp resource tracker"
    if "spawn_main" in cmd:
        return "worker"
    return None


class MemorySampler:
    """VmRSS of a process tree (and extra pids) every SAMPLE_EVERY_S; VmHWM on demand."""

    def __init__(self, root: int, extra: dict[int, str]) -> None:
        self.root, self.extra = root, extra
        self.labels: dict[int, str] = {}
        self.peak_rss_kb: dict[int, int] = {}
        self.hwm_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def pids(self) -> list[int]:
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += _children(pid)
        return tree + list(self.extra)

    def sample(self) -> None:
        for pid in self.pids():
            if self.labels.get(pid, "?") == "?":
                self.labels[pid] = self.extra.get(pid) or _label(pid, self.root) or "?"
            rss = _status_kb(pid, "VmRSS")
            if rss is not None:
                self.peak_rss_kb[pid] = max(rss, self.peak_rss_kb.get(pid, 0))
            hwm = _status_kb(pid, "VmHWM")
            if hwm is not None:
                self.hwm_kb[pid] = hwm

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.sample()

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join()
        self.sample()
        return [
            {
                "pid": pid,
                "process": self.labels[pid],
                "peak_rss_mb": round(self.peak_rss_kb.get(pid, 0) / 1024, 1),
                "vm_hwm_mb": round(self.hwm_kb.get(pid, 0) / 1024, 1),
            }
            for pid in self.labels
        ]


def cpu_times(pids: list[int]) -> dict[int, tuple[float, float]]:
    """(seconds on a CPU, seconds runnable but waiting for one) of each live pid, all threads.

    The second figure tells a process starved by other load on the machine from one that
    sleeps on I/O or a lock (from /proc/PID/task/TID/schedstat).
    """
    out = {}
    for pid in pids:
        run = wait = 0
        with contextlib.suppress(OSError):
            for tid in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    parts = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
                    run, wait = run + int(parts[0]), wait + int(parts[1])
            out[pid] = (run / 1e9, wait / 1e9)
    return out


def cpu_used(
    before: dict[int, tuple[float, float]],
    after: dict[int, tuple[float, float]],
    memory: MemorySampler,
) -> list[dict[str, Any]]:
    out = []
    for pid, (run, wait) in after.items():
        run0, wait0 = before.get(pid, (0.0, 0.0))
        out.append(
            {
                "process": memory.labels.get(pid, "?"),
                "pid": pid,
                "cpu_s": round(run - run0, 2),
                "runqueue_wait_s": round(wait - wait0, 2),
            }
        )
    return out


# --- the daemon run ---------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks, q in 0..100."""
    if not values:
        return float("nan")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def daemon_command() -> list[str]:
    script = Path(sys.executable).parent / "newsingest"
    return [str(script)] if script.exists() else [sys.executable, "-m", "service"]


async def wait_for(
    check: Callable[[], Any], timeout_s: float, what: str, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited with {proc.returncode} while waiting for {what}")
        if await check():
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}")


async def count_published(redis_url: str, counter: list[int], stop: asyncio.Event) -> None:
    from service.redisconn import connect
    from workers import keys

    client = connect(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(keys.EVENTS_CHANNEL)
    try:
        while not stop.is_set():
            if await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2):
                counter[0] += 1
    finally:
        await pubsub.aclose()
        await client.aclose()


async def run_daemon(pages: list[Page], workdir: Path) -> dict[str, Any]:
    from service.config import Settings
    from service.redisconn import EmbeddedRedis, connect, free_port
    from workers import beats, keys

    workers = Settings().worker_count()
    redis_server = EmbeddedRedis(str(workdir / "redis"), appendonly=False)
    redis_url = await asyncio.to_thread(redis_server.start)
    runner, site = await start_site(pages)
    feeds_file = workdir / "feeds.opml"
    opml(feeds_file, site)
    redis = connect(redis_url)
    published, stop_sub = [0], asyncio.Event()
    sub = asyncio.create_task(count_published(redis_url, published, stop_sub))
    env = {
        **os.environ,
        "NEWSINGEST_REDIS_URL": redis_url,
        "NEWSINGEST_HTTP_PORT": str(free_port()),
        "NEWSINGEST_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
        "NEWSINGEST_FEEDS_MAX_ENTRIES": str(len(pages) + 100),
        # Feed responses are held until the workers are up (see Site): room for that.
        "NEWSINGEST_FETCH_TIMEOUT_S": "120",
        # collect() reads each entry's polled_at back from the work stream at the end, so
        # housekeeping must not delete the acked entries during the run (its first round, at
        # start-up, finds none acked); the store's 7-day window would trim nothing anyway.
        "NEWSINGEST_STORE_TRIM_EVERY_S": "86400",
    }
    if "politeness" in Settings.__dataclass_fields__:
        # All 210 pages live on one host here, which per-host politeness (1 request/s, 2 in
        # flight by default) would throttle; real feeds spread over many hosts. The gate's
        # Redis round trip per fetch still runs, robots.txt too.
        env |= {
            "NEWSINGEST_POLITENESS_HOST_RATE_PER_S": "0",
            "NEWSINGEST_POLITENESS_HOST_CONCURRENCY": "0",
        }
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / "pipeline-daemon.log"
    n = len(pages)
    with open(log_path, "wb") as log:
        started = time.time()
        proc = subprocess.Popen(
            [*daemon_command(), "run", "--feeds", str(feeds_file)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        assert redis_server.proc is not None
        memory = MemorySampler(proc.pid, {redis_server.proc.pid: "redis-server"})
        memory.start()
        try:

            async def workers_beating() -> bool:
                return len(await beats.live(redis, "worker")) >= workers

            await wait_for(workers_beating, READY_TIMEOUT_S, f"{workers} worker beats", proc)
            ready_s = time.time() - started
            cpu_before = cpu_times(memory.pids())
            bench_cpu_before = time.process_time()
            site.opened.set()
            print(
                f"  daemon up in {ready_s:.1f} s with {workers} workers; feeds released", flush=True
            )
            last_note = time.monotonic()

            async def all_done() -> bool:
                nonlocal last_note
                done = await redis.zcard(keys.DONE_ITEMS) + await redis.xlen(keys.DEAD_STREAM)
                if time.monotonic() - last_note > 10:
                    last_note = time.monotonic()
                    print(f"  ... {done}/{n} entries finished", flush=True)
                return done >= n

            await wait_for(all_done, DONE_TIMEOUT_S, f"{n} entries finished", proc)
            memory.sample()
            cpu = cpu_used(cpu_before, cpu_times(memory.pids()), memory)
            cpu.append(
                {
                    "process": "bench (site, sampler)",
                    "pid": os.getpid(),
                    "cpu_s": round(time.process_time() - bench_cpu_before, 2),
                    "runqueue_wait_s": None,
                }
            )
            figures = await collect(redis, site)
        finally:
            mem = memory.stop()
            stop_t = time.monotonic()
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.to_thread(proc.wait, 20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            shutdown_s = time.monotonic() - stop_t
            await asyncio.sleep(0.3)
            stop_sub.set()
            await asyncio.gather(sub, return_exceptions=True)
            await redis.aclose()
            await runner.cleanup()
            await asyncio.to_thread(redis_server.stop)
    figures.update(
        workers=workers,
        cpus=os.cpu_count(),
        ready_s=ready_s,
        shutdown_s=shutdown_s,
        exit_code=proc.returncode,
        memory=mem,
        cpu=cpu,
        events_received_on_channel=published[0],
        feed_requests=site.feed_hits,
        page_requests=site.page_hits,
        daemon_log=str(log_path.relative_to(ROOT)),
    )
    return figures


async def collect(redis: Any, site: Site) -> dict[str, Any]:
    """Read the run's figures back from Redis."""
    from workers import keys, metrics

    polled = {
        eid: json.loads(f["item"])["polled_at"] for eid, f in await redis.xrange(keys.ITEMS_STREAM)
    }
    done = dict(await redis.zrange(keys.DONE_ITEMS, 0, -1, withscores=True))
    dead = await redis.xrange(keys.DEAD_STREAM)
    dead_at = [int(eid.split("-")[0]) / 1000 for eid, _ in dead]
    t0 = site.first_feed_at or min(polled.values())
    t_end = max([*done.values(), *dead_at])
    finished = len(done) + len(dead)
    # The poller stamps polled_at when it starts a poll; the bench held that poll's response
    # until the workers were up, so latency counts from the later of the two.
    latencies = [score - max(polled[eid], t0) for eid, score in done.items() if eid in polled]
    polls = Counter(round(at - t0, 2) for at in polled.values())
    counters = {}
    for raw, value in (await redis.hgetall(keys.METRICS)).items():
        name, labels = metrics.parse_field(raw)
        if name in ("newsingest_articles", "newsingest_events_published"):
            counters[f"{name}{{{','.join(f'{k}={v}' for k, v in labels.items())}}}"] = int(value)
    return {
        "entries": len(polled),
        "committed": len(done),
        "dead_lettered": len(dead),
        "dead_errors": Counter(f.get("error", "")[:80] for _, f in dead).most_common(5),
        "elapsed_s": t_end - t0,
        "polls_s_after_first": sorted(polls.items()),  # (offset, entries enqueued by that poll)
        "commits_per_s": sorted(Counter(int(t - t0) for t in done.values()).items()),
        "articles_per_s": finished / (t_end - t0),
        "first_commit_after_s": min(done.values()) - t0 if done else None,
        "latency_p50_s": percentile(latencies, 50),
        "latency_p99_s": percentile(latencies, 99),
        "latency_max_s": max(latencies, default=float("nan")),
        "verdicts": {
            v: counters.get(f"newsingest_articles{{verdict={v}}}", 0)
            for v in ("new", "duplicate", "update", "failed")
        },
        "events_published": {
            k: counters.get(f"newsingest_events_published{{kind={k}}}", 0)
            for k in ("created", "updated")
        },
        "events_log_len": await redis.xlen(keys.EVENTS_STREAM),
    }


# --- report ---------------------------------------------------------------------------------


def report(
    single: dict[str, dict[str, Any]], e2e: dict[str, Any], n_pages: int, n_truth: int
) -> dict[str, Any]:
    plain = single["trafilatura.extract (defaults)"]
    pipeline_clean = single["workers.clean.clean_html"]
    ratio = e2e["articles_per_s"] / plain["articles_per_s"]
    daemon_cpu_s = sum(c["cpu_s"] for c in e2e["cpu"] if not c["process"].startswith("bench"))
    worker_cpu_s = sum(c["cpu_s"] for c in e2e["cpu"] if c["process"] == "worker")
    finished = e2e["committed"] + e2e["dead_lettered"]
    # What the daemon would do with every core to itself, from the CPU it actually spent:
    # robust to other load on the machine, unlike the wall-clock figures.
    capacity = e2e["cpus"] * finished / daemon_cpu_s if daemon_cpu_s else float("nan")
    cpu_ratio = capacity / plain["articles_per_cpu_s"]
    analyse = single["clean_html + extract_events"]
    quality_ok = pipeline_clean["f1"] >= plain["f1"]
    lines = [
        "",
        f"newsingest pipeline benchmark: {n_pages} pages, {e2e['cpus']} CPUs, "
        f"{e2e['workers']} worker processes, redis appendonly off",
        "",
        "single process, one page after another     articles/s   per CPU-s   F1 (127 pages)",
    ]
    for name, s in single.items():
        lines.append(
            f"  {name:40} {s['articles_per_s']:8.1f}   {s['articles_per_cpu_s']:8.1f}"
            f"   {s['f1']:.3f}"
            + (f"  ({s['no_text']} pages without text)" if s["no_text"] else "")
            + (f"  errors: {s['errors']}" if s["errors"] else "")
        )
    v, ev = e2e["verdicts"], e2e["events_published"]
    lines += [
        "",
        "daemon end to end (newsingest run, subprocess)",
        f"  articles/s, first poll -> last commit   {e2e['articles_per_s']:8.1f}   "
        f"({e2e['committed'] + e2e['dead_lettered']} entries in {e2e['elapsed_s']:.2f} s)",
        f"  ratio to plain trafilatura              {ratio:8.2f}   "
        f"target >= {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'NOT met'}",
        f"  CPU per article, daemon + redis         {1000 * daemon_cpu_s / finished:8.1f} ms   "
        f"(workers {1000 * worker_cpu_s / finished:.1f} ms; clean_html + extract_events alone "
        f"{1000 / analyse['articles_per_cpu_s']:.1f} ms, plain trafilatura "
        f"{1000 / plain['articles_per_cpu_s']:.1f} ms)",
        f"  CPU-normalised: {e2e['cpus']} cores / CPU per article {capacity:8.1f} articles/s, "
        f"{cpu_ratio:.2f} x plain per CPU-s",
        f"  latency poll -> commit+PUBLISH  p50     {e2e['latency_p50_s']:8.2f} s",
        f"                                  p99     {e2e['latency_p99_s']:8.2f} s   "
        f"(max {e2e['latency_max_s']:.2f} s, first commit after "
        f"{e2e['first_commit_after_s']:.2f} s)",
        f"  verdicts                                new {v['new']}, duplicate {v['duplicate']}, "
        f"update {v['update']}, failed {v['failed']}",
        f"  committed / dead-lettered               {e2e['committed']} / {e2e['dead_lettered']}",
        f"  events published                        created {ev['created']}, updated "
        f"{ev['updated']} (events log {e2e['events_log_len']}, received on channel "
        f"{e2e['events_received_on_channel']})",
        f"  cleaning F1 clean_html vs plain         {pipeline_clean['f1']:.3f} vs "
        f"{plain['f1']:.3f}: {'no lower' if quality_ok else 'LOWER'}",
        f"  daemon ready (workers beating) in {e2e['ready_s']:.1f} s (not counted); "
        f"SIGTERM -> exit {e2e['exit_code']} in {e2e['shutdown_s']:.1f} s",
        "",
        "memory per process                 peak VmRSS sampled   VmHWM",
    ]
    for m in sorted(e2e["memory"], key=lambda m: (m["process"], m["pid"])):
        lines.append(
            f"  {m['process']:22} {m['pid']:>8}   {m['peak_rss_mb']:8.1f} MB   "
            f"{m['vm_hwm_mb']:8.1f} MB"
        )
    elapsed = e2e["elapsed_s"]
    lines += [
        "",
        f"CPU from feed release to last commit ({elapsed:.2f} s wall)"
        "      cpu s   cores busy   waiting for a CPU s",
    ]
    for c in sorted(e2e["cpu"], key=lambda c: (c["process"], c["pid"])):
        wait = c["runqueue_wait_s"]
        lines.append(
            f"  {c['process']:22} {c['pid']:>8}   {c['cpu_s']:8.2f}   "
            f"{c['cpu_s'] / elapsed:8.2f}   " + (f"{wait:8.2f}" if wait is not None else "       -")
        )
    lines.append(
        f"  load average before / after: {e2e['loadavg_before']} / "
        f"{e2e['loadavg_after']} (other work on this machine skews every figure)"
    )
    if e2e["dead_errors"]:
        lines.append(f"  dead-letter errors: {e2e['dead_errors']}")
    print("\n".join(lines))
    result = {
        "bench": "pipeline",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_state(),
        "pages": n_pages,
        "truth_pages": n_truth,
        "f1": "bag-of-words over lowercased \\w+ tokens, mean over pages",
        "single_process": single,
        "end_to_end": e2e,
        "ratio_to_plain": ratio,
        "target_ratio": TARGET_RATIO,
        "cpu_per_article_ms": 1000 * daemon_cpu_s / finished,
        "worker_cpu_per_article_ms": 1000 * worker_cpu_s / finished,
        "cpu_normalised_articles_per_s": capacity,
        "cpu_normalised_ratio": cpu_ratio,
        "target_met": ratio >= TARGET_RATIO,
        "cleaning_f1_no_lower": quality_ok,
    }
    return result


def git_state() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            text=True,
            capture_output=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "")


def main() -> int:
    folder = shared_dir() / "corpus" / "articles"
    if not folder.is_dir():
        print(f"corpus not found at {folder} (set NEWSINGEST_SHARED); nothing measured")
        return 0
    pages, truth = load_pages(folder), load_truth(folder)
    print(f"pipeline bench: {len(pages)} pages, {len(truth)} with ground truth", flush=True)
    print("single process (bytes in, as served):", flush=True)
    single = single_process(pages, truth)
    print("daemon end to end:", flush=True)
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="newsingest-bench-") as tmp:
        e2e = asyncio.run(run_daemon(pages, Path(tmp)))
    e2e.update(loadavg_before=load_before, loadavg_after=[round(x, 2) for x in os.getloadavg()])
    result = report(single, e2e, len(pages), len(truth))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pipeline.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
