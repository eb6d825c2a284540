"""One exception hierarchy for the pipeline; every error names the input it is about."""

from __future__ import annotations


class IngestError(Exception):
    """Base of every newsingest error; `source` names the feed URL, page URL, file or key."""

    reason = "error"
    # True when retrying cannot help (a 404, a page with no text): the queue dead-letters it.
    permanent = False

    def __init__(self, source: str, detail: str = "") -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"{source}: {detail}" if detail else source)


class ConfigError(IngestError):
    """A setting is missing or invalid; `source` is the config key."""

    reason = "config"


RETRYABLE = (408, 425, 429)  # 4xx statuses worth retrying: timeout, too early, rate limited


class FetchError(IngestError):
    """An HTTP fetch failed (network, status, size or time limit)."""

    reason = "fetch"

    def __init__(
        self,
        source: str,
        detail: str = "",
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(source, detail)
        self.status = status
        self.retry_after_s = retry_after_s
        # Client errors other than timeouts and rate limits will answer the same next time.
        self.permanent = status is not None and 400 <= status < 500 and status not in RETRYABLE


class HostPaused(FetchError):
    """The page's host is paused (a 429 or 503 with Retry-After) or busy past max_wait_s.

    Not a failure of the entry: the queue defers it until `retry_after_s` has passed, without
    counting a delivery. `answered` is True when this entry's own request got the 429/503.
    """

    reason = "paused"

    def __init__(
        self,
        source: str,
        detail: str,
        *,
        retry_after_s: float,
        status: int | None = None,
        answered: bool = False,
    ) -> None:
        super().__init__(source, detail, status=status, retry_after_s=retry_after_s)
        self.permanent = False
        self.answered = answered

    @property
    def defer_s(self) -> float:
        return max(0.0, self.retry_after_s or 0.0)


class FetchRefused(FetchError):
    """A fetch refused before connecting (SSRF guard, scheme, robots); `reason_code` says why."""

    reason = "refused"

    def __init__(self, source: str, reason_code: str, detail: str = "") -> None:
        super().__init__(source, detail or reason_code)
        self.reason_code = reason_code
        self.permanent = True


class FeedError(IngestError):
    """A fetched feed could not be parsed into entries."""

    reason = "feed"


class CleanError(IngestError):
    """An article page could not be turned into clean text."""

    reason = "clean"
    permanent = True


class ExtractError(IngestError):
    """Event extraction failed on a document."""

    reason = "extract"
