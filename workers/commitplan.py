"""CommitPlan: everything one commit.lua call writes, decided on a load (pure, no I/O).

The commit path has three steps (workers/commit.py): load what the decision needs in one round
trip, `decide` here (the article's verdict by workers.dedup, its reports' incidents by
workers.incidentplan) into a CommitPlan, and apply it with one commit.lua call whose arguments
`encode` writes, for an article's commit and an admin split alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from workers import dedup, dedupindex, incidentplan, keys, metrics
from workers.incidentplan import IncidentPlan, Stored
from workers.records import Article, Event, PageValidators, Source, Verdict, iso, parse_iso

# Fields the commit script adds to an event body; the body itself is serialised without them.
_STAMPS = ("first_seen", "updated", "version")


@dataclass(frozen=True, slots=True)
class Loaded:
    """What load.lua read for one decision."""

    snapshot: dedupindex.Snapshot
    records: Mapping[str, dict[str, Any]]  # candidate article key -> its record
    stored: Stored


@dataclass(frozen=True, slots=True)
class ArticleWrite:
    """The article part of a commit: its verdict, record and index changes, and the snapshot
    values commit.lua re-checks before writing."""

    verdict: Verdict
    article_key: str
    owner: str  # the record written: the article itself, or the one an update revises
    canonical_url: str
    text_hash: str
    record_json: str
    packed: bytes  # fingerprint to index (b"" = not indexed)
    owner_n: str  # the owner's index number ("" = give a new one)
    seen_url_owner: str
    seen_text_owner: str
    band_checks: str  # "bucket:field:value;..." as read
    band_adds: str  # "bucket:field;..."
    band_removes: str
    page_key: str = ""  # where the page's validators are kept ("" = nowhere)
    validators: str = ""


# An admin change (entry_id "") has no article part: commit.lua skips these arguments.
_NO_ARTICLE = ArticleWrite(Verdict("", ""), "", "", "", "", "", b"", "", "", "", "", "", "")


@dataclass(frozen=True, slots=True)
class EventWrite:
    event_id: str
    body: str  # JSON without the stamps commit.lua adds
    fingerprint: str  # of the body: an unchanged event is neither written nor published
    date_epoch: float
    expected_version: int  # 0 = must not exist yet
    add_cell: str
    remove_cell: str
    retracted: bool = False  # published as kind "retracted"
    rids: str = ""  # "rid,rid,...": the reports it merges (kept in its meta for load.lua)
    # History entry: what changed and from which source (commit.lua adds version, time, kind).
    change: str = '{"changes":{}}'


@dataclass(frozen=True, slots=True)
class ReportWrite:
    report_id: str
    report_json: str
    event_id: str


@dataclass(frozen=True, slots=True)
class CommitPlan:
    entry_id: str  # "" for an admin change (a split): no article part, no done-mark
    article: ArticleWrite | None
    events: tuple[EventWrite, ...]
    reports: tuple[ReportWrite, ...]
    dropped: tuple[str, ...] = ()  # report ids no event holds any more


def event_body(event: Event) -> str:
    """The event's JSON without the store's stamps; the commit script appends them."""
    d = event.to_dict()
    for k in _STAMPS:
        d.pop(k, None)
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


def verdict_of(article: Article, fp: dedup.Fingerprint, snap: dedupindex.Snapshot) -> Verdict:
    """The article's verdict against the snapshot."""
    owner, owner_hash, _ = dedupindex.parse_owner(snap.url_owner)
    return dedup.judge(
        article.canonical_url,
        replace(fp, text_hash=article.text_hash),
        snap.candidates,
        (owner, owner_hash),
        snap.fingerprints.get(owner),
    )


def decide(
    entry_id: str,
    article: Article,
    reports: Sequence[Event],
    fp: dedup.Fingerprint,
    loaded: Loaded,
    now: datetime,
    page: PageValidators | None = None,
) -> CommitPlan:
    """Verdict and incident plan of one article, as the writes of one commit."""
    verdict = verdict_of(article, fp, loaded.snapshot)
    owner = verdict.matched if verdict.verdict == "update" and verdict.matched else article.key
    plan, old_urls, version = IncidentPlan(), [], 1
    if verdict.verdict != "duplicate":
        record = loaded.records.get(owner, {}) if verdict.verdict == "update" else {}
        if verdict.verdict == "update":
            version = int(record.get("version") or 1) + 1
            verdict = replace(verdict, supersedes=version - 1)
        old_urls = list(record.get("urls") or [])
        if record.get("canonical_url"):
            old_urls.append(record["canonical_url"])
        plan = incidentplan.plan_reports(loaded.stored, reports, list(record.get("reports") or []))
    elif verdict.matched and verdict.matched != article.key:
        original = loaded.records.get(verdict.matched, {})
        source = Source(article.canonical_url, article.title, article.feed, article.published)
        plan = incidentplan.plan_copies(
            loaded.stored, list(original.get("reports") or []), article.key, source
        )
    write = _article_write(article, verdict, owner, fp, loaded.snapshot, plan, old_urls, version)
    if page is not None:
        write = _with_page(write, page)
    return CommitPlan(entry_id, write, *_event_writes(plan, now, article.canonical_url))


def split(loaded: Loaded, event_id: str, url: str, now: datetime) -> tuple[CommitPlan, str]:
    """The writes that move source `url` out of an event (see incidentplan.plan_split)."""
    plan, new_id = incidentplan.plan_split(loaded.stored, event_id, url)
    return CommitPlan("", None, *_event_writes(plan, now, url, "split")), new_id


