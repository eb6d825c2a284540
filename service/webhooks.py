"""Webhook delivery: each configured target gets every matching log message, in log order.

Per target, one process at a time holds a lease in Redis and delivers; the target's cursor
(the last log id handled) and its retry state live in Redis too, so whichever daemon process
holds the lease next, after a restart or a crash, carries on where the last one stopped. A
message is POSTed as JSON, signed (X-Newsingest-Signature: sha256=HMAC of the body) and
carrying its log id as idempotency id (X-Newsingest-Id, also Idempotency-Key), which stays the
same across retries. Errors, timeouts and 5xx are retried with exponential backoff; after
`max_attempts`, or at once for a refusal (SSRF guard) or a 4xx no retry can fix, the message
goes to the target's dead-letter stream and the cursor moves on. The next message is not
sent before the current one is settled, so the target sees messages in log order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from redis.exceptions import RedisError

from service.config import WebhookSettings
from workers import eventlog, keys, metrics, webhooks
from workers.errors import FetchError, FetchRefused
from workers.eventlog import LogEntry
from workers.fetch import FetchLimits, make_session, post
from workers.scripts import lua
from workers.webhooks import Target

log = logging.getLogger(__name__)

LEASE_S = 30.0  # renewed at least every third of this while delivering or waiting
IDLE_POLL_S = 1.0  # a process without the lease asks again this often (quick handover)
READ_BLOCK_MS = 1000


@dataclass(frozen=True, slots=True)
class Step:
    action: str  # skip | delivered | failed | dead
    attempts: int = 0
    next_at: float = 0.0
    error: str = ""
    status: int = 0


class TargetLoop:
    """Delivers to one target while this process holds its lease."""

    def __init__(
        self,
        redis: Any,
        session: aiohttp.ClientSession,
        target: Target,
        token: str,
        lease_s: float = LEASE_S,
    ) -> None:
        self.redis = redis
        self.session = session
        self.target = target
        self.token = token
        self.lease_s = lease_s
        self._lease = redis.register_script(lua("webhook_lease.lua"))
        self._step = redis.register_script(lua("webhook_step.lua"))

    async def _register(self) -> None:
        state_key = keys.webhook(self.target.id)
        await self.redis.hset(state_key, "url", self.target.url)
        # A new target starts at the end of the log: it gets what is committed from now on.
        await self.redis.hsetnx(state_key, "cursor", await eventlog.last_id(self.redis))

    async def run(self, stop: asyncio.Event) -> None:
        registered = False
        try:
            while not stop.is_set():
                try:
                    if not registered:
                        await self._register()
                        registered = True
                    await self._turn(stop)
                except RedisError as e:  # Redis away: nothing moves until it is back
                    log.warning("webhook=%s error=%r; retrying", self.target.url, e)
                    await _sleep_unless(stop, 1.0)
        finally:
            with contextlib.suppress(Exception):
                await self._lease(keys=[keys.webhook_lease(self.target.id)], args=[self.token, 0])

    async def _hold(self) -> bool:
        held = await self._lease(
            keys=[keys.webhook_lease(self.target.id)],
            args=[self.token, int(self.lease_s * 1000)],
        )
        return bool(held)

    async def _turn(self, stop: asyncio.Event) -> None:
        """One step: wait for the lease, a message or a retry time, or settle one attempt."""
        if not await self._hold():
            await _sleep_unless(stop, min(IDLE_POLL_S, self.lease_s / 3))
            return
        state = await self.redis.hgetall(keys.webhook(self.target.id))
        entries = await eventlog.read_after(
            self.redis, state["cursor"], count=1, block_ms=READ_BLOCK_MS
        )
        if not entries:
            return
        entry = entries[0]
        if not self.target.filter.matches(entry):
            await self._record(entry, Step("skip"))
            return
        attempts = int(state.get("attempts") or 0)
        wait_s = float(state.get("next_at") or 0) - time.time() if attempts else 0.0
        if wait_s > 0:
            await _sleep_unless(stop, min(wait_s, self.lease_s / 3))
            return
        outcome = await _unless_stopped(stop, self._attempt(entry, attempts + 1))
        if outcome is not None:
            await self._record(entry, outcome)

    async def _attempt(self, entry: LogEntry, attempt: int) -> Step:
        body = entry.line().encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            webhooks.SIGNATURE_HEADER: webhooks.sign(self.target.secret, body),
            webhooks.ID_HEADER: entry.log_id,
            "Idempotency-Key": entry.log_id,
            webhooks.KIND_HEADER: entry.kind,
        }
        try:
            status = await post(self.session, self.target.url, body, headers, self.target.timeout_s)
        except FetchError as e:
            return self._failure(entry, attempt, e)
        return Step("delivered", attempt, status=status)

    def _failure(self, entry: LogEntry, attempt: int, e: FetchError) -> Step:
        error = (
            f"refused {e.reason_code}: {e.detail}"
            if isinstance(e, FetchRefused)
            else f"{type(e).__name__}: {e.detail or e}"
        )
        if webhooks.retryable(e) and attempt < self.target.max_attempts:
            delay = max(webhooks.backoff_s(attempt, self.target), e.retry_after_s or 0.0)
            delay = min(delay, max(self.target.backoff_max_s, 1.0) * 2)
            log.info(
                "webhook=%s log_id=%s outcome=retry attempt=%d in_s=%.1f error=%s",
                self.target.url, entry.log_id, attempt, delay, error,
            )  # fmt: skip
            return Step("failed", attempt, time.time() + delay, error, e.status or 0)
        log.warning(
            "webhook=%s log_id=%s outcome=dead_lettered attempts=%d error=%s",
            self.target.url, entry.log_id, attempt, error,
        )  # fmt: skip
        return Step("dead", attempt, 0.0, error, e.status or 0)

    async def _record(self, entry: LogEntry, step: Step) -> None:
        counted = (
            metrics.field(
                "newsingest_webhook_deliveries", outcome=step.action, target=self.target.id
            )
            if step.action != "skip"
            else ""
        )
        tid = self.target.id
        await self._step(
            keys=[keys.webhook_lease(tid), keys.webhook(tid), keys.webhook_dead(tid), keys.METRICS],
            args=[
                self.token,
                step.action,
                entry.log_id,
                step.attempts,
                step.next_at,
                step.error,
                entry.line(),
                step.status,
                counted,
                time.time(),
            ],
        )


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))


async def _unless_stopped(stop: asyncio.Event, work: Any) -> Step | None:
    """The attempt's outcome, or None when the daemon stops first (it is retried after)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if task.done():
        result: Step = task.result()
        return result
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None


