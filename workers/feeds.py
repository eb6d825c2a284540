"""parse_feed: fetched feed bytes -> Items (feedparser on bytes, never on a URL); OPML lists."""

from __future__ import annotations

import calendar
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import feedparser

from workers.errors import FeedError
from workers.records import Item

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
    bozo: str | None          # what feedparser had to forgive, if anything
    total_entries: int        # entries in the document, before the cap


def parse_feed(body: bytes, feed_url: str, headers: Mapping[str, str] | None = None,
               max_entries: int = 200, polled_at: float | None = None) -> ParsedFeed:
    """Items of a feed document; raises FeedError when nothing usable is in it."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", feed_url)
    try:
        parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers,
                                  sanitize_html=False, resolve_relative_uris=True)
    except Exception as e:  # feedparser can raise on pathological bytes
        raise FeedError(feed_url, f"unparseable: {type(e).__name__}") from e
    bozo = _bozo_reason(parsed)
    if not parsed.entries and not parsed.get("version"):
        raise FeedError(feed_url, f"not a feed: {bozo or 'no feed elements'}")
    now = time.time() if polled_at is None else polled_at
    items = [i for i in (_item(e, feed_url, now) for e in parsed.entries[:max_entries]) if i]
    return ParsedFeed(tuple(items), bozo, len(parsed.entries))


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
    return Item(
        item_id=guid or link,
        url=link,
        feed=feed_url,
        title=(entry.get("title") or "").strip()[:MAX_TITLE_CHARS],
        published=_published(entry),
        summary=(entry.get("summary") or "").strip()[:MAX_SUMMARY_CHARS],
        polled_at=polled_at,
    )


def _published(entry: Any) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
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
