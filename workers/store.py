"""RollingStore: commit a processed entry atomically, query events by time/type/country, trim by age."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from workers import keys, metrics
from workers.records import Article, Event, iso, parse_iso

# Fields the commit script adds to an event body; the body itself is serialised without them.
_STAMPS = ("first_seen", "updated", "version")


@dataclass(frozen=True, slots=True)
class CommitResult:
    verdict: str        # new | duplicate | update | done (this entry was committed before)
    reason: str
    matched: str | None
    created: int
    updated: int


@dataclass(frozen=True, slots=True)
class EventQuery:
    since: datetime | None = None
    until: datetime | None = None
    event_type: str | None = None
    country: str | None = None
    limit: int = 100


def _script(name: str) -> str:
    return resources.files("workers").joinpath("lua", name).read_text(encoding="utf-8")


def event_body(event: Event) -> str:
    """The event's JSON without the store's stamps; the commit script appends them."""
    d = event.to_dict()
    for k in _STAMPS:
        d.pop(k, None)
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


def _date_epoch(event: Event, fallback: datetime) -> float:
    dt = parse_iso(event.date) or fallback
    return dt.timestamp()


class RollingStore:
    """Events and articles in Redis, kept for `window_s` seconds after they were first seen."""

    def __init__(self, redis: Any, window_s: float) -> None:
        self.redis = redis
        self.window_s = window_s
        self._commit = redis.register_script(_script("commit.lua"))
        self._trim = redis.register_script(_script("trim.lua"))

    async def commit(self, entry_id: str, article: Article, events: list[Event],
                     now: datetime, polled_at: float) -> CommitResult:
        """Store the article and its events, log and publish them, and mark the entry done."""
        args: list[Any] = [
            entry_id, article.key, article.canonical_url, article.text_hash, article.to_json(),
            now.timestamp(), iso(now), keys.EVENTS_CHANNEL, polled_at,
            metrics.field("newsingest_articles", verdict=""),
            metrics.field("newsingest_events_published", kind=""),
            len(events),
        ]
        for ev in events:
            body = event_body(ev)
            args += [ev.id, body, hashlib.sha1(body.encode()).hexdigest()[:16],
                     _date_epoch(ev, now)]
        commit_keys = [keys.DONE_ITEMS, keys.DEDUP_URL, keys.DEDUP_TEXT, keys.ARTICLE_DATA,
                       keys.ARTICLES_BY_SEEN, keys.EVENT_DATA, keys.EVENT_META,
                       keys.EVENTS_BY_DATE, keys.EVENTS_BY_SEEN, keys.EVENTS_STREAM,
                       keys.METRICS]
        verdict, reason, matched, created, updated = await self._commit(keys=commit_keys, args=args)
        return CommitResult(verdict, reason, matched or None, int(created), int(updated))

    async def get(self, event_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(keys.EVENT_DATA, event_id)
        return json.loads(raw) if raw else None

    async def article(self, article_key: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(keys.ARTICLE_DATA, article_key)
        return json.loads(raw) if raw else None

    async def query(self, q: EventQuery) -> list[dict[str, Any]]:
        """Newest first by event date, filtered by type and country, at most `q.limit`."""
        hi = q.until.timestamp() if q.until else "+inf"
        lo = q.since.timestamp() if q.since else "-inf"
        out: list[dict[str, Any]] = []
        offset, page = 0, max(q.limit, 200)
        while len(out) < q.limit:
            ids = await self.redis.zrevrangebyscore(keys.EVENTS_BY_DATE, hi, lo,
                                                    start=offset, num=page)
            if not ids:
                break
            offset += len(ids)
            for raw in await self.redis.hmget(keys.EVENT_DATA, ids):
                event = json.loads(raw) if raw else None
                if event and _matches(event, q):
                    out.append(event)
        return out[: q.limit]

    async def trim(self, now: datetime, batch: int = 500) -> int:
        """Remove events and articles first seen before the window; returns how many."""
        cutoff = now.timestamp() - self.window_s
        trim_keys = [keys.EVENT_DATA, keys.EVENT_META, keys.EVENTS_BY_DATE, keys.EVENTS_BY_SEEN,
                     keys.ARTICLE_DATA, keys.ARTICLES_BY_SEEN, keys.DEDUP_URL, keys.DEDUP_TEXT,
                     keys.DONE_ITEMS, keys.EVENTS_STREAM]
        total = 0
        while True:
            removed = int(await self._trim(keys=trim_keys, args=[cutoff, batch]))
            total += removed
            if removed == 0:
                return total


def _matches(event: dict[str, Any], q: EventQuery) -> bool:
    if q.event_type and q.event_type.lower() not in (
        str(event.get("event_type", "")).lower(), str(event.get("sub_event_type", "")).lower()
    ):
        return False
    if q.country and (event.get("location") or {}).get("country", "") != q.country.upper():
        return False
    return True
