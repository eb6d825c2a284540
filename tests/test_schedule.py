"""The pure scheduling policy: learned intervals, hints, backoff, pausing, overflow."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from workers.schedule import (
    FeedClock,
    Observation,
    ScheduleSettings,
    feed_hint_s,
    http_hint_s,
    interval_for_rate,
    missed_windows,
    next_poll,
)

S = ScheduleSettings(
    interval_s=300,
    min_interval_s=60,
    max_interval_s=21600,
    backoff_max_s=3600,
    pause_after_errors=3,
    jitter=0.0,
)
NOW = 1_800_000_000.0


def rng() -> random.Random:
    return random.Random(7)


def test_new_feed_starts_at_the_configured_interval() -> None:
    """A feed polled for the first time comes back after interval_s."""
    d = next_poll(FeedClock(), Observation(NOW, True, new_entries=20, window_entries=20), S, rng())
    assert d.next_due == NOW + 300 and not d.overflowed and not d.paused


def test_busy_feed_is_polled_about_once_per_new_entry() -> None:
    """Six new entries in ten minutes: the interval shrinks to about a hundred seconds."""
    clock = FeedClock(interval_s=600, rate_per_s=6 / 600, last_poll=NOW - 600)
    d = next_poll(clock, Observation(NOW, True, new_entries=6, window_entries=30), S, rng())
    assert 90 <= d.clock.interval_s <= 110


def test_quiet_feed_backs_off_gradually_up_to_the_ceiling() -> None:
    """No new entries: the interval doubles per poll, never past max_interval_s."""
    clock, seen = FeedClock(interval_s=300, rate_per_s=0.001, last_poll=NOW - 300), []
    now = NOW
    for _ in range(12):
        d = next_poll(clock, Observation(now, True, 0, 30), S, rng())
        seen.append(d.clock.interval_s)
        clock, now = d.clock, d.next_due
    assert seen[0] <= 600 and seen == sorted(seen) and seen[-1] == S.max_interval_s


def test_feed_and_http_hints_are_a_floor_within_bounds() -> None:
    """<ttl> or max-age longer than the learned interval wins, capped at max_interval_s."""
    clock = FeedClock(interval_s=60, rate_per_s=1 / 60, last_poll=NOW - 60)
    d = next_poll(clock, Observation(NOW, True, 1, 30, hint_s=1800), S, rng())
    assert d.next_due == NOW + 1800
    d = next_poll(clock, Observation(NOW, True, 1, 30, hint_s=10 * 86400), S, rng())
    assert d.next_due == NOW + S.max_interval_s


def test_hint_parsing() -> None:
    """ttl minutes, sy:updatePeriod/Frequency, Cache-Control max-age and Expires become seconds."""
    assert feed_hint_s("30", None, None) == 1800
    assert feed_hint_s(None, "hourly", "2") == 1800
    assert feed_hint_s("5", "daily", None) == 86400
    assert feed_hint_s("soon", "fortnightly", "x") == 0
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert http_hint_s({"Cache-Control": "public, max-age=600"}, now) == 600
    assert http_hint_s({"Cache-Control": "no-cache, max-age=600"}, now) == 0
    assert http_hint_s({"Expires": "Thu, 01 Jan 2026 00:10:00 GMT"}, now) == 600
    assert http_hint_s({"Expires": "0"}, now) == 0


def test_errors_back_off_exponentially_with_jitter_then_pause() -> None:
    """Each failure doubles the delay (+-20%), capped; the third pauses the feed."""
    clock = FeedClock(interval_s=300)
    delays = []
    for _ in range(3):
        d = next_poll(clock, Observation(NOW, False), S, rng())
        delays.append(d.next_due - NOW)
        clock = d.clock
    assert 240 <= delays[0] <= 360 and 480 <= delays[1] <= 720
    assert d.paused and d.clock.errors == 3


def test_retry_after_is_honoured_on_error() -> None:
    """A 429 with Retry-After: 7200 is not polled again before two hours."""
    d = next_poll(FeedClock(interval_s=300), Observation(NOW, False, retry_after_s=7200), S, rng())
    assert d.next_due >= NOW + 7200


def test_overflowed_window_is_polled_sooner() -> None:
    """Every entry new on a re-poll: entries may have been missed, so the next poll comes sooner."""
    clock = FeedClock(interval_s=1200, rate_per_s=0.001, last_poll=NOW - 1200)
    d = next_poll(clock, Observation(NOW, True, new_entries=20, window_entries=20), S, rng())
    assert d.overflowed and d.next_due - NOW <= 300


def test_success_resets_errors() -> None:
    """One good poll after failures clears the error count."""
    d = next_poll(FeedClock(interval_s=300, errors=2), Observation(NOW, True, 0, 5), S, rng())
    assert d.clock.errors == 0 and not d.paused


def test_rate_to_interval_and_missed_windows() -> None:
    """Unknown rate: the default; zero: the ceiling; late polls count whole missed intervals."""
    assert interval_for_rate(-1, S) == 300 and interval_for_rate(0, S) == S.max_interval_s
    assert interval_for_rate(1.0, S) == 60
    assert missed_windows(NOW, NOW + 650, 300) == 2 and missed_windows(NOW, NOW - 5, 300) == 0


def test_jitter_stays_within_bounds() -> None:
    """+-10% jitter on a 300 s interval spreads polls between 270 and 330 s."""
    s = ScheduleSettings(jitter=0.1)
    r = random.Random(1)
    dues = {
        next_poll(FeedClock(), Observation(NOW, True, 1, 1), s, r).next_due - NOW for _ in range(50)
    }
    assert min(dues) >= 270 and max(dues) <= 330 and len(dues) > 10
