"""Reads of the rolling store: one event, one article record, events by time, type, country."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workers import keys


@dataclass(frozen=True, slots=True)
class EventQuery:
    since: datetime | None = None
    until: datetime | None = None
    event_type: str | None = None
    country: str | None = None
    limit: int = 100


async def get_event(redis: Any, event_id: str) -> dict[str, Any] | None:
    raw = await redis.hget(keys.EVENT_DATA, event_id)
    return json.loads(raw) if raw else None


async def get_story(redis: Any, event_id: str) -> dict[str, Any] | None:
    """The event with its history: per version, when, what changed and from which source."""
    pipe = redis.pipeline(transaction=True)  # the event and its history as of one moment
    pipe.hget(keys.EVENT_DATA, event_id)
    pipe.hget(keys.EVENT_HISTORY, event_id)
    raw, history = await pipe.execute()
    if not raw:
        return None
    return {**json.loads(raw), "history": json.loads(history) if history else []}


async def get_article(redis: Any, article_key: str) -> dict[str, Any] | None:
    raw = await redis.hget(keys.ARTICLE_DATA, article_key)
    return json.loads(raw) if raw else None


async def query_events(redis: Any, q: EventQuery) -> list[dict[str, Any]]:
    """Newest first by event date, filtered by type and country, at most `q.limit`."""
    hi = q.until.timestamp() if q.until else "+inf"
    lo = q.since.timestamp() if q.since else "-inf"
    out: list[dict[str, Any]] = []
    offset, page = 0, max(q.limit, 200)
    while len(out) < q.limit:
        ids = await redis.zrevrangebyscore(keys.EVENTS_BY_DATE, hi, lo, start=offset, num=page)
        if not ids:
            break
        offset += len(ids)
        for raw in await redis.hmget(keys.EVENT_DATA, ids):
            event = json.loads(raw) if raw else None
            if event and _matches(event, q):
                out.append(event)
    return out[: q.limit]


def _matches(event: dict[str, Any], q: EventQuery) -> bool:
    if event.get("status") == "retracted":  # kept for GET /events/{id} and the log only
        return False
    if q.event_type and q.event_type.lower() not in (
        str(event.get("event_type", "")).lower(),
        str(event.get("sub_event_type", "")).lower(),
    ):
        return False
    return not q.country or (event.get("location") or {}).get("country") == q.country.upper()
