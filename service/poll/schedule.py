"""The feed schedule in Redis: due feeds claimed atomically with a lease, then finished."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from redis.exceptions import NoScriptError

from workers import keys, metrics
from workers.politeness import gated_script
from workers.scripts import lua


@dataclass(frozen=True, slots=True)
class Claim:
    """One feed this poller holds a lease on."""

    feed_id: str
    due: float
    token: str
    state: dict[str, str]


@dataclass(frozen=True, slots=True)
class Finish:
    """What one poll leaves behind in Redis."""

    next_due: float | None  # None: paused, not rescheduled
    outcome: str  # the newsingest_feed_polls label
    entries: int = 0  # new entries enqueued
    host_paused_until: float | None = None
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Gate:
    """Per-host politeness applied inside the claim."""

    concurrency: int = 2
    spacing_s: float = 1.0


class RedisSchedule:
    """Claims and finishes polls; every poller process has one."""

    def __init__(self, redis: Any, owner: str, lease_s: float, gate: Gate) -> None:
        self.redis = redis
        self.owner = owner
        self.lease_s = lease_s
        self.gate = gate
        self._claim = redis.register_script(gated_script("claim.lua"))
        self._finish = redis.register_script(lua("finish.lua"))

    async def claim(self, limit: int) -> tuple[list[Claim], float | None]:
        """Up to `limit` due feeds whose hosts have room, and when the next feed is due."""
        raw = await self._claim(
            keys=[keys.FEED_DUE, keys.FEED_LEASES, keys.FEED_LEASE_OWNER],
            args=[
                time.time(),
                self.lease_s,
                limit,
                self.owner,
                keys.FEED_STATE_PREFIX,
                keys.HOST_PREFIX,
                self.gate.concurrency,
                self.gate.spacing_s,
                limit * 4,
            ],
        )
        head = float(raw[0]) if raw[0] else None
        claims = []
        for i in range(1, len(raw), 4):
            flat = raw[i + 3]
            claims.append(
                Claim(
                    raw[i],
                    float(raw[i + 1]),
                    raw[i + 2],
                    dict(zip(flat[::2], flat[1::2], strict=True)),
                )
            )
        return claims, head

    async def finish(self, claim: Claim, done: Finish) -> bool:
        """Record the poll; False when the lease was lost or the feed removed meanwhile."""
        return (await self.finish_many([(claim, done)]))[0]

    async def finish_many(self, batch: list[tuple[Claim, Finish]]) -> list[bool]:
        """Several finishes in one round trip (a pipeline of script calls)."""
        try:
            return await self._finish_pipelined(batch)
        except NoScriptError:
            # A cluster pipeline sends EVALSHA without loading the script first (a plain one
            # loads it), and a promoted replica has no script cache. NOSCRIPT means no call of
            # the batch ran (all its keys are on one node): load the script there, send again.
            await self.redis.script_load(self._finish.script)
            return await self._finish_pipelined(batch)

    async def _finish_pipelined(self, batch: list[tuple[Claim, Finish]]) -> list[bool]:
        # `async with`: a pipeline of script calls loads the scripts before execute()'s own
        # clean-up is armed, so a Redis reset there would leave the pipeline holding its
        # connection ("Unclosed Pipeline client"); the context manager resets it always.
        async with self.redis.pipeline(transaction=False) as pipe:
            for claim, done in batch:
                await self._finish_call(claim, done, pipe)
            return [bool(r) for r in await pipe.execute()]

    async def _finish_call(self, claim: Claim, done: Finish, client: Any) -> Any:
        """Queue one finish on a pipeline (the asyncio Script call queues when awaited)."""
        host = claim.state.get("host", "")
        args: list[Any] = [
            claim.feed_id,
            claim.token,
            "" if done.next_due is None else repr(done.next_due),
            metrics.field("newsingest_feed_polls", outcome=done.outcome),
            done.entries,
            "" if done.host_paused_until is None else repr(done.host_paused_until),
        ]
        for name, value in done.fields:
            args += [name, value]
        return await self._finish(
            keys=[
                keys.FEED_DUE,
                keys.FEED_LEASES,
                keys.FEED_LEASE_OWNER,
                keys.FEED_LIST,
                keys.feed_state_by_id(claim.feed_id),
                keys.METRICS,
                keys.host(host),
                keys.host_inflight(host),
            ],
            args=args,
            client=client,
        )


class FinishBatcher:
    """Coalesces the finishes of concurrent polls into pipelines: one round trip for many."""

    MAX_BATCH = 512

    def __init__(self, schedule: RedisSchedule) -> None:
        self.schedule = schedule
        self._pending: list[tuple[Claim, Finish, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def finish(self, claim: Claim, done: Finish) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((claim, done, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self.MAX_BATCH]
            del self._pending[: self.MAX_BATCH]
            try:
                results = await self.schedule.finish_many([(c, d) for c, d, _ in batch])
            except Exception as e:  # Redis away: the polls' leases expire and they are redone
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(e)
                continue
            for (_, _, future), ok in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(ok)
