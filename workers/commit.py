"""The commit protocol: load (one round trip) -> decide (workers/commitplan.py, pure) -> apply.

apply is one commit.lua call: it re-checks what the decision read (URL and text owners, band
slots, the version of every event it changes) and answers 'retry' when another worker committed
in between; then the entry is loaded and decided again. Everything else is written atomically:
index entries, records, events, the events log, PUBLISH and the done-mark.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from redis.client import NEVER_DECODE
from redis.exceptions import NoScriptError

from workers import commitplan, dedup, dedupindex, incidentplan, keys
from workers.commitplan import CommitPlan, Loaded
from workers.incidentplan import Stored
from workers.records import Article, Event, PageValidators
from workers.scripts import lua

V = TypeVar("V")
MAX_ATTEMPTS = 12  # commits retried on a changed snapshot before the entry is retried

COMMIT_KEYS = [
    keys.DONE_ITEMS,
    keys.DEDUP_URL_PREFIX,  # bucket key prefixes (exact.lua), not keys
    keys.DEDUP_TEXT_PREFIX,
    keys.ARTICLE_DATA,
    keys.ARTICLES_BY_SEEN,
    keys.EVENT_DATA,
    keys.EVENT_META,
    keys.EVENTS_BY_DATE,
    keys.EVENTS_BY_SEEN,
    keys.EVENTS_STREAM,
    keys.METRICS,
    keys.DEDUP_SEQ,
    keys.DEDUP_FP,
    keys.EVENT_REPORTS,
    keys.REPORT_EVENT,
    keys.PAGE_VALIDATORS,
    keys.EVENT_HISTORY,
]
LOAD_KEYS = [
    keys.DONE_ITEMS,
    keys.DEDUP_URL_PREFIX,
    keys.DEDUP_TEXT_PREFIX,
    keys.DEDUP_FP,
    keys.ARTICLE_DATA,
    keys.REPORT_EVENT,
    keys.EVENT_DATA,
    keys.EVENT_REPORTS,
    keys.EVENT_META,
]


class CommitConflict(RuntimeError):
    """The snapshot kept changing under the commit: the queue entry is retried later."""


@dataclass(frozen=True, slots=True)
class CommitResult:
    verdict: str  # new | duplicate | update | done (this entry was committed before)
    reason: str
    matched: str | None
    created: int
    updated: int
    similarity: float | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class LoadRequest:
    """What to load: the article's dedup keys and slots, merge cells, events, ids to probe."""

    entry_id: str = ""
    canonical_url: str = ""
    text_hash: str = ""
    slots: tuple[dedupindex.Slot, ...] = ()
    cells: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    probes: tuple[str, ...] = ()


class Committer:
    """Commits processed entries and admin splits through load -> decide -> apply."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self._load_src = lua("exact.lua", "load.lua")
        self._load_sha = ""
        self._apply = redis.register_script(lua("members.lua", "exact.lua", "commit.lua"))

    async def load(self, req: LoadRequest) -> Loaded | None:
        """Everything a decision reads, in one round trip; None when the entry is done."""
        args = [
            req.entry_id,
            req.canonical_url,
            req.text_hash,
            keys.DEDUP_BAND_PREFIX,
            dedupindex.encode_slots(list(req.slots)),
            ";".join(req.cells),
            ";".join(req.event_ids),
            ";".join(req.probes),
        ]
        raw = await self._eval_raw(args)
        return parse_load(raw, req)

    async def _eval_raw(self, args: list[Any]) -> list[Any]:
        # Fingerprints are binary: the reply is read undecoded (Script objects cannot say so).
        if not self._load_sha:
            self._load_sha = await self.redis.script_load(self._load_src)
        try:
            return await self.redis.execute_command(  # type: ignore[no-any-return]
                "EVALSHA", self._load_sha, len(LOAD_KEYS), *LOAD_KEYS, *args, **{NEVER_DECODE: []}
            )
        except NoScriptError:  # the server restarted or flushed its scripts
            self._load_sha = await self.redis.script_load(self._load_src)
            return await self.redis.execute_command(  # type: ignore[no-any-return]
                "EVALSHA", self._load_sha, len(LOAD_KEYS), *LOAD_KEYS, *args, **{NEVER_DECODE: []}
            )

    async def apply(self, plan: CommitPlan, now: datetime, polled_at: float) -> list[Any]:
        """One commit.lua call; its reply (['retry', what, id, ...] when the load is stale)."""
        return await self._apply(  # type: ignore[no-any-return]
            keys=COMMIT_KEYS, args=commitplan.encode(plan, now, polled_at)
        )

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
        fp = fingerprint if fingerprint is not None else dedup.fingerprint(article.text)
        req = load_request(entry_id, article, events, fp)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            loaded = await self.load(req)
            if loaded is None:
                return CommitResult("done", "", None, 0, 0)
            plan = commitplan.decide(entry_id, article, events, fp, loaded, now, page)
            raw = await self.apply(plan, now, polled_at)
            if raw[0] != "retry":
                assert plan.article is not None
                sim = plan.article.verdict.similarity
                return CommitResult(
                    raw[0], raw[1], raw[2] or None, int(raw[3]), int(raw[4]), sim, attempt
                )
            req = _probe_more(req, raw)
            await asyncio.sleep(random.uniform(0, 0.002 * attempt))
        raise CommitConflict(f"entry {entry_id}: index kept changing over {MAX_ATTEMPTS} attempts")

    async def split(self, event_id: str, url: str, now: datetime) -> str:
        """Move the reports from source `url` out of an event into an event of their own;
        the new event's id. KeyError: no such event; ValueError: not a source, or the only one."""
        req = LoadRequest(event_ids=(event_id,))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            loaded = await self.load(req)
            assert loaded is not None
            plan, new_id = commitplan.split(loaded, event_id, url, now)
            raw = await self.apply(plan, now, 0)
            if raw[0] != "retry":
                return new_id
            req = _probe_more(req, raw)
            await asyncio.sleep(random.uniform(0, 0.002 * attempt))
        raise CommitConflict(f"split of {event_id}: event kept changing")


