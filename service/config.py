"""Settings: defaults < TOML file < NEWSINGEST_<SECTION>_<KEY> environment variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from workers.errors import ConfigError


@dataclass(frozen=True, slots=True)
class RedisSettings:
    url: str = ""  # empty: start an embedded private redis-server
    data_dir: str = "var/redis"  # embedded server's data (appendonly on)
    cluster: bool = False  # url is a Redis Cluster node (implied when url lists several nodes)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    token: str = ""  # bearer token for writes; empty: writes only from loopback clients
    protect_reads: bool = False  # reads need the token too


@dataclass(frozen=True, slots=True)
class FeedsSettings:
    file: str = "seeds/feeds.opml"
    interval_s: float = 300.0
    max_entries: int = 200  # entries taken from one fetch of one feed
    max_revisions_per_entry: int = 3  # re-fetches of a revised entry per window
    backoff_max_s: float = 3600.0  # ceiling of the error backoff
    min_interval_s: float = 60.0  # learned intervals and feed hints stay within these
    max_interval_s: float = 21600.0
    pause_after_errors: int = 10  # consecutive failures, then the feed is paused
    max_text_bytes: int = 65536  # longer text in a feed is cut before feedparser sees it
    poll_concurrency: int = 256  # feeds one poller process fetches at once
    lease_s: float = 0.0  # claim lease; 0: fetch.timeout_s * 3


@dataclass(frozen=True, slots=True)
class WorkersSettings:
    count: int = 0  # worker processes; 0 means one per CPU
    concurrency: int = 8  # items in flight per worker process
    claim_idle_s: float = 60.0  # pending this long: another worker reclaims it
    max_deliveries: int = 5  # then the entry moves to the dead-letter stream
    block_ms: int = 1000  # XREADGROUP block; well under the socket timeout
    clean_timeout_s: float = 30.0  # a page whose analysis takes longer is abandoned


@dataclass(frozen=True, slots=True)
class FetchSettings:
    timeout_s: float = 20.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_networks: tuple[str, ...] = ()
    user_agent: str = "newsingest/0.1 (+https://github.com/newsingest/newsingest)"


@dataclass(frozen=True, slots=True)
class PolitenessSettings:
    host_concurrency: int = 2  # requests in flight to one host, all processes together
    host_rate_per_s: float = 1.0  # requests per second to one host; 0: unlimited
    max_wait_s: float = 30.0  # an article page waits this long for its host
    default_pause_s: float = 60.0  # 429/503 without Retry-After pauses the host this long
    robots: bool = True  # honour robots.txt for article pages
    robots_timeout_s: float = 5.0
    robots_ttl_s: float = 86400.0


@dataclass(frozen=True, slots=True)
class WebSubSettings:
    callback_url: str = ""  # public base URL hubs can reach; empty: no push
    lease_s: float = 86400.0  # lease asked of hubs
    renew_before_s: float = 3600.0  # renew this long before the lease ends
    quiet_s: float = 21600.0  # no push this long: back to polling
    poll_interval_s: float = 3600.0  # safety-net polling of a pushed feed


@dataclass(frozen=True, slots=True)
class StoreSettings:
    window_s: float = 7 * 24 * 3600.0
    trim_every_s: float = 60.0


@dataclass(frozen=True, slots=True)
class ExtractSettings:
    # Events whose confidence (the estimated probability that they are a real incident of
    # their type) is below this are not stored or published.
    min_confidence: float = 0.6


@dataclass(frozen=True, slots=True)
class SseSettings:
    heartbeat_s: float = 15.0  # comment line sent on an idle stream, so proxies keep it open
    buffer: int = 1000  # messages queued for one client; past this it is dropped
    max_clients: int = 1000  # open streams per API process


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """One [[webhooks]] table: a target URL, its HMAC secret, filters, retry policy."""

    url: str = ""
    secret: str = ""  # HMAC-SHA256 key of X-Newsingest-Signature; required
    type: str = ""  # event types or sub-types, comma-separated; empty: all
    country: str = ""  # ISO alpha-2 codes, comma-separated; empty: all
    min_confidence: float = 0.0
    kind: str = ""  # created,updated,retracted; empty: all
    max_attempts: int = 10  # then the message goes to the target's dead-letter stream
    backoff_s: float = 1.0  # first retry after about this long, doubling
    backoff_max_s: float = 300.0
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = "INFO"


@dataclass(frozen=True, slots=True)
class Settings:
    redis: RedisSettings = field(default_factory=RedisSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    feeds: FeedsSettings = field(default_factory=FeedsSettings)
    workers: WorkersSettings = field(default_factory=WorkersSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    politeness: PolitenessSettings = field(default_factory=PolitenessSettings)
    websub: WebSubSettings = field(default_factory=WebSubSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    sse: SseSettings = field(default_factory=SseSettings)
    log: LogSettings = field(default_factory=LogSettings)
    webhooks: tuple[WebhookSettings, ...] = ()

    def worker_count(self) -> int:
        return self.workers.count or os.cpu_count() or 1


ENV_PREFIX = "NEWSINGEST_"


def load(path: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from defaults, an optional TOML file, then the environment."""
    settings = Settings()
    if path:
        settings = _apply(settings, _read_toml(path), origin=path)
    env = os.environ if environ is None else environ
    return _validate(_apply(settings, _from_env(env), origin="environment"))


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as e:
        raise ConfigError(path, f"cannot read config file: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, f"invalid TOML: {e}") from e


def _from_env(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """NEWSINGEST_REDIS_URL -> {"redis": {"url": ...}}; unknown names are reported by _apply."""
    out: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
        if section in Settings.__dataclass_fields__ and key:
            out.setdefault(section, {})[key] = value
    return out


def _apply(settings: Settings, data: Mapping[str, Any], origin: str) -> Settings:
    for section, values in data.items():
        if section == "webhooks":
            settings = replace(settings, webhooks=_webhooks(values, origin))
            continue
        if section not in Settings.__dataclass_fields__:
            raise ConfigError(section, f"unknown config section (from {origin})")
        if not isinstance(values, Mapping):
            raise ConfigError(section, f"expected a table (from {origin})")
        current = getattr(settings, section)
        updates = {k: _coerce(current, section, k, v) for k, v in values.items()}
        settings = replace(settings, **{section: replace(current, **updates)})
    return settings


def _webhooks(tables: Any, origin: str) -> tuple[WebhookSettings, ...]:
    """[[webhooks]] tables, each checked like a section and named by its index."""
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise ConfigError("webhooks", f"expected [[webhooks]] tables (from {origin})")
    out = []
    for i, table in enumerate(tables):
        where = f"webhooks[{i}]"
        hook = WebhookSettings()
        hook = replace(hook, **{k: _coerce(hook, where, k, v) for k, v in table.items()})
        checks = [
            ("url", hook.url.startswith(("http://", "https://")), "must be an http(s) URL"),
            ("secret", bool(hook.secret), "required (the signature's key)"),
            ("max_attempts", hook.max_attempts > 0, "must be > 0"),
            ("backoff_s", hook.backoff_s > 0, "must be > 0"),
            ("backoff_max_s", hook.backoff_max_s >= hook.backoff_s, "must be >= backoff_s"),
            ("timeout_s", hook.timeout_s > 0, "must be > 0"),
            ("min_confidence", 0 <= hook.min_confidence <= 1, "must be 0..1"),
        ]
        for key, ok, why in checks:
            if not ok:
                raise ConfigError(f"{where}.{key}", f"invalid value: {why}")
        out.append(hook)
    return tuple(out)


def _coerce(section_obj: Any, section: str, key: str, value: Any) -> Any:
    known = {f.name: f for f in fields(section_obj)}
    where = f"{section}.{key}"
    if key not in known:
        raise ConfigError(where, "unknown config key")
    default = getattr(section_obj, key)
    try:
        return _as_type(default, value)
    except (TypeError, ValueError) as e:
        raise ConfigError(where, f"invalid value {value!r}: {e}") from e


def _as_type(default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError("expected true or false")
    if isinstance(default, tuple):
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(i).strip() for i in items if str(i).strip())
    if isinstance(default, int):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("expected an integer")
        return int(value)
    if isinstance(default, float):
        return float(value)
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _validate(s: Settings) -> Settings:
    checks = [
        ("http.port", 0 <= s.http.port <= 65535, "must be 0..65535"),
        (
            "http.protect_reads",
            bool(s.http.token) or not s.http.protect_reads,
            "needs http.token to be set",
        ),
        ("feeds.interval_s", s.feeds.interval_s > 0, "must be > 0"),
        ("feeds.max_entries", s.feeds.max_entries > 0, "must be > 0"),
        ("feeds.max_revisions_per_entry", s.feeds.max_revisions_per_entry >= 0, "must be >= 0"),
        ("workers.count", s.workers.count >= 0, "must be >= 0"),
        ("workers.concurrency", s.workers.concurrency > 0, "must be > 0"),
        ("workers.claim_idle_s", s.workers.claim_idle_s > 0, "must be > 0"),
        ("workers.max_deliveries", s.workers.max_deliveries > 0, "must be > 0"),
        ("workers.block_ms", 0 < s.workers.block_ms <= 5000, "must be 1..5000"),
        ("workers.clean_timeout_s", s.workers.clean_timeout_s > 0, "must be > 0"),
        (
            "feeds.min_interval_s",
            0 < s.feeds.min_interval_s <= s.feeds.max_interval_s,
            "must be > 0 and <= feeds.max_interval_s",
        ),
        ("feeds.pause_after_errors", s.feeds.pause_after_errors > 0, "must be > 0"),
        ("feeds.poll_concurrency", s.feeds.poll_concurrency > 0, "must be > 0"),
        ("politeness.host_concurrency", s.politeness.host_concurrency >= 0, "must be >= 0"),
        ("politeness.host_rate_per_s", s.politeness.host_rate_per_s >= 0, "must be >= 0"),
        ("fetch.timeout_s", s.fetch.timeout_s > 0, "must be > 0"),
        ("fetch.max_body_bytes", s.fetch.max_body_bytes > 0, "must be > 0"),
        ("fetch.max_redirects", s.fetch.max_redirects >= 0, "must be >= 0"),
        ("store.window_s", s.store.window_s > 0, "must be > 0"),
        ("extract.min_confidence", 0 <= s.extract.min_confidence <= 1, "must be 0..1"),
        ("sse.heartbeat_s", s.sse.heartbeat_s > 0, "must be > 0"),
        ("sse.buffer", s.sse.buffer > 0, "must be > 0"),
        ("sse.max_clients", s.sse.max_clients > 0, "must be > 0"),
        (
            "log.level",
            s.log.level.upper() in {"DEBUG", "INFO", "WARNING", "ERROR"},
            "must be DEBUG, INFO, WARNING or ERROR",
        ),
        (
            "redis.url",
            not s.redis.url or s.redis.url.startswith(("redis://", "rediss://", "unix://")),
            "must start with redis://, rediss:// or unix://",
        ),
        ("redis.cluster", bool(s.redis.url) or not s.redis.cluster, "needs redis.url"),
    ]
    for key, ok, why in checks:
        if not ok:
            raise ConfigError(key, f"invalid value: {why}")
    _validate_networks(s.fetch.allow_networks)
    return s


def _validate_networks(networks: tuple[str, ...]) -> None:
    import ipaddress

    for net in networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError as e:
            raise ConfigError("fetch.allow_networks", f"invalid network {net!r}") from e
