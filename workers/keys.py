"""Every Redis key, stream, group and channel name newsingest uses, in one place."""

from __future__ import annotations

import hashlib

# Every key carries the hash tag {newsingest}, so on Redis Cluster they all hash to one slot and
# each Lua script (which must run on one node) finds all its keys there. Keys written before
# the tag (layout 1, "newsingest:...") are renamed at start by workers/layout.py.
PREFIX = "{newsingest}"
LAYOUT = f"{PREFIX}:layout"  # string: the key layout version this keyspace is in
LAYOUT_LOCK = f"{PREFIX}:layout:lock"  # string with a TTL: the process renaming the old keys
OLD_PREFIX = "newsingest:"  # layout 1

# Streams and consumer groups.
ITEMS_STREAM = f"{PREFIX}:items"  # feed entries waiting for a worker
ITEMS_GROUP = "workers"
DEAD_STREAM = f"{PREFIX}:items:dead"  # entries that failed too many deliveries
ITEM_ERRORS = f"{PREFIX}:items:errors"  # hash: entry id -> last error (for dead letters)
# zset: entries whose page host is paused, as JSON {"id", "fields"}, scored by the time (epoch s)
# the pause ends; the consumers move them back onto ITEMS_STREAM then (workers/queue.py).
ITEMS_DELAYED = f"{PREFIX}:items:delayed"
EVENTS_STREAM = f"{PREFIX}:events:log"  # durable log of every created/updated message

# Pub/sub. A channel is no key (Redis Cluster broadcasts PUBLISH to every node), so it keeps
# the name subscribers know.
EVENTS_CHANNEL = "newsingest:events"

# Rolling event store.
EVENT_DATA = f"{PREFIX}:event"  # hash: event id -> event JSON
# hash: event id -> "version|first_seen|seen_epoch|fingerprint|report id,report id,..."
EVENT_META = f"{PREFIX}:event:meta"
EVENTS_BY_DATE = f"{PREFIX}:events:by_date"  # zset: event id scored by event date (epoch s)
EVENTS_BY_SEEN = f"{PREFIX}:events:by_seen"  # zset: event id scored by first_seen (for trimming)

# Articles and dedup.
ARTICLE_DATA = f"{PREFIX}:article"  # hash: article key -> article record JSON
ARTICLES_BY_SEEN = f"{PREFIX}:articles:by_seen"  # zset: article key scored by first_seen
# Exact matches, in 2^14 small hashes per kind keyed by a 64-bit digest (dedupindex.exact_slot):
DEDUP_URL_PREFIX = f"{PREFIX}:dedup:u:"  # canonical URL digest -> "key|text_hash|n"
DEDUP_TEXT_PREFIX = f"{PREFIX}:dedup:t:"  # normalised text hash digest -> article key
# hash: page key (article key of the feed link's canonical URL) -> "etag\nlast_modified" of the
# page as last fetched, so that re-fetching a revised entry is a conditional GET.
PAGE_VALIDATORS = f"{PREFIX}:page:validators"
# zset: work-stream entry id scored by the time its commit was stored (a redelivered entry
# finds its id here and publishes nothing twice; a re-enqueued revision has an id of its own)
DONE_ITEMS = f"{PREFIX}:items:done"
# Near-duplicate index (workers/dedupindex.py). Each indexed article has a number n (INCR).
DEDUP_SEQ = f"{PREFIX}:dedup:seq"  # string: last article number given out
DEDUP_FP = f"{PREFIX}:dedup:fp"  # hash: n -> packed fingerprint (binary)
DEDUP_BAND_PREFIX = f"{PREFIX}:dedup:b:"  # small hashes per bucket: band field -> "n[,n...]"

# Incidents: one public event merges the reports (per-article extracted events) of one incident.
EVENT_REPORTS = f"{PREFIX}:event:reports"  # hash: report id -> report JSON (an Event)
REPORT_EVENT = f"{PREFIX}:report:event"  # hash: report id -> id of the event holding it
# hash: event id -> JSON array of its versions: what changed, when, from which source
EVENT_HISTORY = f"{PREFIX}:event:history"
EVENT_CELL_PREFIX = f"{PREFIX}:events:cell:"  # set per "CC:YYYY-MM-DD": event ids (merge lookup)