def load_request(
    entry_id: str, article: Article, events: list[Event], fp: dedup.Fingerprint
) -> LoadRequest:
    """What deciding on this article reads: its dedup keys and slots, its reports' cells."""
    return LoadRequest(
        entry_id,
        article.canonical_url,
        article.text_hash,
        tuple(dedupindex.band_slots(fp)),
        tuple(incidentplan.cells_to_load(events)),
        probes=tuple(incidentplan.probe_ids(events)),
    )


def _probe_more(req: LoadRequest, raw: list[Any]) -> LoadRequest:
    """After a retry on an event id: probe it next time (a new event may not take it)."""
    if raw[1] == "event" and raw[2] and raw[2] not in req.probes:
        return LoadRequest(
            req.entry_id,
            req.canonical_url,
            req.text_hash,
            req.slots,
            req.cells,
            req.event_ids,
            (*req.probes, raw[2]),
        )
    return req


def _text(v: Any) -> str:
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def parse_load(raw: list[Any], req: LoadRequest) -> Loaded | None:
    """load.lua's flat reply (counted groups, in its order) as a Loaded; None when done."""
    if raw[0] in (b"1", "1"):
        return None
    pos = 1

    def take(n: int) -> list[Any]:
        nonlocal pos
        out = raw[pos : pos + n]
        pos += n
        return out

    def group(width: int) -> list[list[Any]]:
        (n,) = take(1)
        flat = take(int(n) * width)
        return [flat[i : i + width] for i in range(0, len(flat), width)]

    url_owner, text_owner = (_text(v) for v in take(2))
    values = [_text(v) for (v,) in group(1)]
    packed = {_text(n): bytes(fp) for n, fp in group(2)}
    records = {_text(k): _json(v) for k, v in group(2)}
    holders = {_text(r): _text(e) for r, e in group(2)}
    cells = {_text(c): tuple(i for i in _text(m).split(";") if i) for c, m in group(2)}
    # Parsed when a decision looks at them: most loaded events and reports are never needed.
    events = Parsed({_text(i): (v, ver) for i, v, ver in group(3)}, _event_and_version)
    reports = Parsed({_text(r): v for r, v in group(2)}, lambda v: Event.from_json(_text(v)))
    taken = frozenset(_text(v) for (v,) in group(1))
    snap = dedupindex.snapshot_of(
        req.canonical_url, req.text_hash, url_owner, text_owner, list(req.slots), values, packed
    )
    return Loaded(snap, records, Stored(events, reports, cells, taken, holders))


def _event_and_version(raw: tuple[Any, Any]) -> tuple[Event, int]:
    return Event.from_json(_text(raw[0])), int(raw[1])


class Parsed(Mapping[str, V]):
    """A read-only mapping that parses each raw value the first time it is read."""

    def __init__(self, raw: dict[str, Any], parse: Callable[[Any], V]) -> None:
        self._raw = raw
        self._parse = parse
        self._done: dict[str, V] = {}

    def __getitem__(self, key: str) -> V:
        if key not in self._done:
            self._done[key] = self._parse(self._raw[key])
        return self._done[key]

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _json(v: Any) -> dict[str, Any]:
    found = json.loads(_text(v))
    return found if isinstance(found, dict) else {}
