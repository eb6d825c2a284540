"""The key layout: bring a keyspace written by an older newsingest to the current key names.

Layout 1 named keys "newsingest:..."; layout 2 puts every key under the hash tag {newsingest}
(workers/keys.py) so that newsingest runs on Redis Cluster. A daemon started on a layout-1
keyspace renames each old key to its new name before any role starts, so an upgrade keeps the
store, the dedup index, the queue with its pending entries, the feed state and the events log
(nothing is fetched, committed or published again). RENAME keeps values and TTLs and is atomic
per key; the layout mark is written last, so a start that dies midway is finished by the next.
Stop every process of the older version first: it would go on writing the old names.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import Any

from workers import keys
from workers.errors import IngestError

log = logging.getLogger(__name__)

LAYOUT = "2"
LOCK_TTL_S = 600
RENAME_BATCH = 500


def new_name(old: str) -> str:
    """The layout-2 name of a layout-1 key."""
    return keys.PREFIX + ":" + old[len(keys.OLD_PREFIX) :]


async def ensure(redis: Any, cluster: bool = False, wait_s: float = LOCK_TTL_S) -> int:
    """Bring the keyspace to the current layout; returns how many keys were renamed."""
    if await redis.get(keys.LAYOUT) == LAYOUT:
        return 0
    if cluster:
        # Layout 1 never ran on a cluster (its scripts spanned slots): nothing to rename.
        await redis.set(keys.LAYOUT, LAYOUT)
        return 0
    token = f"{socket.gethostname()}:{os.getpid()}"
    if not await redis.set(keys.LAYOUT_LOCK, token, nx=True, ex=LOCK_TTL_S):
        await _wait_for_layout(redis, wait_s)
        return 0
    try:
        renamed = await _rename_old_keys(redis)
        await redis.set(keys.LAYOUT, LAYOUT)
    finally:
        await redis.delete(keys.LAYOUT_LOCK)
    if renamed:
        log.info(
            "redis key layout %s: renamed %d keys from newsingest:* to %s:*",
            LAYOUT,
            renamed,
            keys.PREFIX,
        )
    return renamed


async def _rename_old_keys(redis: Any) -> int:
    renamed = 0
    batch: list[str] = []
    async for name in redis.scan_iter(match=keys.OLD_PREFIX + "*", count=1000):
        batch.append(name)
        if len(batch) >= RENAME_BATCH:
            renamed += await _rename(redis, batch)
            batch = []
    return renamed + (await _rename(redis, batch) if batch else 0)


async def _rename(redis: Any, names: list[str]) -> int:
    """RENAMENX each name: a new name that already exists is never overwritten (it would mean a
    process of this version wrote it before the layout was marked), only reported."""
    pipe = redis.pipeline(transaction=False)
    for name in names:
        pipe.renamenx(name, new_name(name))
    done = 0
    for name, result in zip(names, await pipe.execute(raise_on_error=False), strict=True):
        if result is True or result == 1:
            done += 1
        elif result is False or result == 0:
            log.warning("redis key layout: %s kept, %s exists already", name, new_name(name))
        # else: gone meanwhile (an expiring key, another renamer): nothing to move
    return done


async def _wait_for_layout(redis: Any, wait_s: float) -> None:
    """Another process holds the lock and renames: wait until it marks the layout."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if await redis.get(keys.LAYOUT) == LAYOUT:
            return
        if not await redis.exists(keys.LAYOUT_LOCK):
            # Its holder died before the mark: take over.
            await ensure(redis, wait_s=max(0.0, deadline - time.monotonic()))
            return
        await asyncio.sleep(0.2)
    raise IngestError(keys.LAYOUT, f"still being renamed by another process after {wait_s:.0f}s")
