"""WebSub (W3C) subscriber: subscribe to a feed's hub, verify, accept signed pushes.

The poller calls `Subscriber.ensure` whenever a fetched feed advertises rel="hub"; that
(re)subscribes when there is no live lease or it is about to end. The hub then calls back:
GET /websub/{feed id} with a challenge (echoed once we know we asked), POST /websub/{feed id}
with new content, signed with the per-subscription secret (X-Hub-Signature: sha256=...).
Pushed entries go through the same seen-set and queue as polled ones. While pushes arrive the
feed is polled only every `websub.poll_interval_s`; when the hub goes quiet for `quiet_s`, the
lease lapses or the hub denies us, the feed is back on its normal polling schedule.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from service.poll.poller import SeenBounds, enqueue_items
from workers import keys
from workers.errors import FeedError
from workers.feeds import ParsedFeed, parse_feed
from workers.scripts import lua

log = logging.getLogger(__name__)

RESUBSCRIBE_AFTER_S = 300.0  # a pending or failed request is not repeated sooner
_DIGESTS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True, slots=True)
class WebSubConfig:
    callback_url: str = ""  # public base URL of this daemon; empty: no subscriptions
    lease_s: float = 86400.0
    renew_before_s: float = 3600.0
    timeout_s: float = 10.0


class Subscriber:
    """Asks hubs for subscriptions; one per poller process."""

    def __init__(self, redis: Any, session: aiohttp.ClientSession, cfg: WebSubConfig) -> None:
        self.redis = redis
        self.session = session
        self.cfg = cfg

    async def ensure(self, fid: str, feed_url: str, parsed: ParsedFeed) -> None:
        """Subscribe (or renew) when the feed has a hub and no lease that lasts long enough."""
        if not (self.cfg.callback_url and parsed.hub):
            return
        sub = await self.redis.hgetall(keys.websub(fid))
        now = time.time()
        lease_until = float(sub.get("lease_until") or 0)
        if sub.get("state") == "active" and lease_until - now > self.cfg.renew_before_s:
            return
        if now - float(sub.get("requested") or 0) < RESUBSCRIBE_AFTER_S:
            return
        await self.subscribe(fid, feed_url, parsed.hub, parsed.self_url or feed_url)

    async def subscribe(self, fid: str, feed_url: str, hub: str, topic: str) -> bool:
        """Send hub.mode=subscribe with a fresh secret; True when the hub accepted (2xx)."""
        secret = secrets.token_hex(32)
        await self.redis.hset(
            keys.websub(fid),
            mapping={
                "feed": feed_url,
                "hub": hub,
                "topic": topic,
                "secret": secret,
                "state": "pending",
                "requested": repr(time.time()),
            },
        )
        await self.redis.hset(keys.feed_state_by_id(fid), "hub", hub)
        form = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.callback": self.callback(fid),
            "hub.secret": secret,
            "hub.lease_seconds": str(int(self.cfg.lease_s)),
        }
        try:
            async with self.session.post(
                hub,
                data=form,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.cfg.timeout_s),
            ) as resp:
                ok = 200 <= resp.status < 300
                detail = f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            ok, detail = False, f"{type(e).__name__}: {e}"
        if not ok:
            await self.redis.hset(keys.websub(fid), "state", "failed")
            log.warning("feed=%s websub=subscribe_failed hub=%s error=%r", feed_url, hub, detail)
        else:
            log.info("feed=%s websub=subscribe_requested hub=%s", feed_url, hub)
        return ok

    def callback(self, fid: str) -> str:
        return self.cfg.callback_url.rstrip("/") + "/websub/" + fid


# --- the callback endpoint ------------------------------------------------------------------

REDIS: web.AppKey[Any] = web.AppKey("websub_redis", object)
BOUNDS: web.AppKey[SeenBounds] = web.AppKey("websub_seen_bounds", SeenBounds)
MAX_ENTRIES = 200


def add_routes(app: web.Application, redis: Any, bounds: SeenBounds) -> None:
    """`bounds`: the pollers' own (PollSettings.seen), as pushed and polled entries share one
    seen-set per feed."""
    app[REDIS] = redis
    app[BOUNDS] = bounds
    app.router.add_get("/websub/{id}", verify)
    app.router.add_post("/websub/{id}", deliver)


async def verify(request: web.Request) -> web.Response:
    """The hub's verification of intent: echo hub.challenge only for what we asked for."""
    redis, fid, q = request.app[REDIS], request.match_info["id"], request.query
    sub = await redis.hgetall(keys.websub(fid))
    mode = q.get("hub.mode", "")
    if not sub or q.get("hub.topic") != sub.get("topic"):
        return web.Response(status=404, text="unknown subscription")
    if mode == "denied":
        await _set_mode(redis, fid, "poll", state="denied")
        log.warning("feed=%s websub=denied reason=%r", sub.get("feed"), q.get("hub.reason"))
        return web.Response(text="ok")
    if mode != "subscribe" or sub.get("state") not in ("pending", "active"):
        return web.Response(status=404, text="not expecting this")
    lease_s = float(q.get("hub.lease_seconds") or 0) or 86400.0
    until = time.time() + lease_s
    await redis.hset(keys.websub(fid), mapping={"state": "active", "lease_until": repr(until)})
    await redis.hset(
        keys.feed_state_by_id(fid),
        mapping={
            "mode": "push",
            "websub_verified": repr(time.time()),
            "websub_lease_until": repr(until),
        },
    )
    log.info("feed=%s websub=active lease_s=%.0f", sub.get("feed"), lease_s)
    return web.Response(text=q.get("hub.challenge", ""))


