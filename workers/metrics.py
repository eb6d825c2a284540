"""Counters shared by every process, kept in one Redis hash so any API process can report them."""

from __future__ import annotations

from typing import Any

from workers import keys

# Counter name -> help text. /metrics renders these with the `_total` suffix.
COUNTERS = {
    "newsingest_feed_polls": "Feed polls by outcome (new, unchanged, not_modified, error).",
    "newsingest_feed_entries": "Feed entries enqueued for the workers.",
    "newsingest_feed_revisions": (
        "Revised feed entries by outcome (enqueued; limited: over feeds.max_revisions_per_entry;"
        " not_modified: the page answered 304)."
    ),
    "newsingest_articles": "Articles by dedup verdict (new, duplicate, update, failed).",
    "newsingest_events_published": "Event messages published by kind (created, updated, retracted).",
    "newsingest_events_withheld": (
        "Events found below extract.min_confidence: neither stored nor published."
    ),
    "newsingest_fetch_refused": "Fetches refused before connecting, by reason.",
    "newsingest_fetch_errors": "Fetch failures by stage (feed, page).",
    "newsingest_items_dead_lettered": "Queue entries moved to the dead-letter stream.",
    "newsingest_items_already_done": (
        "Queue entries due for dead letters whose commit was stored already (its ack was lost):"
        " acked instead."
    ),
    "newsingest_items_reclaimed": "Queue entries reclaimed from a dead or stuck worker.",
    "newsingest_items_trimmed": "Acknowledged queue entries deleted from the work stream.",
    "newsingest_sse_clients_dropped": "Event-stream clients disconnected for reading too slowly.",
    "newsingest_webhook_deliveries": "Webhook attempts by target and outcome (delivered, failed, dead).",
    "newsingest_items_deferred": "Queue entries set aside until their page host's pause ends.",
}

# Histogram name -> (help, bucket upper bounds in seconds).
HISTOGRAMS = {
    "newsingest_pipeline_latency_seconds": (
        "From the poll that saw an entry to the PUBLISH of its events.",
        (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    ),
    "newsingest_ingest_lag_seconds": (
        "From an entry's published time to the PUBLISH of its events.",
        (10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
    ),
}


def field(name: str, **labels: str) -> str:
    """Hash field for one labelled counter: `name|k=v,k=v` (labels sorted)."""
    if not labels:
        return name
    return name + "|" + ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def parse_field(raw: str) -> tuple[str, dict[str, str]]:
    name, _, rest = raw.partition("|")
    labels = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
    return name, labels


def histogram_fields(name: str, value_s: float) -> list[str]:
    """The fields to increment for one observation: matching buckets, +Inf, count; sum apart."""
    _, bounds = HISTOGRAMS[name]
    out = [field(name + "_bucket", le=_fmt(b)) for b in bounds if value_s <= b]
    out.append(field(name + "_bucket", le="+Inf"))
    out.append(field(name + "_count"))
    return out


def _fmt(bound: float) -> str:
    return repr(float(bound))


async def incr(redis: Any, name: str, amount: int = 1, **labels: str) -> None:
    await redis.hincrby(keys.METRICS, field(name, **labels), amount)


async def observe(redis: Any, *observations: tuple[str, float]) -> None:
    """Record (histogram name, seconds) observations in one round trip."""
    if not observations:
        return
    pipe = redis.pipeline(transaction=False)
    for name, value_s in observations:
        for f in histogram_fields(name, value_s):
            pipe.hincrby(keys.METRICS, f, 1)
        pipe.hincrbyfloat(keys.METRICS, field(name + "_sum"), value_s)
    await pipe.execute()