async def deliver(
    redis: Any, targets: list[Target], limits: FetchLimits, stop: asyncio.Event
) -> None:
    """Run a delivery loop per target until `stop`; one guarded HTTP session for all."""
    if not targets:
        return
    token = secrets.token_hex(8)
    session = make_session(limits)
    try:
        loops = [TargetLoop(redis, session, t, token) for t in targets]
        await asyncio.gather(*(loop.run(stop) for loop in loops))
    finally:
        await session.close()


BEHIND_CAP = 10_000  # GET /webhooks counts the messages not yet handled up to this many


async def status(redis: Any, target: Target) -> dict[str, Any]:
    """A target's delivery state: cursor, messages behind it, retry state, counts (no secret)."""
    raw = await redis.hgetall(keys.webhook(target.id))
    cursor = raw.get("cursor")
    behind = (
        len(await redis.xrange(keys.EVENTS_STREAM, min=f"({cursor}", count=BEHIND_CAP))
        if cursor
        else 0
    )

    def number(name: str, kind: type[int] | type[float]) -> int | float | None:
        return kind(raw[name]) if raw.get(name) not in (None, "") else None

    return {
        "id": target.id,
        "url": target.url,
        "cursor": cursor,
        "behind": behind,
        "attempts": number("attempts", int) or 0,
        "next_at": number("next_at", float) if number("attempts", int) else None,
        "delivered": number("delivered", int) or 0,
        "dead": number("dead", int) or 0,
        "dead_letters": int(await redis.xlen(keys.webhook_dead(target.id))),
        "last_status": number("last_status", int),
        "last_error": raw.get("last_error"),
        "last_delivered": number("last_delivered", float),
    }


TARGETS: web.AppKey[tuple[Target, ...]] = web.AppKey("webhook_targets", tuple)


async def list_targets(request: web.Request) -> web.Response:
    """GET /webhooks: every configured target's delivery state."""
    redis = request.app[REDIS]
    found = [await status(redis, t) for t in request.app[TARGETS]]
    return web.json_response({"count": len(found), "webhooks": found})


REDIS: web.AppKey[Any] = web.AppKey("webhooks_redis", object)


def add_routes(app: web.Application, redis: Any, targets: tuple[Target, ...]) -> None:
    app[REDIS] = redis
    app[TARGETS] = targets
    app.router.add_get("/webhooks", list_targets)


def targets_from(hooks: tuple[WebhookSettings, ...]) -> list[Target]:
    """Targets from the [[webhooks]] settings; a bad filter names its table."""
    return [
        Target(
            url=h.url,
            secret=h.secret,
            filter=eventlog.make_filter(
                h.type, h.country, h.min_confidence or None, h.kind, source=f"webhooks[{i}]"
            ),
            max_attempts=h.max_attempts,
            backoff_s=h.backoff_s,
            backoff_max_s=h.backoff_max_s,
            timeout_s=h.timeout_s,
        )
        for i, h in enumerate(hooks)
    ]
