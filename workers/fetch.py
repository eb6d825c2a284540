"""Safe HTTP GET used by pollers and workers alike: limits, redirects and an SSRF guard.

Every failure raises `FetchError` (network error, timeout, non-2xx status other than 304,
malformed redirect). A refusal raises its subclass `FetchRefused` whose `reason_code` is one
of `REFUSAL_REASONS`:

- ``scheme``          the URL or a redirect target is not http or https
- ``bad_url``         the URL or a redirect target cannot be parsed or has no host
- ``private_address`` the host is, or resolves to, an address outside the public internet
                      (loopback, private, link-local, multicast, unspecified, reserved, CGNAT
                      100.64/10, IPv6 unique-local, and IPv4-mapped, -compatible, NAT64 or 6to4
                      forms of those) that `FetchLimits.allow_networks` does not open
- ``redirects``       more than `FetchLimits.max_redirects` redirects
- ``body_too_large``  the body, counted after decompression, exceeds `max_body_bytes`
- ``robots``          robots.txt disallows the page (workers.politeness, article pages only)
- ``clean_timeout``   cleaning the page took longer than its budget (workers.sandbox)

The guard sits in the session's connector, so it judges the address each socket actually
connects to (first request and every redirect, DNS names and IP literals alike) and DNS
rebinding cannot slip past it. `fetch` also refuses IP literals in any spelling (`127.1`,
`2130706433`, `0x7f.1`) before asking aiohttp, so they never reach a socket.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final, TypeAlias

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from workers.errors import ConfigError, FetchError, FetchRefused

__all__ = [
    "REFUSAL_REASONS",
    "FetchLimits",
    "FetchResult",
    "Politeness",
    "fetch",
    "make_session",
    "parse_retry_after",
    "post",
]

REFUSAL_REASONS: Final = frozenset(
    {
        "scheme",
        "bad_url",
        "private_address",
        "redirects",
        "body_too_large",
        "robots",
        "clean_timeout",
    }
)

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
AddrInfo: TypeAlias = tuple[int, int, int, str, tuple[str, int] | tuple[str, int, int, int]]

_SCHEMES: Final = frozenset({"http", "https"})
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
# Credentials meant for one origin must not follow a redirect to another.
_ORIGIN_BOUND_HEADERS: Final = ("Authorization", "Cookie", "Proxy-Authorization")
_CHUNK_BYTES: Final = 64 * 1024
# Not globally reachable per the IANA registries, spelled out because Python versions differ
# in what is_global and is_private cover (3.11 lets 192.0.0.8 and multicast through).
_DENIED_NETWORKS: Final = tuple(
    ipaddress.ip_network(cidr)
    for cidr in [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ]
)
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_GUARD_MARKER: Final = "refused by newsingest address guard"


@dataclass(frozen=True, slots=True)
class Politeness:
    """Per-host limits shared through Redis (workers.politeness), and robots.txt handling."""

    host_concurrency: int = 2  # requests in flight to one host, all processes together
    host_rate_per_s: float = 1.0  # requests per second to one host; 0: no limit
    max_wait_s: float = 30.0  # a page waits this long for its host, then retries later
    default_pause_s: float = 60.0  # a 429/503 without Retry-After pauses its host this long
    max_pause_s: float = 86400.0  # a longer Retry-After is capped
    robots: bool = True  # honour robots.txt for article pages
    robots_timeout_s: float = 5.0
    robots_ttl_s: float = 86400.0  # robots.txt cached per host this long


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Limits for one fetch; `allow_networks` and `user_agent` also shape `make_session`."""

    timeout_s: float = 20.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_networks: tuple[str, ...] = ()
    user_agent: str = "newsingest/0.1 (+https://github.com/newsingest/newsingest)"
    politeness: Politeness = Politeness()


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One successful fetch: status 2xx with its body, or 304 with an empty body."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


# --- the address guard -------------------------------------------------------------------


