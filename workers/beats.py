"""Heartbeats of worker and poller processes, kept in Redis so any API process sees them all."""

from __future__ import annotations

import json
import time
from typing import Any

from workers import keys


async def record(redis: Any, kind: str, name: str, info: dict[str, Any], ttl_s: float) -> None:
    """Say that process `name` of `kind` is alive for the next `ttl_s` seconds."""
    pipe = redis.pipeline(transaction=True)
    pipe.zadd(keys.beats(kind), {name: time.time() + ttl_s})
    pipe.hset(keys.beat_info(kind), name, json.dumps(info))
    await pipe.execute()


async def forget(redis: Any, kind: str, name: str) -> None:
    pipe = redis.pipeline(transaction=True)
    pipe.zrem(keys.beats(kind), name)
    pipe.hdel(keys.beat_info(kind), name)
    await pipe.execute()


async def live(redis: Any, kind: str) -> dict[str, dict[str, Any]]:
    """Processes of `kind` whose last heartbeat has not expired, with what they reported."""
    names = await redis.zrangebyscore(keys.beats(kind), time.time(), "+inf")
    if not names:
        return {}
    infos = await redis.hmget(keys.beat_info(kind), names)
    return {n: json.loads(i) if i else {} for n, i in zip(names, infos, strict=True)}


async def prune(redis: Any, kind: str) -> int:
    """Drop processes whose heartbeat expired long ago (they died without saying so)."""
    dead = await redis.zrangebyscore(keys.beats(kind), "-inf", time.time() - 3600)
    for name in dead:
        await forget(redis, kind, name)
    return len(dead)
