"""Per-host politeness shared through Redis, robots.txt, and one log line per refusal.

Pollers take their host slot inside the claim script (service/poll); article-page fetches
take theirs here, through the same Redis keys and the same Lua gate, so a host sees one
polite client however many processes run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.robotparser import RobotFileParser

import aiohttp
from yarl import URL

from workers import keys, metrics
from workers.errors import FetchError, FetchRefused, HostPaused
from workers.fetch import FetchLimits, FetchResult, Politeness, fetch
from workers.scripts import lua

log = logging.getLogger(__name__)

ROBOTS_AGENT = "newsingest"
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks parsers to read at least 500 KiB
ROBOTS_RETRY_S = 600.0  # an unreachable robots.txt is asked again after this
_UNREACHABLE = "\x00unreachable"  # cached marker: robots.txt answered 5xx or not at all
_PAUSE_STATUSES = frozenset({429, 503})


def gated_script(name: str) -> str:
    """A script that calls gate(): gate.lua's function prepended to it."""
    return lua("gate.lua", name)


def host_of(url: str) -> str:
    """The politeness key of a URL: its lower-cased host name ('' when it has none)."""
    try:
        return (URL(url).host or "").lower()
    except (ValueError, UnicodeError):
        return ""


def spacing_s(p: Politeness) -> float:
    return 1.0 / p.host_rate_per_s if p.host_rate_per_s > 0 else 0.0


async def note_refusal(redis: Any, e: FetchRefused, stage: str) -> None:
    """One log line with the URL and reason, and the newsingest_fetch_refused count."""
    log.warning(
        "url=%s refused reason=%s stage=%s detail=%r", e.source, e.reason_code, stage, e.detail
    )
    await metrics.incr(redis, "newsingest_fetch_refused", reason=e.reason_code)


class HostGate:
    """Request slots per host: a cap on requests in flight, a rate, and pauses after 429/503."""

    def __init__(self, redis: Any, p: Politeness) -> None:
        self.redis = redis
        self.p = p
        self._acquire = redis.register_script(gated_script("acquire.lua"))

    async def try_acquire(self, host: str, token: str, hold_s: float) -> float:
        """0 when a slot was taken for `token`, else seconds until one may be free."""
        wait = await self._acquire(
            keys=[keys.host(host), keys.host_inflight(host)],
            args=[time.time(), token, self.p.host_concurrency, spacing_s(self.p), hold_s],
        )
        return float(wait)

    @contextlib.asynccontextmanager
    async def slot(self, url: str, hold_s: float) -> AsyncIterator[str]:
        """Hold one slot of `url`'s host; HostPaused (the entry is deferred, not failed) when
        the wait would pass max_wait_s."""
        host, token = host_of(url), uuid.uuid4().hex
        deadline = time.monotonic() + self.p.max_wait_s
        while (wait := await self.try_acquire(host, token, hold_s)) > 0:
            if time.monotonic() + wait > deadline:
                raise HostPaused(
                    url, f"host {host} busy or paused for {wait:.1f}s", retry_after_s=wait
                )
            await asyncio.sleep(min(wait, 1.0))
        try:
            yield host
        finally:
            await self.redis.zrem(keys.host_inflight(host), token)

    async def pause(self, host: str, seconds: float | None) -> float:
        """Pause `host` for everyone (a 429 or 503 said so); never shortens a longer pause.
        Returns the seconds until the host's pause ends."""
        pause = min(self.p.max_pause_s, seconds if seconds is not None else self.p.default_pause_s)
        now = time.time()
        until = now + pause
        current = float(await self.redis.hget(keys.host(host), "paused_until") or 0)
        if until > current:
            await self.redis.hset(keys.host(host), "paused_until", until)
            await self.redis.expire(keys.host(host), int(pause) + 86400)
        log.warning("host=%s paused_s=%.0f", host, pause)
        return max(until, current) - now


