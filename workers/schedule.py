"""When to poll a feed next: pure scheduling arithmetic, no Redis, no network.

The poller (service/poll) feeds each finished poll into `next_poll` and stores what comes
back in Redis. Everything here is a function of its arguments (the random source included),
so the policy can be tested without a clock.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# sy:updatePeriod values in seconds (RSS 1.0 syndication module).
_SY_PERIOD_S = {
    "hourly": 3600.0,
    "daily": 86400.0,
    "weekly": 7 * 86400.0,
    "monthly": 30 * 86400.0,
    "yearly": 365 * 86400.0,
}
_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*(no-store|no-cache)\b", re.IGNORECASE)
# Weight of the newest observation in the entry-rate average: about the last five polls count.
_RATE_WEIGHT = 0.3
# A feed whose window overflowed is polled after this fraction of its interval.
_OVERFLOW_FACTOR = 0.25
# A quiet feed's interval at most doubles per poll: one quiet hour does not mean a dead feed.
_MAX_GROWTH = 2.0


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """Bounds of the policy, from [feeds] in the config."""

    interval_s: float = 300.0  # first interval of a new feed
    min_interval_s: float = 60.0  # never poll one feed more often (hints included)
    max_interval_s: float = 6 * 3600.0  # never poll one feed less often (unless paused)
    backoff_max_s: float = 3600.0  # ceiling of the error backoff
    pause_after_errors: int = 10  # consecutive failures before a feed is paused
    jitter: float = 0.1  # +-fraction added to every interval: spreads the herd
    max_retry_after_s: float = 86400.0  # a Retry-After longer than this is capped


@dataclass(frozen=True, slots=True)
class FeedClock:
    """The scheduling state kept per feed between polls."""

    interval_s: float = 0.0  # 0: not learned yet, use ScheduleSettings.interval_s
    rate_per_s: float = -1.0  # average new entries per second; < 0: unknown
    errors: int = 0  # consecutive failures
    last_poll: float = 0.0  # epoch seconds of the previous poll, 0 if none


@dataclass(frozen=True, slots=True)
class Observation:
    """What one poll saw."""

    now: float
    ok: bool  # False: fetch or parse failed
    new_entries: int = 0
    window_entries: int = 0  # entries the feed listed (after our cap)
    hint_s: float = 0.0  # the feed's or server's own "not before" (ttl, max-age ...)
    retry_after_s: float | None = None  # from a 429/503


@dataclass(frozen=True, slots=True)
class Decision:
    """When to poll next and the state to keep."""

    next_due: float  # epoch seconds; meaningless when paused
    clock: FeedClock
    paused: bool = False
    overflowed: bool = False


def next_poll(
    clock: FeedClock, obs: Observation, s: ScheduleSettings, rng: random.Random | None = None
) -> Decision:
    """The next poll time after `obs`, and the feed's updated clock."""
    rng = rng or random.Random()
    if not obs.ok:
        return _after_error(clock, obs, s, rng)
    rate = learned_rate(clock, obs)
    overflowed = (
        clock.last_poll > 0 and obs.window_entries > 0 and obs.new_entries >= obs.window_entries
    )
    previous = clock.interval_s or _clamp(s.interval_s, s)
    interval = min(interval_for_rate(rate, s), max(previous * _MAX_GROWTH, s.min_interval_s))
    if overflowed:
        interval = max(s.min_interval_s, min(interval, previous) * _OVERFLOW_FACTOR)
    delay = _jittered(interval, s.jitter, rng)
    # Hints are a floor: the feed or its server asked us not to come back sooner.
    delay = max(delay, min(obs.hint_s, s.max_interval_s), obs.retry_after_s or 0.0)
    new_clock = FeedClock(interval_s=interval, rate_per_s=rate, errors=0, last_poll=obs.now)
    return Decision(obs.now + delay, new_clock, overflowed=overflowed)


def learned_rate(clock: FeedClock, obs: Observation) -> float:
    """Exponentially weighted new entries per second, over the gaps between polls."""
    if clock.last_poll <= 0 or obs.now <= clock.last_poll:
        return clock.rate_per_s
    observed = obs.new_entries / (obs.now - clock.last_poll)
    if clock.rate_per_s < 0:
        return observed
    return (1 - _RATE_WEIGHT) * clock.rate_per_s + _RATE_WEIGHT * observed


def interval_for_rate(rate_per_s: float, s: ScheduleSettings) -> float:
    """About one new entry per poll, within the configured bounds."""
    if rate_per_s < 0:
        return _clamp(s.interval_s, s)
    if rate_per_s == 0:
        return s.max_interval_s
    return _clamp(1.0 / rate_per_s, s)


def backoff_s(errors: int, interval_s: float, ceiling_s: float, rng: random.Random) -> float:
    """Delay after `errors` consecutive failures: exponential, capped, with +-20% jitter."""
    base = min(ceiling_s, interval_s * 2.0 ** max(0, errors - 1))
    return float(base * rng.uniform(0.8, 1.2))


def _after_error(
    clock: FeedClock, obs: Observation, s: ScheduleSettings, rng: random.Random
) -> Decision:
    errors = clock.errors + 1
    interval = clock.interval_s or _clamp(s.interval_s, s)
    delay = backoff_s(errors, min(interval, s.backoff_max_s), s.backoff_max_s, rng)
    if obs.retry_after_s is not None:
        delay = max(delay, min(obs.retry_after_s, s.max_retry_after_s))
    new_clock = FeedClock(
        interval_s=interval, rate_per_s=clock.rate_per_s, errors=errors, last_poll=clock.last_poll
    )
    return Decision(obs.now + delay, new_clock, paused=errors >= s.pause_after_errors)


def _clamp(value: float, s: ScheduleSettings) -> float:
    return min(s.max_interval_s, max(s.min_interval_s, value))


def _jittered(value: float, jitter: float, rng: random.Random) -> float:
    return value * rng.uniform(1 - jitter, 1 + jitter) if jitter else value


# --- hints from the feed document and the HTTP response ------------------------------------


def feed_hint_s(ttl_minutes: str | None, sy_period: str | None, sy_frequency: str | None) -> float:
    """Seconds between updates the feed itself announces (<ttl>, sy:updatePeriod/Frequency)."""
    hint = 0.0
    if ttl_minutes and ttl_minutes.strip().isdigit():
        hint = float(ttl_minutes.strip()) * 60.0
    period = _SY_PERIOD_S.get((sy_period or "").strip().lower())
    if period:
        freq = (sy_frequency or "1").strip()
        hint = max(hint, period / max(1, int(freq) if freq.isdigit() else 1))
    return hint


def http_hint_s(headers: Mapping[str, str], now: datetime) -> float:
    """Freshness lifetime the server gives the feed: Cache-Control max-age, else Expires."""
    cache = headers.get("Cache-Control") or ""
    if _NO_STORE.search(cache):
        return 0.0
    ages = [float(m.group(2)) for m in _MAX_AGE.finditer(cache)]
    if ages:
        return max(ages)
    expires = headers.get("Expires")
    if not expires:
        return 0.0
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError, IndexError):
        return 0.0
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return max(0.0, (when - now).total_seconds())


def missed_windows(due: float, started: float, interval_s: float) -> int:
    """Whole intervals that passed between a poll's due time and its start (0 when on time)."""
    if interval_s <= 0 or started <= due:
        return 0
    return int((started - due) // interval_s)
