"""RollingStore: commit a processed entry atomically, query events by time/type/country, trim by age.

A commit is decided in Python on a snapshot of Redis (the article's verdict by workers.dedup, the
incident merges by workers.incidents) and applied by commit.lua, which re-checks the snapshot and
answers 'retry' when another worker changed it in between.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from redis.client import NEVER_DECODE

from workers import dedup, dedupindex, incidents, keys, metrics
from workers.records import Article, Event, Verdict, iso, parse_iso
from workers.scripts import lua

# Fields the commit script adds to an event body; the body itself is serialised without them.
_STAMPS = ("first_seen", "updated", "version")
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
]
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
class EventQuery:
    since: datetime | None = None
    until: datetime | None = None
    event_type: str | None = None
    country: str | None = None
    limit: int = 100


@dataclass(slots=True)
class _Incident:
    """An event as loaded (or about to be created) and the reports it merges."""

    event_id: str
    reports: list[Event]
    provenance: list[dict[str, Any]]
    version: int  # as stored; 0 = not stored yet (commit.lua checks it)
    cell: str  # merge cell it is filed under now ("" for none)
    changed: bool = False

    def event(self) -> Event:
        return incidents.combine(self.event_id, self.reports, self.provenance)

    def rids(self) -> list[str]:
        return [p["report"] for p in self.provenance]


@dataclass(slots=True)
class _Plan:
    """The event writes of one commit: incidents touched, reports (re)assigned."""

    touched: dict[str, _Incident] = field(default_factory=dict)
    reports: list[tuple[str, Event, str]] = field(default_factory=list)  # rid, report, event id
    rids: list[str] = field(default_factory=list)  # this article's reports

    def assign(self, rid: str, report: Event, inc: _Incident) -> None:
        inc.changed = True
        self.touched[inc.event_id] = inc
        self.reports.append((rid, replace(report, id=rid), inc.event_id))
        self.rids.append(rid)


def event_body(event: Event) -> str:
    """The event's JSON without the store's stamps; the commit script appends them."""
    d = event.to_dict()
    for k in _STAMPS:
        d.pop(k, None)
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


def _date_epoch(event: Event, fallback: datetime) -> float:
    dt = parse_iso(event.date) or fallback
    return dt.timestamp()


def _cell(event: Event) -> str:
    found = incidents.day_cell(event)
    return keys.event_cell(*found) if found else ""


def judge(article: Article, fp: dedup.Fingerprint, snap: dedupindex.Snapshot) -> Verdict:
    """The article's verdict against the snapshot (dedup.decide, plus texts too short to judge)."""
    new = replace(fp, text_hash=article.text_hash)
    owner, owner_hash, _ = dedupindex.parse_owner(snap.url_owner)
    if owner and owner_hash != article.text_hash:
        old = snap.fingerprints.get(owner)
        if old is None or min(old.size, new.size) < dedup.MIN_SHINGLES:
            return Verdict("update", "canonical_url", matched=owner)
    return dedup.decide(article.canonical_url, new, snap.candidates)