class Robots:
    """robots.txt per host, cached in Redis for every process and parsed once per process."""

    def __init__(
        self, redis: Any, session: aiohttp.ClientSession, limits: FetchLimits, gate: HostGate
    ) -> None:
        self.redis = redis
        self.session = session
        self.gate = gate
        self._locks: dict[str, asyncio.Lock] = {}
        self.limits = FetchLimits(
            timeout_s=limits.politeness.robots_timeout_s,
            max_body_bytes=ROBOTS_MAX_BYTES,
            max_redirects=5,
            allow_networks=limits.allow_networks,
            user_agent=limits.user_agent,
            politeness=limits.politeness,
        )
        self._parsed: dict[str, tuple[float, RobotFileParser | None]] = {}

    async def check(self, url: str) -> None:
        """Raise FetchRefused('robots') when disallowed, FetchError while robots.txt is down."""
        host = host_of(url)
        parser = await self._parser(url, host)
        if parser is None:
            raise FetchError(url, f"robots.txt of {host} unreachable", retry_after_s=ROBOTS_RETRY_S)
        if not parser.can_fetch(ROBOTS_AGENT, url):
            raise FetchRefused(url, "robots", f"robots.txt of {host} disallows it")

    async def _parser(self, url: str, host: str) -> RobotFileParser | None:
        cached = self._parsed.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        # One download per host and process however many of its pages arrive at once.
        async with self._locks.setdefault(host, asyncio.Lock()):
            text = await self.redis.get(keys.robots(host))
            if text is None:
                text, ttl = await self._download(url)
                await self.redis.set(keys.robots(host), text, ex=max(1, int(ttl)))
        parser = None if text == _UNREACHABLE else _parse(text)
        self._parsed[host] = (time.monotonic() + 60.0, parser)
        return parser

    async def _download(self, url: str) -> tuple[str, float]:
        """robots.txt text and how long to keep it; RFC 9309: 4xx allows all, 5xx none."""
        target = str(URL(url).with_path("/robots.txt").with_query(None).with_fragment(None))
        try:
            async with self.gate.slot(target, self.limits.timeout_s + 5.0):
                result = await fetch(self.session, target, self.limits)
        except (FetchRefused, HostPaused):
            raise  # refused, or the host is paused: the page is deferred, nothing cached
        except FetchError as e:
            if e.status is not None and 400 <= e.status < 500:
                return "", self.limits.politeness.robots_ttl_s
            log.info("url=%s robots=unreachable error=%r", target, e.detail)
            return _UNREACHABLE, ROBOTS_RETRY_S
        return result.body.decode("utf-8", "replace"), self.limits.politeness.robots_ttl_s


def _parse(text: str) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return parser


_GATES: dict[int, tuple[HostGate, Robots]] = {}


def _for(
    redis: Any, session: aiohttp.ClientSession, limits: FetchLimits
) -> tuple[HostGate, Robots]:
    # One gate and robots cache per Redis client: the pipeline has no field for them.
    found = _GATES.get(id(redis))
    if found is None or found[0].redis is not redis:
        gate = HostGate(redis, limits.politeness)
        found = (gate, Robots(redis, session, limits, gate))
        _GATES[id(redis)] = found
    return found


async def polite_fetch(
    redis: Any,
    session: aiohttp.ClientSession,
    url: str,
    limits: FetchLimits,
    headers: Mapping[str, str] | None = None,
    robots: bool = True,
) -> FetchResult:
    """fetch() inside the host's shared limits, after robots.txt when `robots` is on."""
    gate, robots_cache = _for(redis, session, limits)
    if robots and limits.politeness.robots:
        await robots_cache.check(url)
    async with gate.slot(url, limits.timeout_s + 5.0) as host:
        try:
            return await fetch(session, url, limits, headers)
        except FetchError as e:
            if e.status not in _PAUSE_STATUSES:
                raise
            paused_s = await gate.pause(host, e.retry_after_s)
            raise HostPaused(
                url, e.detail, retry_after_s=paused_s, status=e.status, answered=True
            ) from e