# Metrics shared by every process (hash: metric name|labels -> count).
METRICS = f"{PREFIX}:metrics"

# Liveness: per kind ("worker", "poller") a zset of process names scored by the time their
# last heartbeat expires, and a hash of what each last reported. A zset, not a key per process
# with a TTL, so /healthz never has to SCAN a keyspace that holds a million dedup buckets.
BEATS_PREFIX = f"{PREFIX}:beats:"
BEAT_INFO_PREFIX = f"{PREFIX}:beats:info:"

# Feeds.
FEED_STATE_PREFIX = f"{PREFIX}:feed:"  # hash per feed: etag, last_modified, status ...
SEEN_PREFIX = f"{PREFIX}:seen:"  # zset per feed: entry id scored by first seen
# hash per feed: entry id -> "stamp|content hash|re-fetches" (enqueue.lua tells revisions by it)
ENTRY_STATE_PREFIX = f"{PREFIX}:entries:"

# Feed list and schedule shared by every poller; members are feed_id(url).
FEED_LIST = f"{PREFIX}:feeds:list"  # hash: feed id -> feed URL (what is polled)
FEED_DUE = f"{PREFIX}:feeds:due"  # zset: feed id -> next due (epoch s)
FEED_LEASES = f"{PREFIX}:feeds:leases"  # zset: feed id -> lease expiry of its poller
FEED_LEASE_OWNER = f"{PREFIX}:feeds:lease_owner"  # hash: feed id -> token of the lease holder

# Politeness per host, shared by pollers and workers.
HOST_PREFIX = f"{PREFIX}:host:"  # hash per host: paused_until, tat (next slot)
ROBOTS_PREFIX = f"{PREFIX}:robots:"  # string per host: robots.txt as fetched (TTL)

# WebSub push subscriptions.
WEBSUB_PREFIX = f"{PREFIX}:websub:"  # hash per subscription id: feed, hub, secret ...

# Webhook delivery, per target id (feed_id of the target URL): a hash of its state (cursor:
# the last log id handled, attempts at the next one, counts, last error), a lease string
# naming the one process delivering to it, and a dead-letter stream.
WEBHOOK_PREFIX = f"{PREFIX}:webhook:"


def event_cell(country: str, day: str) -> str:
    """Set of the events in one country on one day: where merge candidates are looked up."""
    return f"{EVENT_CELL_PREFIX}{country}:{day}"


def feed_id(url: str) -> str:
    """Short stable id of a feed URL, used in key names and the HTTP API."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def feed_state(url: str) -> str:
    return FEED_STATE_PREFIX + feed_id(url)


def feed_state_by_id(fid: str) -> str:
    return FEED_STATE_PREFIX + fid


def seen_entries(url: str) -> str:
    return SEEN_PREFIX + feed_id(url)


def entry_states(url: str) -> str:
    return ENTRY_STATE_PREFIX + feed_id(url)


def host(name: str) -> str:
    return HOST_PREFIX + name


def host_inflight(name: str) -> str:
    """zset of request tokens in flight to a host, scored by when each slot expires."""
    return HOST_PREFIX + name + ":inflight"


def robots(name: str) -> str:
    return ROBOTS_PREFIX + name


def websub(subscription_id: str) -> str:
    return WEBSUB_PREFIX + subscription_id


def webhook(target_id: str) -> str:
    return WEBHOOK_PREFIX + target_id


def webhook_lease(target_id: str) -> str:
    return WEBHOOK_PREFIX + target_id + ":lease"


def webhook_dead(target_id: str) -> str:
    """Dead-letter stream of one webhook target: messages it never accepted."""
    return WEBHOOK_PREFIX + target_id + ":dead"


def beats(kind: str) -> str:
    return BEATS_PREFIX + kind


def beat_info(kind: str) -> str:
    return BEAT_INFO_PREFIX + kind
