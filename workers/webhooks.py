"""Webhook targets and the pure rules of delivering to them: signature, backoff, what to retry.

The delivery loop itself (Redis lease, cursor, HTTP) is service/webhooks.py.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field

from workers import keys
from workers.errors import FetchError, FetchRefused
from workers.eventlog import EventFilter

SIGNATURE_HEADER = "X-Newsingest-Signature"
ID_HEADER = "X-Newsingest-Id"  # the message's log id: the same on every retry
KIND_HEADER = "X-Newsingest-Kind"
RETRY_STATUSES = frozenset({408, 425, 429})  # 4xx worth retrying; other 4xx never change


@dataclass(frozen=True, slots=True)
class Target:
    """One configured webhook: where, the HMAC secret, which messages, and how hard to try."""

    url: str
    secret: str = ""
    filter: EventFilter = field(default_factory=EventFilter)
    max_attempts: int = 10
    backoff_s: float = 1.0  # first retry after about this long, doubling each time
    backoff_max_s: float = 300.0
    timeout_s: float = 10.0

    @property
    def id(self) -> str:
        return keys.feed_id(self.url)


def sign(secret: str, body: bytes) -> str:
    """The X-Newsingest-Signature value: sha256= and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header)


def backoff_s(attempt: int, target: Target, rng: random.Random | None = None) -> float:
    """Wait before attempt `attempt + 1`: exponential from backoff_s, capped, +-20% jitter."""
    base = min(target.backoff_max_s, target.backoff_s * 2.0 ** max(0, attempt - 1))
    jitter: float = (rng or random).uniform(0.8, 1.2)
    return base * jitter


def retryable(error: FetchError) -> bool:
    """Network errors, timeouts, 5xx and 408/425/429 are retried; refusals and other 4xx not."""
    if isinstance(error, FetchRefused):
        return False
    return error.status is None or error.status >= 500 or error.status in RETRY_STATUSES
