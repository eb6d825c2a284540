"""Translate settings into the plain arguments the workers take."""

from __future__ import annotations

from service.config import Settings
from workers.fetch import FetchLimits
from workers.queue import QueueSettings


def fetch_limits(settings: Settings) -> FetchLimits:
    f = settings.fetch
    return FetchLimits(timeout_s=f.timeout_s, max_body_bytes=f.max_body_bytes,
                       max_redirects=f.max_redirects, allow_networks=f.allow_networks,
                       user_agent=f.user_agent)


def queue_settings(settings: Settings) -> QueueSettings:
    w = settings.workers
    return QueueSettings(concurrency=w.concurrency, block_ms=w.block_ms,
                         claim_idle_s=w.claim_idle_s, max_deliveries=w.max_deliveries)