class _GuardRefusal(OSError):
    """Raised inside aiohttp's connect path; an OSError so aiohttp wraps it, not crashes."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{_GUARD_MARKER}: {host} -> {address}")


@dataclass(frozen=True, slots=True)
class _Guard:
    """Decides whether an address may be connected to."""

    allow: tuple[IPNetwork, ...]

    @classmethod
    def from_cidrs(cls, cidrs: tuple[str, ...]) -> _Guard:
        try:
            return cls(tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs))
        except ValueError as e:
            raise ConfigError("fetch.allow_networks", str(e)) from e

    def permits(self, ip: IPAddress) -> bool:
        """True when `ip` is public, or opened by an allowed network."""
        if self._allowed(ip):
            return True
        if isinstance(ip, ipaddress.IPv4Address):
            return _is_public(ip)
        embedded = _embedded_ipv4(ip)
        if embedded is None:
            return _is_public(ip)
        if _carries_only_ipv4(ip):
            # ::ffff:8.8.8.8 sits in the reserved ::/8, so only the IPv4 inside can decide.
            return self._allowed(embedded) or _is_public(embedded)
        return _is_public(ip) and _is_public(embedded)

    def permits_text(self, address: str) -> bool:
        """Like `permits` for a resolver's or socket's address string; unparsable is refused."""
        try:
            return self.permits(ipaddress.ip_address(address))
        except ValueError:
            return False

    def _allowed(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allow)


def _is_public(ip: IPAddress) -> bool:
    # is_global alone lets multicast through, and older Pythons miss some ranges.
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or any(ip.version == net.version and ip in net for net in _DENIED_NETWORKS)
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if _carries_only_ipv4(ip):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _carries_only_ipv4(ip: ipaddress.IPv6Address) -> bool:
    # Mapped (::ffff:a.b.c.d), compatible (::a.b.c.d) and NAT64 addresses are just a wrapper.
    return ip.ipv4_mapped is not None or int(ip) >> 32 == 0 or ip in _NAT64


def _literal_ip(host: str) -> IPAddress | None:
    """The address an IP-literal host names in any spelling (127.1, 0x7f.1, 2130706433)."""
    bare = host.rstrip(".").strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:
        # inet_aton speaks the legacy forms (octal, hex, fewer parts) getaddrinfo also accepts.
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


class _GuardedResolver(AbstractResolver):
    """Wraps the default resolver and drops every address the guard refuses."""

    def __init__(self, guard: _Guard) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            results = await self._inner.resolve(host, port, family)
        except UnicodeError as e:
            # getaddrinfo's IDNA encoding rejects hosts like "a..b"; aiohttp expects an OSError.
            raise socket.gaierror(socket.EAI_NONAME, f"invalid host name {host!r}: {e}") from e
        allowed = [r for r in results if self._guard.permits_text(r["host"])]
        if not allowed:
            raise _GuardRefusal(host, ", ".join(r["host"] for r in results) or "nothing")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def _socket_factory(guard: _Guard) -> Callable[[AddrInfo], socket.socket]:
    """Last check before connect(): aiohttp skips the resolver for IP-literal hosts."""

    def make_socket(addr_info: AddrInfo) -> socket.socket:
        family, type_, proto, _, address = addr_info
        if not guard.permits_text(address[0]):
            raise _GuardRefusal(address[0], address[0])
        return socket.socket(family=family, type=type_, proto=proto)

    return make_socket


class _GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector whose every connection passes the address guard."""

    def __init__(self, guard: _Guard) -> None:
        super().__init__(
            resolver=_GuardedResolver(guard),
            socket_factory=_socket_factory(guard),
            limit=256,
            ttl_dns_cache=60,
        )
        self.guard = guard


# --- the session and the fetch ------------------------------------------------------------


