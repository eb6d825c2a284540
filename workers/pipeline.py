"""One queue entry through the stages: fetch -> clean -> dedup keys -> extract -> commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from workers import keys, metrics
from workers.clean import clean_html
from workers.dedup import Fingerprint, article_key, canonical_url, fingerprint
from workers.errors import FetchError, FetchRefused, HostPaused
from workers.extract import confident, extract_events
from workers.fetch import FetchLimits, FetchResult
from workers.politeness import note_refusal, polite_fetch
from workers.records import Article, Document, Event, Item, PageValidators, parse_iso, utc_now
from workers.sandbox import Sandbox
from workers.store import CommitResult, RollingStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the CPU-bound stages made of one page."""

    article: Article
    events: tuple[Event, ...]
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Everything a worker needs to process entries; one per worker process."""

    redis: Any
    session: aiohttp.ClientSession
    limits: FetchLimits
    store: RollingStore
    cpu: Sandbox  # a child process: cleaning and extraction off the loop, abandonable
    min_confidence: float = 0.0  # events below it are withheld: not stored, not published

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Queue handler: returns when the entry's effects are stored (then it is acked)."""
        item = Item.from_fields(fields)
        result = await self.process(entry_id, item)
        await self._observe(item, result)
        log.info(
            "entry=%s url=%s verdict=%s reason=%s created=%d updated=%d",
            entry_id,
            item.url,
            result.verdict,
            result.reason,
            result.created,
            result.updated,
        )

    async def process(self, entry_id: str, item: Item) -> CommitResult:
        page_key = article_key(canonical_url(item.url))
        known = PageValidators(page_key)
        if item.revision:
            # A revised entry: the page as last fetched answers 304 if it did not change.
            known = PageValidators.decode(
                page_key, await self.redis.hget(keys.PAGE_VALIDATORS, page_key)
            )
        page = await self._fetch_page(item, known.headers())
        if page.status == 304:
            await metrics.incr(self.redis, "newsingest_feed_revisions", outcome="not_modified")
            return CommitResult("not_modified", "", None, 0, 0)
        try:
            analysis = await self.cpu.run(
                page.final_url, analyse_page, page.body, page.final_url, item
            )
        except FetchRefused as e:  # clean_timeout
            await note_refusal(self.redis, e, "page")
            raise
        events = confident(list(analysis.events), self.min_confidence)
        result = await self.store.commit(
            entry_id,
            analysis.article,
            events,
            utc_now(),
            item.polled_at,
            analysis.fingerprint,
            PageValidators(
                page_key,
                page.headers.get("ETag", ""),
                page.headers.get("Last-Modified", ""),
            ),
        )
        withheld = len(analysis.events) - len(events)
        if withheld and result.verdict in ("new", "update"):  # not again for a redelivery
            await metrics.incr(self.redis, "newsingest_events_withheld", withheld)
        return result

    async def _fetch_page(self, item: Item, headers: dict[str, str]) -> FetchResult:
        try:
            return await polite_fetch(self.redis, self.session, item.url, self.limits, headers)
        except FetchRefused as e:
            await note_refusal(self.redis, e, "page")
            raise
        except FetchError as e:
            # Waiting for a paused host is no fetch error; the host's own 429/503 is.
            if not isinstance(e, HostPaused) or e.answered:
                await metrics.incr(self.redis, "newsingest_fetch_errors", stage="page")
            raise

    async def _observe(self, item: Item, result: CommitResult) -> None:
        if not (result.created or result.updated):
            return
        now = utc_now()
        seen: list[tuple[str, float]] = []
        if item.polled_at:
            latency = max(0.0, now.timestamp() - item.polled_at)
            seen.append(("newsingest_pipeline_latency_seconds", latency))
        published = parse_iso(item.published)
        if published:
            seen.append(
                ("newsingest_ingest_lag_seconds", max(0.0, (now - published).total_seconds()))
            )
        await metrics.observe(self.redis, *seen)


def analyse_page(body: bytes, final_url: str, item: Item) -> Analysis:
    """Clean the page, compute its dedup keys and extract its events (pure, CPU-bound)."""
    page = clean_html(body, final_url)
    canonical = canonical_url(item.url, page.canonical_url)
    key = article_key(canonical)
    published = item.published or page.date
    # One pass over the words gives the exact text hash and the near-duplicate fingerprint.
    fp = fingerprint(page.text)
    article = Article(
        key=key,
        url=item.url,
        canonical_url=canonical,
        text_hash=fp.text_hash,
        title=page.title or item.title or None,
        feed=item.feed,
        published=published,
        language=page.language,
        item_id=item.item_id,
        text=page.text,
    )
    doc = Document(
        text=page.text,
        doc_id=key,
        title=article.title,
        published=published,
        url=canonical,
        feed=item.feed,
        language=page.language,
    )
    return Analysis(article, tuple(extract_events(doc)), fp)


_WARM_UP_PAGE = (
    b"<html lang='en'><head><title>Warm-up</title></head><body><article><p>"
    b"Police said two people were killed and five injured when gunmen attacked a "
    b"market in Kano, Nigeria, on Monday, and protesters later marched in Lagos."
    b"</p></article></body></html>"
)


def warm_up() -> None:
    """Run one small page through clean and extract, so the gazetteer, lexicons and compiled
    patterns load before the first real entry instead of inside its latency."""
    analyse_page(
        _WARM_UP_PAGE,
        "http://warm-up.invalid/",
        Item(item_id="warm-up", url="http://warm-up.invalid/", feed=""),
    )
