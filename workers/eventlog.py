"""Reading the durable events log (keys.EVENTS_STREAM): positions, entries, filters.

Everything that delivers events to users (`newsingest tail`, the SSE stream, webhooks) reads
the log the same way: from a position (a log id, exclusive) onwards, each entry parsed once
into a `LogEntry` and matched against an `EventFilter`. The log is written only by the commit
script; this module never writes it.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from workers import keys
from workers.errors import ConfigError
from workers.queue import parse_entries
from workers.records import parse_iso

KINDS = ("created", "updated", "retracted")
MAX_SEQ = 2**64 - 1  # largest sequence part of a stream id
_ID = re.compile(r"^\d+(-\d+)?$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One message of the log: its log id, kind, the event, and when it was committed."""

    log_id: str
    kind: str
    event: dict[str, Any]
    message: str  # the message JSON exactly as published on the channel
    committed_at: float | None

    def line(self) -> str:
        """The message as one JSON line with its log id first, without re-serialising it."""
        return '{"log_id":' + json.dumps(self.log_id) + "," + self.message.lstrip()[1:]


def to_entry(log_id: str, fields: dict[str, str]) -> LogEntry | None:
    """Parse one stream entry; None when it is not a message (never written so, but be safe)."""
    try:
        message = fields["message"]
        event = json.loads(message).get("event") or {}
    except (KeyError, ValueError, AttributeError):
        return None
    committed = fields.get("committed_at")
    return LogEntry(
        log_id,
        fields.get("kind", ""),
        event,
        message,
        float(committed) if committed else None,
    )


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which messages a consumer wants; empty sets mean any."""

    types: frozenset[str] = frozenset()  # event types or sub-types, lower case
    countries: frozenset[str] = frozenset()  # ISO alpha-2, upper case
    min_confidence: float | None = None
    kinds: frozenset[str] = frozenset()

    def matches(self, entry: LogEntry) -> bool:
        event = entry.event
        if self.kinds and entry.kind not in self.kinds:
            return False
        if (
            self.types
            and not {
                str(event.get("event_type", "")).lower(),
                str(event.get("sub_event_type", "")).lower(),
            }
            & self.types
        ):
            return False
        country = (event.get("location") or {}).get("country")
        if self.countries and str(country or "").upper() not in self.countries:
            return False
        confidence = event.get("confidence")
        return self.min_confidence is None or (
            isinstance(confidence, int | float) and confidence >= self.min_confidence
        )


def make_filter(
    types: str | None = None,
    countries: str | None = None,
    min_confidence: str | float | None = None,
    kinds: str | None = None,
    source: str = "filter",
) -> EventFilter:
    """An EventFilter from comma-separated user input; ConfigError names the bad part."""
    kind_set = _split(kinds, str.lower)
    unknown = kind_set - set(KINDS)
    if unknown:
        raise ConfigError(f"{source} kind", f"unknown kind {sorted(unknown)[0]!r}: one of {KINDS}")
    try:
        floor = float(min_confidence) if min_confidence not in (None, "") else None
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{source} min_confidence", "expected a number 0..1") from e
    if floor is not None and not 0 <= floor <= 1:
        raise ConfigError(f"{source} min_confidence", "expected a number 0..1")
    return EventFilter(
        _split(types, str.lower), _split(countries, str.upper), floor, frozenset(kind_set)
    )


def _split(raw: str | None, norm: Any) -> frozenset[str]:
    return frozenset(norm(p.strip()) for p in (raw or "").split(",") if p.strip())


def position_of(spec: str, last_id: str, now_s: float | None = None) -> str:
    """The log id to read after for `--since`: an id, `now` (= `last_id`), `0`, 90s/15m/1h/2d, or an ISO time."""
    spec = spec.strip()
    if spec == "now":
        return last_id
    if _ID.match(spec):
        return spec if "-" in spec else f"{spec}-0" if spec != "0" else "0-0"
    now_s = time.time() if now_s is None else now_s
    duration = _DURATION.match(spec)
    if duration:
        return _before_ms(int((now_s - float(duration[1]) * _UNIT_S[duration[2]]) * 1000))
    when = parse_iso(spec)
    if when is None:
        raise ConfigError(
            "since", f"{spec!r}: expected a log id, now, 0, 90s/15m/1h/2d or an ISO time"
        )
    return _before_ms(int(when.timestamp() * 1000))


def _before_ms(ms: int) -> str:
    """The largest id before millisecond `ms`, so reading after it starts at `ms` inclusive."""
    return f"{ms - 1}-{MAX_SEQ}" if ms > 0 else "0-0"


def id_key(log_id: str) -> tuple[int, int]:
    ms, _, seq = log_id.partition("-")
    return int(ms), int(seq or 0)


async def last_id(redis: Any) -> str:
    """The id of the newest entry in the log, or 0-0 when it is empty."""
    newest = await redis.xrevrange(keys.EVENTS_STREAM, count=1)
    return str(newest[0][0]) if newest else "0-0"


async def first_id(redis: Any) -> str | None:
    oldest = await redis.xrange(keys.EVENTS_STREAM, count=1)
    return str(oldest[0][0]) if oldest else None


async def read_after(
    redis: Any, after: str, count: int = 500, block_ms: int | None = None
) -> list[LogEntry]:
    """Entries after log id `after`, oldest first; waits up to `block_ms` when there are none."""
    reply = await redis.xread({keys.EVENTS_STREAM: after}, count=count, block=block_ms)
    return [e for eid, fields in parse_entries(reply) if (e := to_entry(eid, fields))]


async def older_than_log(redis: Any, after: str) -> str | None:
    """The log's oldest id when `after` (an id a consumer saw) is older still, else None.

    The store trims the log by age, so the consumer may have missed entries that came after
    `after` and are gone now (or there were none: the log cannot tell which).
    """
    oldest = await first_id(redis)
    if oldest is None or after == "0-0" or id_key(after) >= id_key(oldest):
        return None
    return oldest
