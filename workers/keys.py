"""Every Redis key, stream, group and channel name newsingest uses, in one place."""

from __future__ import annotations

import hashlib

PREFIX = "newsingest"

# Streams and consumer groups.
ITEMS_STREAM = f"{PREFIX}:items"            # feed entries waiting for a worker
ITEMS_GROUP = "workers"
DEAD_STREAM = f"{PREFIX}:items:dead"        # entries that failed too many deliveries
ITEM_ERRORS = f"{PREFIX}:items:errors"      # hash: entry id -> last error (for dead letters)
EVENTS_STREAM = f"{PREFIX}:events:log"      # durable log of every created/updated message

# Pub/sub.
EVENTS_CHANNEL = f"{PREFIX}:events"

# Rolling event store.
EVENT_DATA = f"{PREFIX}:event"              # hash: event id -> event JSON
# hash: event id -> "version|first_seen|seen_epoch|fingerprint"
EVENT_META = f"{PREFIX}:event:meta"
EVENTS_BY_DATE = f"{PREFIX}:events:by_date"  # zset: event id scored by event date (epoch s)
EVENTS_BY_SEEN = f"{PREFIX}:events:by_seen"  # zset: event id scored by first_seen (for trimming)

# Articles and dedup.
ARTICLE_DATA = f"{PREFIX}:article"           # hash: article key -> article record JSON
ARTICLES_BY_SEEN = f"{PREFIX}:articles:by_seen"  # zset: article key scored by first_seen
DEDUP_URL = f"{PREFIX}:dedup:url"            # hash: canonical URL -> article key
DEDUP_TEXT = f"{PREFIX}:dedup:text"          # hash: normalised text hash -> article key
DONE_ITEMS = f"{PREFIX}:items:done"          # zset: item id scored by time it was committed

# Metrics shared by every process (hash: metric name|labels -> count).
METRICS = f"{PREFIX}:metrics"

# Liveness of processes (string keys with a TTL).
WORKER_BEAT_PREFIX = f"{PREFIX}:beat:worker:"
POLLER_BEAT_PREFIX = f"{PREFIX}:beat:poller:"

# Feeds.
FEED_STATE_PREFIX = f"{PREFIX}:feed:"         # hash per feed: etag, last_modified, status ...
SEEN_PREFIX = f"{PREFIX}:seen:"               # zset per feed: entry id scored by first seen
FEEDS = f"{PREFIX}:feeds"                    # set of feed URLs polled so far


def feed_id(url: str) -> str:
    """Short stable id of a feed URL, used in key names and the HTTP API."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def feed_state(url: str) -> str:
    return FEED_STATE_PREFIX + feed_id(url)


def seen_entries(url: str) -> str:
    return SEEN_PREFIX + feed_id(url)


def worker_beat(name: str) -> str:
    return WORKER_BEAT_PREFIX + name


def poller_beat(name: str) -> str:
    return POLLER_BEAT_PREFIX + name
