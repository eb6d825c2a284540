"""RollingStore: the one object the daemon holds for the store; each job lives in its module.

Commits and splits: workers/commit.py (load -> decide in workers/commitplan.py -> apply).
Reads: workers/eventreads.py. Trimming: workers/trimming.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workers import dedup, eventreads
from workers.commit import CommitConflict, CommitResult, Committer
from workers.eventreads import EventQuery
from workers.records import Article, Event, PageValidators
from workers.trimming import Trimmer

__all__ = ["CommitConflict", "CommitResult", "EventQuery", "RollingStore"]


class RollingStore:
    """Events and articles in Redis, kept for `window_s` seconds after they were first seen."""

    def __init__(self, redis: Any, window_s: float) -> None:
        self.redis = redis
        self.window_s = window_s
        self.committer = Committer(redis)
        self._trimmer = Trimmer(redis, window_s)

    async def commit(
        self,
        entry_id: str,
        article: Article,
        events: list[Event],
        now: datetime,
        polled_at: float,
        fingerprint: dedup.Fingerprint | None = None,
        page: PageValidators | None = None,
    ) -> CommitResult:
        """Judge the article, merge its events into incidents, store, log, publish, mark done."""
        return await self.committer.commit(
            entry_id, article, events, now, polled_at, fingerprint, page
        )

    async def split(
        self, event_id: str, url: str, now: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Move the reports from source `url` out of an event: (event kept, event split off)."""
        new_id = await self.committer.split(event_id, url, now)
        kept, split_off = await self.get(event_id), await self.get(new_id)
        assert kept is not None and split_off is not None
        return kept, split_off

    async def get(self, event_id: str) -> dict[str, Any] | None:
        return await eventreads.get_event(self.redis, event_id)

    async def story(self, event_id: str) -> dict[str, Any] | None:
        """The event with its version history (GET /events/{id})."""
        return await eventreads.get_story(self.redis, event_id)

    async def article(self, article_key: str) -> dict[str, Any] | None:
        return await eventreads.get_article(self.redis, article_key)

    async def query(self, q: EventQuery) -> list[dict[str, Any]]:
        """Newest first by event date, filtered by type and country, at most `q.limit`."""
        return await eventreads.query_events(self.redis, q)

    async def trim(self, now: datetime, batch: int = 500) -> int:
        """Remove events, articles and their index entries first seen before the window."""
        return await self._trimmer.trim(now, batch)