def _article_write(
    article: Article,
    verdict: Verdict,
    owner: str,
    fp: dedup.Fingerprint,
    snap: dedupindex.Snapshot,
    plan: IncidentPlan,
    old_urls: list[str],
    version: int,
) -> ArticleWrite:
    record = json.loads(article.to_json(verdict))
    if plan.rids:
        record["reports"] = plan.rids
    if verdict.verdict != "duplicate":
        record["version"] = version  # of the article at this URL: an update supersedes one
        record["reports"] = plan.rids
        urls = sorted({*old_urls, article.canonical_url})
        if len(urls) > 1:  # trim.lua falls back to canonical_url: no copy of it needed
            record["urls"] = urls
    indexable = bool(snap.slots)
    packed = dedupindex.pack(owner, fp) if indexable and verdict.verdict != "duplicate" else b""
    is_update = verdict.verdict == "update"
    old_fp = snap.fingerprints.get(owner) if is_update else None
    removes = (
        [s for s in dedupindex.band_slots(old_fp) if s not in set(snap.slots)]
        if old_fp is not None and indexable
        else []
    )
    return ArticleWrite(
        verdict=verdict,
        article_key=article.key,
        owner=owner,
        canonical_url=article.canonical_url,
        text_hash=article.text_hash,
        record_json=json.dumps(record, ensure_ascii=False),
        packed=packed,
        owner_n=snap.numbers.get(owner, "") if is_update else "",
        seen_url_owner=snap.url_owner,
        seen_text_owner=snap.text_owner,
        band_checks=dedupindex.encode_slots(snap.slots, snap.slot_values),
        band_adds=dedupindex.encode_slots(snap.slots if packed else []),
        band_removes=dedupindex.encode_slots(removes),
    )


def _with_page(write: ArticleWrite, page: PageValidators) -> ArticleWrite:
    """The page's validators kept with the commit; a record kept under another key names the
    page key, so that trim.lua drops them together."""
    record_key = write.article_key if write.verdict.verdict == "duplicate" else write.owner
    record_json = write.record_json
    if page.page_key != record_key:
        record = json.loads(record_json)
        record["page"] = page.page_key
        record_json = json.dumps(record, ensure_ascii=False)
    return replace(
        write, record_json=record_json, page_key=page.page_key, validators=page.encoded()
    )


# What a subscriber sees change, in the history GET /events/{id} returns.
HISTORY_FIELDS = (
    "event_type",
    "sub_event_type",
    "date",
    "location",
    "fatalities",
    "injured",
    "confidence",
    "status",
)


def change_entry(before: Event | None, after: Event, source: str, reason: str) -> dict[str, Any]:
    """What changed from `before` to `after` (every field when it is new), and why."""
    old = before.to_dict() if before is not None else {}
    new = after.to_dict()
    changed: dict[str, Any] = {
        k: {"from": old.get(k), "to": new[k]}
        for k in HISTORY_FIELDS
        if before is None or old.get(k) != new[k]
    }
    urls = [s.url for s in after.sources]
    known = {s.url for s in before.sources} if before is not None else set()
    added = [u for u in urls if u not in known]
    gone = sorted(u for u in known if u not in urls and u is not None)
    if added:
        changed["sources_added"] = added
    if gone:
        changed["sources_removed"] = gone
    return {"source": source, "reason": reason, "changes": changed}


def _event_writes(
    plan: IncidentPlan, now: datetime, source: str, reason: str = "article"
) -> tuple[tuple[EventWrite, ...], tuple[ReportWrite, ...], tuple[str, ...]]:
    events = []
    for inc in plan.touched.values():
        ev = inc.event()
        body = event_body(ev)
        change = change_entry(inc.before, ev, source, reason)
        events.append(
            EventWrite(
                event_id=inc.event_id,
                body=body,
                fingerprint=hashlib.sha1(body.encode()).hexdigest()[:16],
                date_epoch=(parse_iso(ev.date) or now).timestamp(),
                expected_version=inc.version,
                # A retracted event leaves its merge cell: no later report joins it.
                add_cell="" if inc.status == "retracted" else incidentplan.cell_of(ev),
                remove_cell=inc.cell,
                retracted=inc.status == "retracted",
                rids=",".join(inc.rids()),
                change=json.dumps(change, ensure_ascii=False, sort_keys=True),
            )
        )
    reports = tuple(ReportWrite(rid, r.to_json(), eid) for rid, r, eid in plan.reports)
    return tuple(events), reports, tuple(plan.dropped)


def encode(plan: CommitPlan, now: datetime, polled_at: float) -> list[Any]:
    """commit.lua's ARGV for a plan (the layout is documented at the top of commit.lua)."""
    args: list[Any] = [
        plan.entry_id,
        now.timestamp(),
        iso(now),
        keys.EVENTS_CHANNEL,
        polled_at,
        metrics.field("newsingest_articles", verdict=""),
        metrics.field("newsingest_events_published", kind=""),
    ]
    a = plan.article or _NO_ARTICLE
    args += [
        a.verdict.verdict,
        a.verdict.reason,
        a.verdict.matched or "",
        a.article_key,
        a.owner,
        a.canonical_url,
        a.text_hash,
        a.record_json,
        a.packed,
        a.owner_n,
        a.seen_url_owner,
        a.seen_text_owner,
        keys.DEDUP_BAND_PREFIX,
        a.band_checks,
        a.band_adds,
        a.band_removes,
        a.page_key,
        a.validators,
    ]
    args.append(len(plan.events))
    for e in plan.events:
        args += [
            e.event_id,
            e.body,
            e.fingerprint,
            e.date_epoch,
            e.expected_version,
            e.add_cell,
            e.remove_cell,
            "retracted" if e.retracted else "",
            e.change,
            e.rids,
        ]
    args.append(len(plan.reports))
    for r in plan.reports:
        args += [r.report_id, r.report_json, r.event_id]
    args.append(len(plan.dropped))
    args += plan.dropped
    return args
