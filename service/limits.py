"""Translate settings into the plain arguments the workers take."""

from __future__ import annotations

from service.config import Settings
from workers.fetch import FetchLimits, Politeness
from workers.queue import QueueSettings


def fetch_limits(settings: Settings) -> FetchLimits:
    f = settings.fetch
    return FetchLimits(
        timeout_s=f.timeout_s,
        max_body_bytes=f.max_body_bytes,
        max_redirects=f.max_redirects,
        allow_networks=f.allow_networks,
        user_agent=f.user_agent,
        politeness=politeness(settings),
    )


def politeness(settings: Settings) -> Politeness:
    p = settings.politeness
    return Politeness(
        host_concurrency=p.host_concurrency,
        host_rate_per_s=p.host_rate_per_s,
        max_wait_s=p.max_wait_s,
        default_pause_s=p.default_pause_s,
        robots=p.robots,
        robots_timeout_s=p.robots_timeout_s,
        robots_ttl_s=p.robots_ttl_s,
    )


def queue_settings(settings: Settings) -> QueueSettings:
    w = settings.workers
    return QueueSettings(
        concurrency=w.concurrency,
        block_ms=w.block_ms,
        claim_idle_s=w.claim_idle_s,
        max_deliveries=w.max_deliveries,
    )
