"""parse_feed: fetched feed bytes -> Items (feedparser on bytes, never on a URL); OPML lists."""

from __future__ import annotations

import calendar
import contextlib
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin
from xml.etree import ElementTree

import feedparser

from workers.dedup import canonical_url
from workers.errors import FeedError
from workers.feedlimits import bounded_feed
from workers.records import Item
from workers.schedule import feed_hint_s

# Entry fields are cut to these lengths: a hostile feed cannot make one item huge.
MAX_TITLE_CHARS = 1_000
MAX_SUMMARY_CHARS = 5_000
MAX_URL_CHARS = 2_048


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed to poll, as listed in the OPML file."""

    url: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    items: tuple[Item, ...]
    bozo: str | None  # what feedparser had to forgive, if anything
    total_entries: int  # entries in the document, before the cap
    hint_s: float = 0.0  # update period the feed announces (<ttl>, sy:updatePeriod)
    hub: str | None = None  # WebSub hub it advertises (rel="hub")
    self_url: str | None = None  # its own canonical URL (rel="self"), the WebSub topic


def parse_feed(
    body: bytes,
    feed_url: str,
    headers: Mapping[str, str] | None = None,
    max_entries: int = 200,
    polled_at: float | None = None,
    max_text_bytes: int = 65536,
) -> ParsedFeed:
    """Items of a feed document; raises FeedError when nothing usable is in it."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", feed_url)
    body = bounded_feed(body, max_entries, max_text_bytes)
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=True,
        )
    except Exception as e:  # feedparser can raise on pathological bytes
        raise FeedError(feed_url, f"unparseable: {type(e).__name__}") from e
    bozo = _bozo_reason(parsed)
    if not parsed.entries and not parsed.get("version"):
        raise FeedError(feed_url, f"not a feed: {bozo or 'no feed elements'}")
    now = time.time() if polled_at is None else polled_at
    items = [i for i in (_item(e, feed_url, now) for e in parsed.entries[:max_entries]) if i]
    meta = parsed.get("feed") or {}
    hint = feed_hint_s(meta.get("ttl"), meta.get("sy_updateperiod"), meta.get("sy_updatefrequency"))
    return ParsedFeed(
        tuple(items), bozo, len(parsed.entries), hint, _link(meta, "hub"), _link(meta, "self")
    )


def _link(meta: Any, rel: str) -> str | None:
    for link in meta.get("links") or ():
        href = (link.get("href") or "").strip()
        if link.get("rel") == rel and href.startswith(("http://", "https://")):
            return href[:MAX_URL_CHARS]
    return None


def _bozo_reason(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}"[:200] if exc else "bozo"


def _item(entry: Any, feed_url: str, polled_at: float) -> Item | None:
    link = (entry.get("link") or "").strip()[:MAX_URL_CHARS]
    if not link.startswith(("http://", "https://")):
        return None
    guid = (entry.get("id") or "").strip()[:MAX_URL_CHARS]
    # Without a guid, the canonical link identifies the entry, so a link that only gains a
    # tracking parameter between two polls is not a new entry.
    return Item(
        item_id=guid or canonical_url(link),
        url=link,
        feed=feed_url,
        title=(entry.get("title") or "").strip()[:MAX_TITLE_CHARS],
        published=_published(entry),
        summary=(entry.get("summary") or "").strip()[:MAX_SUMMARY_CHARS],
        polled_at=polled_at,
        revised=_revised(entry),
    )


def _published(entry: Any) -> str | None:
    return _iso(entry.get("published_parsed") or entry.get("updated_parsed"))


def _revised(entry: Any) -> str | None:
    """The newer of the entry's updated and published times: a bump marks a revision."""
    stamps = [
        s for s in (_iso(entry.get("updated_parsed")), _iso(entry.get("published_parsed"))) if s
    ]
    return max(stamps) if stamps else None


def _iso(parsed: Any) -> str | None:
    if not parsed:
        return None
    try:
        ts = calendar.timegm(parsed)
    except (TypeError, ValueError, OverflowError):
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def read_opml(path: str) -> list[FeedSpec]:
    """Feed URLs (outline xmlUrl attributes) of an OPML file, in order, without repeats."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as e:
        raise FeedError(path, f"cannot read OPML: {e}") from e
    seen: set[str] = set()
    out: list[FeedSpec] = []
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or "").strip()
        if url and url not in seen:
            seen.add(url)
            out.append(FeedSpec(url, node.get("title") or node.get("text") or ""))
    return out


_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "a"):
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        rels = a.get("rel", "").lower().split()
        if "alternate" in rels and a.get("type", "").lower().split(";")[0].strip() in _FEED_TYPES:
            self.found.append((a.get("href", "").strip(), a.get("type", "")))


def alternate_feeds(body: bytes, base_url: str) -> list[str]:
    """Feed URLs a web page advertises with <link rel="alternate" type="application/rss+xml">."""
    parser = _AlternateLinks()
    # html.parser is lenient, but a page is untrusted input.
    with contextlib.suppress(Exception):
        parser.feed(body[: 1024 * 1024].decode("utf-8", "replace"))
    out: list[str] = []
    for href, _ in parser.found:
        url = urljoin(base_url, href)
        if href and url.startswith(("http://", "https://")) and url not in out:
            out.append(url[:MAX_URL_CHARS])
    return out