async def deliver(request: web.Request) -> web.Response:
    """Content distribution: check the signature, then enqueue the pushed entries."""
    redis, fid = request.app[REDIS], request.match_info["id"]
    sub = await redis.hgetall(keys.websub(fid))
    if not sub or sub.get("state") != "active":
        return web.Response(status=410, text="no such subscription")
    body = await request.read()
    if not signature_ok(sub.get("secret", ""), body, request.headers.get("X-Hub-Signature", "")):
        # The spec wants a 2xx here so a forger learns nothing; the content is dropped.
        log.warning("feed=%s websub=bad_signature dropped_bytes=%d", sub.get("feed"), len(body))
        return web.Response(status=202, text="ignored")
    try:
        parsed = parse_feed(body, sub["feed"], {"Content-Type": request.content_type}, MAX_ENTRIES)
    except FeedError as e:
        log.warning("feed=%s websub=unparseable error=%r", sub.get("feed"), e.detail)
        return web.Response(status=202, text="unparseable")
    script = redis.register_script(lua("enqueue.lua"))
    # The poller's seen-set and script: an entry polled and pushed is enqueued once.
    added = await enqueue_items(redis, script, sub["feed"], parsed.items, request.app[BOUNDS])
    now = repr(time.time())
    fields = {"last_push": now, "mode": "push", **({"last_new": now} if added else {})}
    await redis.hset(keys.feed_state_by_id(fid), mapping=fields)
    if added:
        await redis.hincrby(keys.feed_state_by_id(fid), "entries_seen", len(added))
    log.info(
        "feed=%s websub=delivered entries=%d new=%d", sub["feed"], len(parsed.items), len(added)
    )
    return web.Response(status=202, text="accepted")


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    """X-Hub-Signature `method=hexdigest` is the HMAC of the body under our secret."""
    method, _, digest = header.partition("=")
    algo = _DIGESTS.get(method.strip().lower())
    if not secret or algo is None or not digest:
        return False
    expected = hmac.new(secret.encode(), body, algo).hexdigest()
    return hmac.compare_digest(expected, digest.strip().lower())


async def _set_mode(redis: Any, fid: str, mode: str, state: str) -> None:
    await redis.hset(keys.websub(fid), "state", state)
    await redis.hset(keys.feed_state_by_id(fid), "mode", mode)
