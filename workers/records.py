"""The records that flow through the pipeline, as frozen dataclasses with JSON forms."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, or None."""
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp (date-only allowed); naive values are taken as UTC."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Item:
    """One feed entry queued for the workers."""

    item_id: str  # guid, else canonical link
    url: str  # the article page
    feed: str  # feed URL it came from
    title: str = ""
    published: str | None = None  # ISO, from the feed
    summary: str = ""
    polled_at: float = 0.0  # epoch seconds when the poll saw it (for latency)
    revised: str | None = None  # ISO: the newer of the entry's updated and published times
    revision: int = 0  # 0: first fetch; n: the n-th re-fetch of a revised entry (enqueue.lua)

    def to_fields(self) -> dict[str, str]:
        d = asdict(self)
        d.pop("revision")  # enqueue.lua appends it to the JSON of a revision
        return {"item": json.dumps(d, ensure_ascii=False)}

    def stamp(self) -> str:
        """What enqueue.lua compares to tell a revision: epoch of `revised` ("" if unknown)."""
        dt = parse_iso(self.revised)
        return repr(dt.timestamp()) if dt else ""

    def content_hash(self) -> str:
        """Digest of the entry's title and summary: a change is a revision too."""
        raw = f"{self.title}\n{self.summary}".encode()
        return hashlib.blake2b(raw, digest_size=8).hexdigest()

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Item:
        return cls(**json.loads(fields["item"]))


@dataclass(frozen=True, slots=True)
class CleanedPage:
    """What trafilatura made of an article page."""

    url: str
    title: str | None
    text: str
    date: str | None
    author: str | None
    language: str | None
    canonical_url: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """Text handed to the event extractor: the pure core's only input."""

    text: str
    doc_id: str = ""
    title: str | None = None
    published: str | None = None  # ISO date or datetime of publication
    url: str | None = None
    feed: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    name: str | None = None
    admin1: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: str  # "actor1" (who acted) or "actor2" (on whom)
    kind: str | None = None  # state forces, rebel group, protesters ...
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True, slots=True)
class Source:
    url: str | None
    title: str | None = None
    feed: str | None = None
    published: str | None = None


def _fields(obj: Any) -> dict[str, Any]:
    """A flat dataclass (Location, Actor, Source) as a dict."""
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}


def _plain(value: Any) -> Any:
    """A copy of JSON-like data (dicts, lists, tuples as lists, scalars)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Event:
    """One incident, in the public event schema (fields are only ever added, never renamed)."""

    id: str
    event_type: str
    sub_event_type: str
    date: str | None
    location: Location
    actors: tuple[Actor, ...]
    fatalities: int | None
    injured: int | None
    summary: str
    confidence: float
    sources: tuple[Source, ...] = ()
    first_seen: str | None = None
    updated: str | None = None
    version: int = 1
    language: str | None = None
    # Added by the incident merge (workers/incidents.py): the range of fatality figures the
    # merged reports gave ({"min", "max"}), and per report why it was merged (or "first").
    fatalities_reported: dict[str, int] | None = None
    provenance: tuple[dict[str, Any], ...] = ()
    # "retracted" once no report supports the event any more (its article was revised).
    status: str = "active"
    # Sources split off this event by hand ({"event": the other event's id, "urls": [...]}):
    # no report from those URLs merges into it again.
    split_off: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As dataclasses.asdict, written out: asdict's generic recursion was half the time of
        a commit's decision (an event with its provenance is hundreds of calls)."""
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d["location"] = _fields(self.location)
        d["actors"] = [_fields(a) for a in self.actors]
        d["sources"] = [_fields(s) for s in self.sources]
        d["provenance"] = [_plain(p) for p in self.provenance]
        d["split_off"] = [_plain(s) for s in self.split_off]
        d["fatalities_reported"] = _plain(self.fatalities_reported)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["location"] = Location(**(d.get("location") or {}))
        known["actors"] = tuple(Actor(**a) for a in d.get("actors") or ())
        known["sources"] = tuple(Source(**s) for s in d.get("sources") or ())
        known["provenance"] = tuple(d.get("provenance") or ())
        known["split_off"] = tuple(d.get("split_off") or ())
        return cls(**known)

    @classmethod
    def from_json(cls, raw: str) -> Event:
        return cls.from_dict(json.loads(raw))

    def stamped(self, now: datetime, sources: tuple[Source, ...]) -> Event:
        """The event as first stored: with its sources and first-seen time."""
        return replace(self, sources=sources, first_seen=iso(now), updated=iso(now))


@dataclass(frozen=True, slots=True)
class Verdict:
    """Dedup decision for an article: new, duplicate or update, and why."""

    verdict: str  # "new" | "duplicate" | "update"
    reason: str  # "canonical_url" | "text_hash" | "near_duplicate" | "first"
    matched: str | None = None  # article key it matched
    similarity: float | None = None
    supersedes: int | None = None  # for an update: the version of the matched article replaced


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned article as the workers keep it, with its dedup keys."""

    key: str  # stable id: hash of the canonical URL
    url: str
    canonical_url: str
    text_hash: str
    title: str | None
    feed: str
    published: str | None
    language: str | None
    item_id: str
    text: str = field(default="", repr=False)

    def to_json(self, verdict: Verdict | None = None) -> str:
        # Field by field: asdict would copy the whole text only for it to be dropped.
        d = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "text"}
        if verdict is not None:
            d["verdict"] = {k: v for k, v in asdict(verdict).items() if k != "supersedes" or v}
        return json.dumps(d, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class PageValidators:
    """A page's ETag and Last-Modified as last fetched, kept per page for conditional GETs."""

    page_key: str  # article key of the feed link's canonical URL (known before the fetch)
    etag: str = ""
    last_modified: str = ""

    def encoded(self) -> str:
        return f"{self.etag}\n{self.last_modified}" if self.etag or self.last_modified else ""

    @classmethod
    def decode(cls, page_key: str, raw: str | None) -> PageValidators:
        etag, _, modified = (raw or "").partition("\n")
        return cls(page_key, etag, modified)

    def headers(self) -> dict[str, str]:
        """The conditional request headers these validators allow."""
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out
