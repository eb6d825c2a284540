"""run(): pollers + worker processes + HTTP in one daemon, stopped cleanly by SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from typing import Any

from aiohttp import web

from service import webhooks, websub, worker
from service.access import AccessPolicy, is_loopback
from service.config import Settings
from service.http import AppState, make_app
from service.limits import fetch_limits, queue_settings
from service.poll import Poller, PollSettings
from service.redisconn import EmbeddedRedis, connected, is_cluster
from service.sse import StreamSettings
from workers import beats, keys, layout
from workers.feeds import FeedSpec, read_opml
from workers.fetch import make_session
from workers.queue import prune_consumers, trim_done
from workers.store import RollingStore

log = logging.getLogger(__name__)

ROLES = ("poller", "worker", "api")
STOP_DEADLINE_S = 9.0  # the whole shutdown stays inside the 10 s promised to operators


@dataclass
class WorkerPool:
    """Worker child processes, restarted when one dies."""

    settings: Settings
    redis_url: str
    count: int
    procs: list[BaseProcess] = field(default_factory=list)

    def start(self) -> None:
        self.procs = [self._spawn(i) for i in range(self.count)]

    def _spawn(self, index: int) -> BaseProcess:
        ctx = multiprocessing.get_context("spawn")
        proc = ctx.Process(
            target=worker.process_main,
            name=f"worker-{index}",
            args=(self.settings, self.redis_url, f"w{index}"),
            daemon=False,
        )
        # The child inherits a blocked SIGINT: a Ctrl-C reaches the whole terminal process
        # group, but only this process should act on it (and then SIGTERM its workers), so a
        # worker is never interrupted half-way through start-up or an entry.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return proc

    def restart_dead(self) -> None:
        for i, proc in enumerate(self.procs):
            if not proc.is_alive():
                log.warning(
                    "worker=%s pid=%s exitcode=%s outcome=restarted",
                    proc.name,
                    proc.pid,
                    proc.exitcode,
                )
                self.procs[i] = self._spawn(i)

    async def stop(self, deadline_s: float) -> None:
        for proc in self.procs:
            if proc.is_alive() and proc.pid:
                os.kill(proc.pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline_s
        while any(p.is_alive() for p in self.procs) and loop.time() < end:
            await asyncio.sleep(0.1)
        for proc in self.procs:
            if proc.is_alive():
                log.warning("worker=%s outcome=killed_at_deadline", proc.name)
                proc.kill()
            proc.join(timeout=1)


@contextlib.asynccontextmanager
async def redis_for(settings: Settings) -> AsyncIterator[str]:
    """The configured Redis URL, or an embedded private server for the daemon's lifetime."""
    if settings.redis.url:
        yield settings.redis.url
        return
    embedded = EmbeddedRedis(settings.redis.data_dir)
    url = await asyncio.to_thread(embedded.start)
    # `newsingest tail` on this machine finds the server here without being told its port.
    url_file = os.path.join(settings.redis.data_dir, "url")
    with open(url_file, "w", encoding="utf-8") as fh:
        fh.write(url + "\n")
    log.info(
        "redis=embedded url=%s data_dir=%s subscribe=%r",
        url,
        settings.redis.data_dir,
        f"redis-cli -u {url} subscribe {keys.EVENTS_CHANNEL}",
    )
    try:
        yield url
    finally:
        with contextlib.suppress(OSError):
            os.remove(url_file)
        await asyncio.to_thread(embedded.stop)


async def run(
    settings: Settings,
    roles: tuple[str, ...] = ROLES,
    feeds: list[FeedSpec] | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    on_redis: Callable[[str], None] | None = None,
) -> None:
    """Run the chosen roles until `stop` (by default: SIGTERM or SIGINT)."""
    stop = stop or worker.stop_on_signals()
    feeds = (
        feeds
        if feeds is not None
        else (read_opml(settings.feeds.file) if "poller" in roles else [])
    )
    async with redis_for(settings) as url:
        if on_redis:
            on_redis(url)
        redis = await connected(url, settings.redis.cluster)
        try:
            await layout.ensure(redis, is_cluster(redis))
            await _run_roles(settings, roles, feeds, url, redis, stop, ready)
        finally:
            await redis.aclose()
    log.info("daemon stopped")


