"""make_app: /livez /readyz /healthz /metrics /events over aiohttp.web."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from service import access, feedsapi, openapi, page, sse, webhooks
from service.poll.poller import SeenBounds
from workers import beats, keys, metrics
from workers.records import parse_iso
from workers.store import EventQuery, RollingStore
from workers.webhooks import Target

MAX_LIMIT = 1000


@dataclass
class AppState:
    """What the HTTP handlers read; the daemon flips `draining` on shutdown."""

    redis: Any
    store: RollingStore
    expect_workers: bool = True
    expect_pollers: bool = True
    draining: bool = False
    started: float = field(default_factory=time.time)
    policy: access.AccessPolicy = field(default_factory=access.AccessPolicy)
    stream: sse.StreamSettings = field(default_factory=sse.StreamSettings)
    webhooks: tuple[Target, ...] = ()
    seen: SeenBounds = field(default_factory=SeenBounds)  # WebSub pushes enqueue under these


STATE: web.AppKey[AppState] = web.AppKey("state", AppState)


def make_app(state: AppState) -> web.Application:
    app = web.Application(middlewares=[access.middleware(state.policy)])
    app[STATE] = state
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/events", events)
    sse.add_routes(app, state.redis, state.stream)  # /events/stream, before /events/{id}
    app.router.add_get("/events/{id}", event_by_id)
    feedsapi.add_routes(app, state.redis, state.seen)  # /feeds and the WebSub callback
    app.router.add_post("/events/{id}/split", split_event)
    openapi.add_routes(app)
    page.add_routes(app)
    webhooks.add_routes(app, state.redis, state.webhooks)
    return app


async def livez(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if state.draining:
        return web.json_response({"status": "draining"}, status=503)
    if not await _redis_ok(state.redis):
        return web.json_response({"status": "redis unreachable"}, status=503)
    return web.json_response({"status": "ready"})


async def _redis_ok(redis: Any) -> bool:
    try:
        return bool(await redis.ping())
    except Exception:
        return False


async def healthz(request: web.Request) -> web.Response:
    """200 when Redis answers and live pollers and workers beat; the body says per component."""
    state = request.app[STATE]
    body: dict[str, Any] = {"redis": {"ok": await _redis_ok(state.redis)}}
    if body["redis"]["ok"]:
        body["workers"] = await _beats(state.redis, "worker", state.expect_workers)
        body["pollers"] = await _beats(state.redis, "poller", state.expect_pollers)
        body["queue"] = await queue_stats(state.redis)
    healthy = all(part.get("ok", True) for part in body.values()) and not state.draining
    body["status"] = "ok" if healthy else ("draining" if state.draining else "unhealthy")
    return web.json_response(body, status=200 if healthy else 503)


async def _beats(redis: Any, kind: str, expected: bool) -> dict[str, Any]:
    live = len(await beats.live(redis, kind))
    return {"ok": live > 0 or not expected, "live": live}


async def queue_stats(redis: Any) -> dict[str, Any]:
    """Pending (delivered, not acked) and lag (not yet delivered) of the items stream."""
    try:
        groups = await redis.xinfo_groups(keys.ITEMS_STREAM)
    except Exception:  # stream not created yet
        groups = []
    group: dict[str, Any] = next((g for g in groups if g.get("name") == keys.ITEMS_GROUP), {})
    return {
        "length": await redis.xlen(keys.ITEMS_STREAM),
        "pending": int(group.get("pending") or 0),
        "lag": int(group.get("lag") or 0),
        "dead_letters": await redis.xlen(keys.DEAD_STREAM),
    }


class _Snapshot(Collector):
    """Renders a snapshot of the shared Redis metrics hash and the queue gauges."""

    def __init__(self, raw: dict[str, str], queue: dict[str, Any]) -> None:
        self.raw = raw
        self.queue = queue

    def collect(self) -> Any:
        yield from self._counters()
        yield from self._histograms()
        pending = GaugeMetricFamily(
            "newsingest_queue_pending",
            "Entries delivered to a worker and not yet acknowledged.",
            labels=["stream"],
        )
        pending.add_metric([keys.ITEMS_STREAM], self.queue["pending"])
        pending.add_metric([keys.DEAD_STREAM], self.queue["dead_letters"])
        yield pending
        lag = GaugeMetricFamily(
            "newsingest_queue_lag", "Entries not yet delivered to any worker.", labels=["stream"]
        )
        lag.add_metric([keys.ITEMS_STREAM], self.queue["lag"])
        yield lag

    def _counters(self) -> Any:
        parsed = [(metrics.parse_field(k), float(v)) for k, v in self.raw.items()]
        for name, help_text in metrics.COUNTERS.items():
            rows = [(labels, v) for (n, labels), v in parsed if n == name]
            label_names = sorted({k for labels, _ in rows for k in labels})
            family = CounterMetricFamily(name, help_text, labels=label_names)
            for labels, value in rows:
                family.add_metric([labels.get(k, "") for k in label_names], value)
            yield family

    def _histograms(self) -> Any:
        for name, (help_text, bounds) in metrics.HISTOGRAMS.items():
            buckets = []
            for b in bounds:
                le = repr(float(b))
                buckets.append((le, float(self.raw.get(metrics.field(name + "_bucket", le=le), 0))))
            inf = metrics.field(name + "_bucket", le="+Inf")
            buckets.append(("+Inf", float(self.raw.get(inf, 0))))
            total = float(self.raw.get(metrics.field(name + "_sum"), 0))
            yield HistogramMetricFamily(name, help_text, buckets=buckets, sum_value=total)


async def metrics_endpoint(request: web.Request) -> web.Response:
    state = request.app[STATE]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        _Snapshot(await state.redis.hgetall(keys.METRICS), await queue_stats(state.redis))
    )
    return web.Response(
        body=generate_latest(registry),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


def _time_param(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except ValueError:
        pass
    parsed = parse_iso(raw)
    if parsed is None:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"{name}: not an ISO time or epoch"}),
            content_type="application/json",
        )
    return parsed


def _limit_param(request: web.Request) -> int:
    raw = request.query.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"limit: 1..{MAX_LIMIT}"}), content_type="application/json"
        )
    return int(raw)


async def events(request: web.Request) -> web.Response:
    """Recent events from the rolling store, newest first."""
    q = EventQuery(
        since=_time_param(request, "since"),
        until=_time_param(request, "until"),
        event_type=request.query.get("type") or None,
        country=request.query.get("country") or None,
        limit=_limit_param(request),
    )
    found = await request.app[STATE].store.query(q)
    return web.json_response({"count": len(found), "events": found})


async def event_by_id(request: web.Request) -> web.Response:
    """One event with its version history: what changed, when, from which source."""
    event = await request.app[STATE].store.story(request.match_info["id"])
    if event is None:
        raise web.HTTPNotFound(
            text=json.dumps({"error": "no such event"}), content_type="application/json"
        )
    return web.json_response(event)


async def split_event(request: web.Request) -> web.Response:
    """Undo a wrong merge: the source named by `url` (query or JSON body) becomes its own event."""
    url = request.query.get("url")
    if not url and request.can_read_body:
        try:
            url = (await request.json()).get("url")
        except (ValueError, AttributeError):
            url = None
    if not url:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "url: the source to split off"}),
            content_type="application/json",
        )
    try:
        kept, split_off = await request.app[STATE].store.split(
            request.match_info["id"], url, datetime.now(UTC)
        )
    except KeyError:
        raise web.HTTPNotFound(
            text=json.dumps({"error": "no such event"}), content_type="application/json"
        ) from None
    except ValueError as e:
        raise web.HTTPConflict(
            text=json.dumps({"error": str(e)}), content_type="application/json"
        ) from None
    return web.json_response({"event": kept, "split": split_off})
