"""A worker process: one consumer of the items group running the pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

from service import logs
from service.config import Settings
from service.limits import fetch_limits, queue_settings
from service.redisconn import connected
from workers import beats
from workers.fetch import make_session
from workers.pipeline import Pipeline, warm_up
from workers.queue import Consumer
from workers.sandbox import Sandbox
from workers.store import RollingStore

log = logging.getLogger(__name__)

BEAT_EVERY_S = 2.0
BEAT_TTL_S = 10


def process_main(settings: Settings, redis_url: str, name: str) -> None:
    """Entry point of a worker child process."""
    logs.setup(settings.log.level)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings, redis_url, name))


async def run_worker(
    settings: Settings, redis_url: str, name: str, stop: asyncio.Event | None = None
) -> None:
    """Consume items until SIGTERM/SIGINT (or `stop`), then finish in-flight ones and exit."""
    stop = stop or stop_on_signals((signal.SIGTERM,))
    redis = await connected(redis_url, settings.redis.cluster)
    limits = fetch_limits(settings)
    session = make_session(limits)
    cpu = Sandbox(settings.workers.clean_timeout_s, initializer=warm_up)
    consumer_name = f"{socket.gethostname()}-{name}-{os.getpid()}"
    try:
        await cpu.warm()
        pipeline = Pipeline(
            redis,
            session,
            limits,
            RollingStore(redis, settings.store.window_s),
            cpu,
            settings.extract.min_confidence,
        )
        consumer = Consumer(redis, consumer_name, pipeline.handle, queue_settings(settings))
        beating = asyncio.create_task(
            beat(
                redis, "worker", consumer_name, stop, lambda: {"in_flight": len(consumer.in_flight)}
            )
        )
        log.info("worker=%s started", consumer_name)
        await consumer.run(stop)
        await beating
    finally:
        await session.close()
        cpu.close()
        await redis.aclose()
        log.info("worker=%s stopped", consumer_name)


def stop_on_signals(signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> asyncio.Event:
    """An event set by the signals (every loop checks it at least once a second)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    return stop


async def beat(
    redis: Any,
    kind: str,
    name: str,
    stop: asyncio.Event,
    payload: Callable[[], dict[str, Any]] = dict,
) -> None:
    """Report `name` alive every BEAT_EVERY_S until stop; /healthz counts live beats."""
    while not stop.is_set():
        try:
            info = {"pid": os.getpid(), "host": socket.gethostname(), **payload()}
            await beats.record(redis, kind, name, info, BEAT_TTL_S)
        except Exception as e:  # Redis down: /healthz reports it; keep beating
            log.warning("beat=%s/%s failed error=%r", kind, name, e)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=BEAT_EVERY_S)
    with contextlib.suppress(Exception):
        await beats.forget(redis, kind, name)