async def _run_roles(
    settings: Settings,
    roles: tuple[str, ...],
    feeds: list[FeedSpec],
    url: str,
    redis: Any,
    stop: asyncio.Event,
    ready: asyncio.Event | None,
) -> None:
    targets = webhooks.targets_from(settings.webhooks)  # a bad filter stops start-up here
    poll = _poll_settings(settings)
    store = RollingStore(redis, settings.store.window_s)
    state = AppState(
        redis,
        store,
        expect_workers="worker" in roles or "api" in roles,
        expect_pollers="poller" in roles or "api" in roles,
        policy=AccessPolicy(settings.http.token, settings.http.protect_reads),
        stream=StreamSettings(
            settings.sse.heartbeat_s, settings.sse.buffer, settings.sse.max_clients
        ),
        webhooks=tuple(targets),
        seen=poll.seen(),  # the poller's own: pushed entries share its seen-set
    )
    runner = await _start_http(settings, state) if "api" in roles else None
    pool = WorkerPool(settings, url, settings.worker_count()) if "worker" in roles else None
    if pool:
        pool.start()
    limits = fetch_limits(settings)
    session = make_session(limits)
    tasks = [asyncio.create_task(_housekeeping(store, pool, settings, stop))]
    if targets:
        tasks.append(asyncio.create_task(webhooks.deliver(redis, targets, limits, stop)))
        log.info("webhooks delivering targets=%d", len(targets))
    if "poller" in roles:
        poller = Poller(
            redis,
            session,
            limits,
            poll,
            on_hub=_subscriber(redis, session, settings).ensure,
        )
        tasks.append(
            asyncio.create_task(_supervised("poller", lambda: poller.run(feeds, stop), stop))
        )
        tasks.append(asyncio.create_task(worker.beat(redis, "poller", _me(), stop)))
        log.info("poller started feeds=%d", len(feeds))
    if ready:
        ready.set()
    try:
        await stop.wait()
    finally:
        log.info("daemon stopping: draining")
        state.draining = True
        await asyncio.gather(*tasks, return_exceptions=True)
        if pool:
            await pool.stop(STOP_DEADLINE_S - 1.0)
        await session.close()
        if runner:
            await runner.cleanup()


async def _supervised(what: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run `run` until `stop`; an error escaping it (Redis reset mid-call at start-up, say) starts
    it again a second later instead of ending that role silently while the daemon looks ready."""
    while not stop.is_set():
        try:
            await run()
        except Exception as e:
            log.error("%s failed error=%r outcome=restarted", what, e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)


def _me() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _subscriber(redis: Any, session: Any, settings: Settings) -> websub.Subscriber:
    w = settings.websub
    return websub.Subscriber(
        redis,
        session,
        websub.WebSubConfig(
            callback_url=w.callback_url,
            lease_s=w.lease_s,
            renew_before_s=w.renew_before_s,
            timeout_s=settings.fetch.timeout_s,
        ),
    )


def _poll_settings(settings: Settings) -> PollSettings:
    f, p, w = settings.feeds, settings.politeness, settings.websub
    return PollSettings(
        interval_s=f.interval_s,
        max_entries=f.max_entries,
        backoff_max_s=f.backoff_max_s,
        seen_window_s=settings.store.window_s,
        max_revisions_per_entry=f.max_revisions_per_entry,
        min_interval_s=f.min_interval_s,
        max_interval_s=f.max_interval_s,
        pause_after_errors=f.pause_after_errors,
        max_text_bytes=f.max_text_bytes,
        concurrency=f.poll_concurrency,
        lease_s=f.lease_s or settings.fetch.timeout_s * 3,
        host_concurrency=p.host_concurrency,
        host_spacing_s=1.0 / p.host_rate_per_s if p.host_rate_per_s else 0.0,
        push_poll_interval_s=w.poll_interval_s,
        push_quiet_s=w.quiet_s,
    )


async def _start_http(settings: Settings, state: AppState) -> web.AppRunner:
    runner = web.AppRunner(make_app(state), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.http.host, settings.http.port)
    await site.start()
    log.info("http listening on http://%s:%d", settings.http.host, settings.http.port)
    if not settings.http.token and not _loopback_host(settings.http.host):
        log.warning(
            "http.token not set: writes are refused from clients other than loopback "
            "(set NEWSINGEST_HTTP_TOKEN to allow them)"
        )
    return runner


def _loopback_host(host: str) -> bool:
    return host == "localhost" or is_loopback(host)


async def _housekeeping(
    store: RollingStore, pool: WorkerPool | None, settings: Settings, stop: asyncio.Event
) -> None:
    """Restart dead workers every second; every trim_every_s trim the store and delete the work
    queue's acknowledged entries."""
    next_trim = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        if pool:
            pool.restart_dead()
        if loop.time() >= next_trim:
            next_trim = loop.time() + settings.store.trim_every_s
            try:
                removed = await store.trim(datetime.now(UTC))
                queue = queue_settings(settings)
                done = await trim_done(store.redis, queue)
                pruned = await prune_consumers(store.redis, queue)
                for kind in ("worker", "poller"):
                    await beats.prune(store.redis, kind)
            except Exception as e:  # Redis away: /healthz says so; try again next round
                log.warning("housekeeping failed error=%r", e)
            else:
                if removed or done or pruned:
                    log.info(
                        "housekeeping trimmed=%d queue_trimmed=%d consumers_pruned=%d",
                        removed,
                        done,
                        pruned,
                    )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
