"""Trimming the rolling store by time, in bounded batches (trim.lua does the removals)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from redis.client import NEVER_DECODE

from workers import dedupindex, keys
from workers.scripts import lua

TRIM_KEYS = [
    keys.EVENT_DATA,
    keys.EVENT_META,
    keys.EVENTS_BY_DATE,
    keys.EVENTS_BY_SEEN,
    keys.ARTICLE_DATA,
    keys.ARTICLES_BY_SEEN,
    keys.DEDUP_URL_PREFIX,
    keys.DEDUP_TEXT_PREFIX,
    keys.DONE_ITEMS,
    keys.EVENTS_STREAM,
    keys.DEDUP_FP,
    keys.EVENT_REPORTS,
    keys.REPORT_EVENT,
    keys.PAGE_VALIDATORS,
    keys.EVENT_HISTORY,
]


class Trimmer:
    """Removes what was first seen before the window: events, articles, their index entries."""

    def __init__(self, redis: Any, window_s: float) -> None:
        self.redis = redis
        self.window_s = window_s
        self._trim = redis.register_script(lua("members.lua", "exact.lua", "trim.lua"))

    async def trim(self, now: datetime, batch: int = 500) -> int:
        """Remove events, articles and their index entries first seen before the window."""
        cutoff = now.timestamp() - self.window_s
        total = 0
        while True:
            akeys = await self.redis.zrangebyscore(
                keys.ARTICLES_BY_SEEN, "-inf", cutoff, start=0, num=batch
            )
            args: list[Any] = [
                cutoff,
                batch,
                keys.EVENT_CELL_PREFIX,
                keys.DEDUP_BAND_PREFIX,
                len(akeys),
            ]
            if akeys:
                args += await self._article_args(akeys)
            removed = int(await self._trim(keys=TRIM_KEYS, args=args))
            total += removed
            if removed == 0:
                return total

    async def _article_args(self, akeys: list[str]) -> list[Any]:
        """Per article: key, number, and the band slots its fingerprint occupies."""
        records = await self.redis.hmget(keys.ARTICLE_DATA, akeys)
        numbers = [str(json.loads(r).get("n", "")) if r else "" for r in records]
        indexed = [n for n in numbers if n]
        raws = (
            dict(
                zip(
                    indexed,
                    await self.redis.execute_command(
                        "HMGET", keys.DEDUP_FP, *indexed, **{NEVER_DECODE: []}
                    ),
                    strict=True,
                )
            )
            if indexed
            else {}
        )
        args: list[Any] = []
        for akey, n in zip(akeys, numbers, strict=True):
            raw = raws.get(n)
            slots = dedupindex.band_slots(dedupindex.unpack(raw)[1]) if raw else []
            args += [akey, n, dedupindex.encode_slots(slots)]
        return args