class RollingStore:
    """Events and articles in Redis, kept for `window_s` seconds after they were first seen."""

    def __init__(self, redis: Any, window_s: float) -> None:
        self.redis = redis
        self.window_s = window_s
        self._commit = redis.register_script(lua("members.lua", "exact.lua", "commit.lua"))
        self._trim = redis.register_script(lua("members.lua", "exact.lua", "trim.lua"))
        self._snapshot = redis.register_script(lua("exact.lua", "snapshot.lua"))

    async def commit(
        self,
        entry_id: str,
        article: Article,
        events: list[Event],
        now: datetime,
        polled_at: float,
        fingerprint: dedup.Fingerprint | None = None,
    ) -> CommitResult:
        """Judge the article, merge its events into incidents, store, log, publish, mark done."""
        fp = fingerprint if fingerprint is not None else dedup.fingerprint(article.text)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            snap = await dedupindex.snapshot(
                self.redis, self._snapshot, entry_id, article.canonical_url, article.text_hash, fp
            )
            if snap is None:
                return CommitResult("done", "", None, 0, 0)
            verdict = judge(article, fp, snap)
            owner = (
                verdict.matched if verdict.verdict == "update" and verdict.matched else article.key
            )
            plan, old_urls = _Plan(), []
            if verdict.verdict != "duplicate":
                old_urls = await self._plan(plan, verdict, owner, events)
            args = self._article_args(entry_id, article, verdict, owner, fp, snap, plan, old_urls)
            raw = await self._commit(
                keys=COMMIT_KEYS,
                args=self._header(entry_id, now, polled_at) + args + self._event_args(plan, now),
            )
            if raw[0] != "retry":
                return CommitResult(
                    raw[0],
                    raw[1],
                    raw[2] or None,
                    int(raw[3]),
                    int(raw[4]),
                    verdict.similarity,
                    attempt,
                )
            await asyncio.sleep(random.uniform(0, 0.002 * attempt))
        raise CommitConflict(f"entry {entry_id}: index kept changing over {MAX_ATTEMPTS} attempts")

    def _header(self, entry_id: str, now: datetime, polled_at: float) -> list[Any]:
        return [
            entry_id,
            now.timestamp(),
            iso(now),
            keys.EVENTS_CHANNEL,
            polled_at,
            metrics.field("newsingest_articles", verdict=""),
            metrics.field("newsingest_events_published", kind=""),
        ]

    def _article_args(
        self,
        entry_id: str,
        article: Article,
        verdict: Verdict,
        owner: str,
        fp: dedup.Fingerprint,
        snap: dedupindex.Snapshot,
        plan: _Plan,
        old_urls: list[str],
    ) -> list[Any]:
        record = json.loads(article.to_json(verdict))
        if verdict.verdict != "duplicate":
            record["reports"] = plan.rids
            urls = sorted({*old_urls, article.canonical_url})
            if len(urls) > 1:  # trim.lua falls back to canonical_url: no copy of it needed
                record["urls"] = urls
        indexable = bool(snap.slots)
        packed = dedupindex.pack(owner, fp) if indexable and verdict.verdict != "duplicate" else b""
        owner_n = snap.numbers.get(owner, "") if verdict.verdict == "update" else ""
        old_fp = snap.fingerprints.get(owner) if verdict.verdict == "update" else None
        removes = (
            [s for s in dedupindex.band_slots(old_fp) if s not in set(snap.slots)]
            if old_fp is not None and indexable
            else []
        )
        args: list[Any] = [
            verdict.verdict,
            verdict.reason,
            verdict.matched or "",
            article.key,
            owner,
            article.canonical_url,
            article.text_hash,
            json.dumps(record, ensure_ascii=False),
            packed,
            owner_n,
            snap.url_owner,
            snap.text_owner,
            keys.DEDUP_BAND_PREFIX,
            dedupindex.encode_slots(snap.slots, snap.slot_values),
            dedupindex.encode_slots(snap.slots if packed else []),
            dedupindex.encode_slots(removes),
        ]
        return args

    def _event_args(self, plan: _Plan, now: datetime) -> list[Any]:
        args: list[Any] = [len(plan.touched)]
        for inc in plan.touched.values():
            ev = inc.event()
            body = event_body(ev)
            args += [
                inc.event_id,
                body,
                hashlib.sha1(body.encode()).hexdigest()[:16],
                _date_epoch(ev, now),
                inc.version,
                _cell(ev),
                inc.cell,
            ]
        args.append(len(plan.reports))
        for rid, report, eid in plan.reports:
            args += [rid, report.to_json(), eid]
        return args

    # --- incidents ------------------------------------------------------------------------

    async def _plan(
        self, plan: _Plan, verdict: Verdict, owner: str, reports: list[Event]
    ) -> list[str]:
        """Assign each report to an incident; returns the owner's earlier URLs (for updates)."""
        old_urls: list[str] = []
        pending = list(reports)
        taken: set[str] = set()
        if verdict.verdict == "update":
            record = await self.article(owner)
            old_rids = list((record or {}).get("reports") or [])
            old_urls = list((record or {}).get("urls") or [])
            if record and record.get("canonical_url"):
                old_urls.append(record["canonical_url"])
            taken = set(old_rids)
            pending = await self._revise(plan, old_rids, pending)
        for report in pending:
            rid = report.id
            k = 1
            while rid in taken:
                rid, k = f"{report.id}.{k}", k + 1
            taken.add(rid)
            await self._file(plan, rid, report, taken)
        return old_urls

    async def _revise(self, plan: _Plan, old_rids: list[str], reports: list[Event]) -> list[Event]:
        """Pair the revised article's reports with its earlier ones and replace them in place."""
        if not old_rids:
            return reports
        raws = await self.redis.hmget(keys.EVENT_REPORTS, old_rids)
        owners = await self.redis.hmget(keys.REPORT_EVENT, old_rids)
        old = {
            rid: (Event.from_json(raw), eid)
            for rid, raw, eid in zip(old_rids, raws, owners, strict=True)
            if raw and eid
        }
        loaded = await self._load({eid for _, eid in old.values()})
        pairs = sorted(
            (
                (score, i, rid)
                for i, r in enumerate(reports)
                for rid, (o, _) in old.items()
                if (score := incidents.revision_score(r, o)) is not None
            ),
            reverse=True,
        )
        used_reports: set[int] = set()
        used_rids: set[str] = set()
        for _, i, rid in pairs:
            if i in used_reports or rid in used_rids:
                continue
            inc = plan.touched.get(old[rid][1]) or loaded.get(old[rid][1])
            if inc is None or rid not in inc.rids():
                continue
            used_reports.add(i)
            used_rids.add(rid)
            at = inc.rids().index(rid)
            inc.reports[at] = replace(reports[i], id=rid)
            plan.assign(rid, reports[i], inc)
        return [r for i, r in enumerate(reports) if i not in used_reports]

    async def _file(self, plan: _Plan, rid: str, report: Event, own: set[str]) -> None:
        """Merge the report into the incident it tells of, or start a new one."""
        cells = [keys.event_cell(*c) for c in incidents.neighbour_days(report)]
        ids = set(await self.redis.sunion(cells)) if cells else set()
        loaded = await self._load(ids | {rid}, plan)
        # One article reports an incident once: never merge two of its reports together.
        candidates = [
            inc
            for eid, inc in loaded.items()
            if eid in ids and not own & set(inc.rids()) and not set(plan.rids) & set(inc.rids())
        ]
        found = incidents.best_match(report, [inc.event() for inc in candidates])
        if found is not None:
            event, m = found
            inc = next(i for i in candidates if i.event_id == event.id)
            inc.reports.append(replace(report, id=rid))
            inc.provenance.append(m.provenance(rid, report.sources[0] if report.sources else None))
            plan.assign(rid, report, inc)
            return
        eid = rid
        k = 1
        while eid in loaded or eid in plan.touched:
            eid, k = f"{rid}~{k}", k + 1
            loaded.update(await self._load({eid}, plan))
        inc = _Incident(
            eid, [replace(report, id=rid)], [incidents.first_provenance(rid, report)], 0, ""
        )
        plan.assign(rid, report, inc)

    async def _load(self, ids: set[str], plan: _Plan | None = None) -> dict[str, _Incident]:
        """The stored incidents among `ids` (those already in the plan as planned)."""
        out: dict[str, _Incident] = {}
        if plan is not None:
            out.update({i: plan.touched[i] for i in ids if i in plan.touched})
        todo = sorted(i for i in ids if i not in out)
        if not todo:
            return out
        events = [
            (eid, Event.from_json(raw))
            for eid, raw in zip(todo, await self.redis.hmget(keys.EVENT_DATA, todo), strict=True)
            if raw
        ]
        rids = [p["report"] for _, ev in events for p in ev.provenance]
        raws = (
            dict(zip(rids, await self.redis.hmget(keys.EVENT_REPORTS, rids), strict=True))
            if rids
            else {}
        )
        for eid, ev in events:
            prov = list(ev.provenance) or [incidents.first_provenance(eid, ev)]
            reports = [
                Event.from_json(raws[p["report"]]) if raws.get(p["report"]) else ev for p in prov
            ]
            out[eid] = _Incident(eid, reports, prov, ev.version, _cell(ev))
        return out

    async def split(
        self, event_id: str, url: str, now: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Move the reports from source `url` out of an event into an event of their own."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            inc = (await self._load({event_id})).get(event_id)
            if inc is None:
                raise KeyError(event_id)
            moving = [i for i, p in enumerate(inc.provenance) if p.get("url") == url]
            if not moving:
                raise ValueError(f"{url} is not a source of event {event_id}")
            if len(moving) == len(inc.provenance):
                raise ValueError(f"event {event_id} has no other source to keep")
            first = inc.provenance[moving[0]]["report"]
            new_id = first
            k = 1
            while new_id == event_id or await self.redis.hexists(keys.EVENT_DATA, new_id):
                new_id, k = f"{first}~{k}", k + 1
            moved = [inc.reports[i] for i in moving]
            prov = [dict(inc.provenance[i], reason="split", split_from=event_id) for i in moving]
            keep = [i for i in range(len(inc.provenance)) if i not in moving]
            inc.reports = [inc.reports[i] for i in keep]
            inc.provenance = [inc.provenance[i] for i in keep]
            plan = _Plan()
            inc.changed = True
            plan.touched[event_id] = inc
            other = _Incident(new_id, moved, prov, 0, "")
            plan.touched[new_id] = other
            plan.reports = [(r.id, r, new_id) for r in moved]
            raw = await self._commit(
                keys=COMMIT_KEYS,
                args=self._header("", now, 0)
                + [
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    b"",
                    "",
                    "",
                    "",
                    keys.DEDUP_BAND_PREFIX,
                    "",
                    "",
                    "",
                ]
                + self._event_args(plan, now),
            )
            if raw[0] != "retry":
                kept, split_off = await self.get(event_id), await self.get(new_id)
                assert kept is not None and split_off is not None
                return kept, split_off
            await asyncio.sleep(random.uniform(0, 0.002 * attempt))
        raise CommitConflict(f"split of {event_id}: event kept changing")

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
            ids = await self.redis.zrevrangebyscore(
                keys.EVENTS_BY_DATE, hi, lo, start=offset, num=page
            )
            if not ids:
                break
            offset += len(ids)
            for raw in await self.redis.hmget(keys.EVENT_DATA, ids):
                event = json.loads(raw) if raw else None
                if event and _matches(event, q):
                    out.append(event)
        return out[: q.limit]

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
                args += await self._trim_article_args(akeys)
            removed = int(await self._trim(keys=TRIM_KEYS, args=args))
            total += removed
            if removed == 0:
                return total

    async def _trim_article_args(self, akeys: list[str]) -> list[Any]:
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


def _matches(event: dict[str, Any], q: EventQuery) -> bool:
    if q.event_type and q.event_type.lower() not in (
        str(event.get("event_type", "")).lower(),
        str(event.get("sub_event_type", "")).lower(),
    ):
        return False
    return not q.country or (event.get("location") or {}).get("country") == q.country.upper()