def make_session(limits: FetchLimits) -> aiohttp.ClientSession:
    """Create the one shared session of a process, its connector guarded; call inside a loop."""
    return aiohttp.ClientSession(
        connector=_GuardedConnector(_Guard.from_cidrs(limits.allow_networks)),
        timeout=aiohttp.ClientTimeout(total=limits.timeout_s),
        headers={"User-Agent": limits.user_agent},
        # Stateless fetching: no cookies carried between feeds, no proxy from the environment
        # (a proxy would make the connector's address check judge the proxy, not the target).
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    )


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    limits: FetchLimits,
    headers: Mapping[str, str] | None = None,
) -> FetchResult:
    """GET `url` within `limits`, following redirects; raise FetchError or FetchRefused."""
    guard = _session_guard(session)
    request_headers = {"User-Agent": limits.user_agent, **(headers or {})}
    try:
        async with asyncio.timeout(limits.timeout_s):
            return await _follow(session, guard, url, limits, request_headers)
    except TimeoutError as e:
        raise FetchError(url, f"timed out after {limits.timeout_s:g}s") from e


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
) -> int:
    """POST `body` to `url` through the same guard, no redirects followed; the 2xx status.

    Anything else raises: FetchRefused (guard, scheme, a redirect), FetchError with `status`
    (non-2xx, with Retry-After when given) or without (network error, timeout).
    """
    guard = _session_guard(session)
    target = _checked_url(url, url, guard)
    try:
        async with (
            asyncio.timeout(timeout_s),
            session.post(target, data=body, headers=headers, allow_redirects=False) as resp,
        ):
            # The answer's body is never read: a target cannot make us hold a large one.
            if 200 <= resp.status < 300:
                return resp.status
            if resp.status in _REDIRECT_STATUSES:
                raise FetchRefused(url, "redirects", f"HTTP {resp.status}: redirects not followed")
            retry_after_s = parse_retry_after(resp.headers.get("Retry-After"), datetime.now(UTC))
            raise FetchError(
                url, f"HTTP {resp.status}", status=resp.status, retry_after_s=retry_after_s
            )
    except TimeoutError as e:
        raise FetchError(url, f"timed out after {timeout_s:g}s") from e
    except aiohttp.ClientError as e:
        raise _wrapped(url, e) from e


def _session_guard(session: aiohttp.ClientSession) -> _Guard:
    # Safe by default: a session without the guarded connector would skip the SSRF check.
    connector = session.connector
    if not isinstance(connector, _GuardedConnector):
        raise TypeError("fetch() needs a session from workers.fetch.make_session()")
    return connector.guard


async def _follow(
    session: aiohttp.ClientSession,
    guard: _Guard,
    url: str,
    limits: FetchLimits,
    headers: dict[str, str],
) -> FetchResult:
    target = _checked_url(url, url, guard)
    for _ in range(limits.max_redirects + 1):
        outcome = await _request(session, url, target, limits, headers)
        if isinstance(outcome, FetchResult):
            return outcome
        next_target = _checked_url(url, outcome, guard)
        if _origin(next_target) != _origin(target):
            headers = _without_origin_bound(headers)
        target = next_target
    raise FetchRefused(url, "redirects", f"more than {limits.max_redirects} redirects")


def _checked_url(original: str, raw: str | URL, guard: _Guard) -> URL:
    """Parse and vet a URL before any connection: scheme, host, IP literal in any spelling."""
    try:
        target = URL(raw) if isinstance(raw, str) else raw
        host = target.host
    except (ValueError, UnicodeError) as e:
        raise FetchRefused(original, "bad_url", f"{raw}: {e}") from e
    if target.scheme not in _SCHEMES:
        raise FetchRefused(original, "scheme", f"scheme {target.scheme or '(none)'!r}: {raw}")
    if not host:
        raise FetchRefused(original, "bad_url", f"no host: {raw}")
    literal = _literal_ip(host)
    if literal is not None and not guard.permits(literal):
        raise FetchRefused(original, "private_address", f"{host} is {literal}")
    return target


def _origin(target: URL) -> tuple[str, str | None, int | None]:
    return target.scheme, target.host, target.port


def _without_origin_bound(headers: dict[str, str]) -> dict[str, str]:
    bound = {h.lower() for h in _ORIGIN_BOUND_HEADERS}
    return {k: v for k, v in headers.items() if k.lower() not in bound}


async def _request(
    session: aiohttp.ClientSession,
    url: str,
    target: URL,
    limits: FetchLimits,
    headers: dict[str, str],
) -> FetchResult | URL:
    """One GET without following redirects: a result, or the next URL to try."""
    try:
        async with session.get(
            target,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=limits.timeout_s),
        ) as resp:
            if resp.status in _REDIRECT_STATUSES:
                return _redirect_target(url, resp)
            return await _result(url, resp, limits)
    except TimeoutError:
        raise  # aiohttp's own timeouts are ClientErrors too; fetch() reports every timeout
    except aiohttp.ClientError as e:
        raise _wrapped(url, e) from e


def _redirect_target(url: str, resp: aiohttp.ClientResponse) -> URL:
    location = resp.headers.get("Location")
    if not location:
        raise FetchError(url, f"HTTP {resp.status} without Location", status=resp.status)
    try:
        return resp.url.join(URL(location))
    except (ValueError, UnicodeError) as e:
        raise FetchRefused(url, "bad_url", f"redirect to {location!r}: {e}") from e


async def _result(url: str, resp: aiohttp.ClientResponse, limits: FetchLimits) -> FetchResult:
    if resp.status == 304:
        return FetchResult(url, str(resp.url), 304, resp.headers, b"")
    if not 200 <= resp.status < 300:
        retry_after_s = parse_retry_after(resp.headers.get("Retry-After"), datetime.now(UTC))
        raise FetchError(
            url, f"HTTP {resp.status}", status=resp.status, retry_after_s=retry_after_s
        )
    body = await _read_capped(url, resp, limits.max_body_bytes)
    return FetchResult(url, str(resp.url), resp.status, resp.headers, body)


async def _read_capped(url: str, resp: aiohttp.ClientResponse, max_body_bytes: int) -> bytes:
    """Read the decompressed body, stopping as soon as it passes the cap."""
    declared = resp.content_length
    # A declared length only bounds the decoded size when nothing is decoded.
    if (
        declared is not None
        and declared > max_body_bytes
        and "Content-Encoding" not in resp.headers
    ):
        raise _too_large(url, max_body_bytes, f"Content-Length {declared}")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK_BYTES):
        body += chunk
        if len(body) > max_body_bytes:
            raise _too_large(url, max_body_bytes, "body")
    return bytes(body)


def _too_large(url: str, max_body_bytes: int, what: str) -> FetchRefused:
    return FetchRefused(url, "body_too_large", f"{what} over {max_body_bytes} bytes")


def _wrapped(url: str, e: aiohttp.ClientError) -> FetchError:
    """Turn an aiohttp error into ours; a guard refusal deep inside becomes FetchRefused."""
    refusal = _guard_refusal(e)
    if refusal is not None:
        return FetchRefused(url, "private_address", str(refusal))
    if isinstance(e, aiohttp.InvalidURL):
        return FetchRefused(url, "bad_url", str(e))
    return FetchError(url, f"{type(e).__name__}: {e}")


def _guard_refusal(e: BaseException) -> BaseException | None:
    """The guard's refusal in `e`'s chain; aiohappyeyeballs may merge it into a plain OSError."""
    seen: set[int] = set()
    current: BaseException | None = e
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _GuardRefusal) or _GUARD_MARKER in str(current):
            return current
        current = current.__cause__ or current.__context__
    return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (_as_utc(when) - _as_utc(now)).total_seconds())


def _as_utc(moment: datetime) -> datetime:
    # RFC 9110 dates are GMT; a naive datetime here means UTC, never local time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
