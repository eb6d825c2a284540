"""The safe fetcher against real local servers: statuses, redirects, limits and the SSRF guard."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from aiohttp import web

from workers.errors import ConfigError, FetchError, FetchRefused
from workers.fetch import (
    REFUSAL_REASONS,
    FetchLimits,
    fetch,
    make_session,
    parse_retry_after,
)

LOCAL = FetchLimits(allow_networks=("127.0.0.1/32",), timeout_s=5.0)
BOMB_DECODED_BYTES = 64 * 1024 * 1024


# --- servers --------------------------------------------------------------------------------


@dataclass
class Site:
    """A local aiohttp site; `base` is its http://127.0.0.1:port origin."""

    base: str
    seen_headers: list[dict[str, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


async def _start_site(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def _site_app(site: Site) -> web.Application:
    async def page(request: web.Request) -> web.Response:
        site.seen_headers.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(text="hello", headers={"ETag": '"v1"'})

    async def status(request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        return web.Response(status=code, text="no", headers={"Retry-After": "7"})

    async def chain(request: web.Request) -> web.Response:
        left = int(request.match_info["n"])
        if left == 0:
            return web.Response(text="end of chain")
        raise web.HTTPFound(f"/chain/{left - 1}")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def bomb(request: web.Request) -> web.Response:
        return web.Response(body=_gzip_bomb(), headers={"Content-Encoding": "gzip"})

    async def small_gzip(request: web.Request) -> web.Response:
        body = gzip.compress(b"x" * 1000)
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (2 * 1024 * 1024))

    async def trickle(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Length": "600"})
        await resp.prepare(request)
        for _ in range(600):  # a byte every 0.1 s: a minute unless the client cuts it
            await resp.write(b"x")
            await asyncio.sleep(0.1)
        return resp

    app = web.Application()
    app.router.add_get("/page", page)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/chain/{n}", chain)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/small-gzip", small_gzip)
    app.router.add_get("/big", big)
    app.router.add_get("/trickle", trickle)
    return app


_BOMB: list[bytes] = []


def _gzip_bomb() -> bytes:
    """64 MiB of zeros in about 64 KiB of gzip, built once."""
    if not _BOMB:
        _BOMB.append(gzip.compress(bytes(BOMB_DECODED_BYTES), compresslevel=9))
    return _BOMB[0]


async def _serve_site() -> AsyncIterator[Site]:
    holder = Site(base="")
    runner, holder.base = await _start_site(_site_app(holder))
    try:
        yield holder
    finally:
        await runner.cleanup()


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    """The main local site on 127.0.0.1:0."""
    async for holder in _serve_site():
        yield holder


@pytest.fixture
async def other_site() -> AsyncIterator[Site]:
    """A second origin (same address, other port) that records request headers."""
    async for holder in _serve_site():
        yield holder


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A guarded session that opens 127.0.0.1 only, as the test servers need."""
    async with make_session(LOCAL) as s:
        yield s


@dataclass
class Canary:
    """Plain asyncio listeners on loopback addresses that count every connection."""

    port: int
    hosts: list[str]
    connections: list[str] = field(default_factory=list)


_CANARY_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\ncanary"


async def _listen(
    host: str,
    port: int,
    on_connect: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> asyncio.Server | None:
    try:
        return await asyncio.start_server(on_connect, host, port)
    except OSError:
        return None  # no IPv6 or no 127.0.0.2 here: that listener is skipped


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    """Listeners on 127.0.0.1, 127.0.0.2 and ::1 sharing one port where the host allows."""
    found = Canary(port=0, hosts=[])

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        found.connections.append(str(writer.get_extra_info("sockname")))
        # Answer at once, so a guard that fails shows up as a result, not as a hang.
        writer.write(_CANARY_RESPONSE)
        await writer.drain()
        writer.close()

    first = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    found.port = first.sockets[0].getsockname()[1]
    servers = [first]
    found.hosts.append("127.0.0.1")
    for host in ("127.0.0.2", "::1"):
        server = await _listen(host, found.port, on_connect)
        if server is not None:
            servers.append(server)
            found.hosts.append(host)
    try:
        yield found
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()


# Names the OS resolves to loopback (or not at all); the rest are IP literals.
_LOOPBACK_NAMES = ("localhost", "LOCALHOST", "localhost.", "ip6-localhost")


def _loopback_spellings(port: int) -> list[str]:
    """Every way we know to write a URL that reaches this machine or a private network."""
    literals = [
        "127.0.0.1",
        "127.1",
        "127.0.1",
        "2130706433",
        "0x7f000001",
        "0x7f.1",
        "0x7f.0.0.1",
        "017700000001",
        "0177.0.0.1",
        "0177.1",
        "127.000.000.001",
        "127.0.0.1.",
        "127.0.0.2",
        "0.0.0.0",
        "0",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:7f00:1]",
        "[::127.0.0.1]",
        "[::]",
        "[::ffff:0.0.0.0]",
        "[64:ff9b::127.0.0.1]",
        "[2002:7f00:1::]",
        "[fe80::1]",
        "169.254.169.254",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "100.64.0.1",
        "[fc00::1]",
        "[fd00::1]",
        "224.0.0.1",
        "255.255.255.255",
    ]
    hosts = [*_LOOPBACK_NAMES, *literals]
    return [f"http://{host}:{port}/" for host in hosts]


# --- normal fetches --------------------------------------------------------------------------


async def test_fetch_returns_body_status_and_headers(
    site: Site, session: aiohttp.ClientSession
) -> None:
    """A 200 comes back with its body, headers and our User-Agent sent."""
    result = await fetch(session, site.url("/page"), LOCAL)
    assert (result.status, result.body, result.final_url) == (200, b"hello", site.url("/page"))
    assert result.headers["etag"] == '"v1"'
    assert site.seen_headers[-1]["User-Agent"] == LOCAL.user_agent


async def test_conditional_get_returns_304_with_empty_body(
    site: Site, session: aiohttp.ClientSession
) -> None:
    """A matching If-None-Match yields status 304 and an empty body, not an error."""
    result = await fetch(session, site.url("/page"), LOCAL, {"If-None-Match": '"v1"'})
    assert (result.status, result.body) == (304, b"")


@pytest.mark.parametrize("code", [404, 410, 500, 503])
async def test_error_status_raises_fetch_error_with_status(
    site: Site, session: aiohttp.ClientSession, code: int
) -> None:
    """4xx and 5xx raise FetchError carrying the status and the parsed Retry-After."""
    with pytest.raises(FetchError) as caught:
        await fetch(session, site.url(f"/status/{code}"), LOCAL)
    assert not isinstance(caught.value, FetchRefused)
    assert (caught.value.status, caught.value.retry_after_s) == (code, 7.0)


async def test_gzip_body_is_returned_decompressed(
    site: Site, session: aiohttp.ClientSession
) -> None:
    """A gzip body under the cap is returned decoded."""
    result = await fetch(session, site.url("/small-gzip"), LOCAL)
    assert result.body == b"x" * 1000


async def test_connection_refused_is_a_fetch_error(session: aiohttp.ClientSession) -> None:
    """Nothing listening is a plain FetchError, not a refusal."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        await fetch(session, f"http://127.0.0.1:{port}/", LOCAL)
    assert not isinstance(caught.value, FetchRefused)


# --- redirects -------------------------------------------------------------------------------


async def test_redirect_chain_within_limit_is_followed(
    site: Site, session: aiohttp.ClientSession
) -> None:
    """Exactly max_redirects hops are followed and final_url names the last one."""
    result = await fetch(session, site.url("/chain/5"), LOCAL)
    assert (result.body, result.final_url) == (b"end of chain", site.url("/chain/0"))


async def test_redirect_chain_over_limit_is_refused(
    site: Site, session: aiohttp.ClientSession
) -> None:
    """One hop more than max_redirects is refused with reason 'redirects'."""
    with pytest.raises(FetchRefused) as caught:
        await fetch(session, site.url("/chain/6"), LOCAL)
    assert caught.value.reason_code == "redirects"


async def test_redirect_to_refused_address_never_connects(
    site: Site, session: aiohttp.ClientSession, canary: Canary
) -> None:
    """A redirect to a guarded address is refused and the canary sees no connection."""
    # The session opens 127.0.0.1 for the site, so only the canary's other addresses are shut.
    targets = [h for h in canary.hosts if h != "127.0.0.1"] + [
        "0x7f.0.0.2",
        "2130706434",
        "[::ffff:127.0.0.2]",
    ]
    for host in targets:
        shown = f"[{host}]" if ":" in host and "[" not in host else host
        to = f"http://{shown}:{canary.port}/"
        with pytest.raises(FetchRefused) as caught:
            await fetch(session, site.url(f"/redirect?to={to}"), LOCAL)
        assert caught.value.reason_code == "private_address", to
    assert canary.connections == []


async def test_redirect_to_other_scheme_is_refused(
    site: Site, session: aiohttp.ClientSession
) -> None:
    """A redirect to file:// is refused with reason 'scheme'."""
    with pytest.raises(FetchRefused) as caught:
        await fetch(session, site.url("/redirect?to=file:///etc/passwd"), LOCAL)
    assert caught.value.reason_code == "scheme"


async def test_cross_origin_redirect_drops_credentials(
    site: Site, other_site: Site, session: aiohttp.ClientSession
) -> None:
    """Authorization and Cookie are not carried to another origin; conditional headers are."""
    to = other_site.url("/page")
    headers = {"Authorization": "Bearer secret", "Cookie": "a=b", "If-None-Match": '"zz"'}
    await fetch(session, site.url(f"/redirect?to={to}"), LOCAL, headers)
    sent = other_site.seen_headers[-1]
    assert "Authorization" not in sent and "Cookie" not in sent
    assert sent["If-None-Match"] == '"zz"'


# --- limits ----------------------------------------------------------------------------------


async def test_gzip_bomb_stops_at_the_cap(site: Site) -> None:
    """64 MiB of gzip-compressed zeros is refused once the decoded body passes 1 MiB."""
    limits = FetchLimits(allow_networks=("127.0.0.1/32",), max_body_bytes=1024 * 1024)
    async with make_session(limits) as session:
        with pytest.raises(FetchRefused) as caught:
            await fetch(session, site.url("/bomb"), limits)
    assert caught.value.reason_code == "body_too_large"


async def test_declared_length_over_cap_is_refused(site: Site) -> None:
    """A plain body over the cap is refused with reason 'body_too_large'."""
    limits = FetchLimits(allow_networks=("127.0.0.1/32",), max_body_bytes=1024 * 1024)
    async with make_session(limits) as session:
        with pytest.raises(FetchRefused) as caught:
            await fetch(session, site.url("/big"), limits)
    assert caught.value.reason_code == "body_too_large"


@pytest.mark.timeout(15)
async def test_trickling_server_is_cut_at_the_deadline(site: Site) -> None:
    """A server sending a byte every 0.1 s for a minute is abandoned at the 1 s deadline."""
    limits = FetchLimits(allow_networks=("127.0.0.1/32",), timeout_s=1.0)
    async with make_session(limits) as session:
        with pytest.raises(FetchError) as caught:
            await fetch(session, site.url("/trickle"), limits)
    assert not isinstance(caught.value, FetchRefused)
    assert "timed out" in str(caught.value)


# --- the SSRF guard --------------------------------------------------------------------------


async def test_canary_sees_no_connection_from_any_spelling(canary: Canary) -> None:
    """With allow_networks empty, no spelling of a local or private address reaches a socket."""
    limits = FetchLimits(timeout_s=5.0)
    async with make_session(limits) as session:
        for url in _loopback_spellings(canary.port):
            with pytest.raises(FetchError) as caught:
                await fetch(session, url, limits)
            if not any(f"//{name}:" in url for name in _LOOPBACK_NAMES):
                assert getattr(caught.value, "reason_code", None) == "private_address", url
    assert canary.connections == []


async def test_name_resolving_to_loopback_is_refused_at_connect_time(canary: Canary) -> None:
    """localhost passes the URL check but its resolved address is refused by the connector."""
    limits = FetchLimits(timeout_s=5.0)
    async with make_session(limits) as session:
        with pytest.raises(FetchRefused) as caught:
            await fetch(session, f"http://localhost:{canary.port}/", limits)
    assert caught.value.reason_code == "private_address"
    assert canary.connections == []


async def test_connector_alone_refuses_every_spelling(canary: Canary) -> None:
    """The connector guards even when fetch()'s own URL check is bypassed."""
    async with make_session(FetchLimits(timeout_s=5.0)) as session:
        for url in _loopback_spellings(canary.port):
            with pytest.raises(aiohttp.ClientError):
                async with session.get(url, allow_redirects=False) as resp:
                    await resp.read()
    assert canary.connections == []


async def test_canary_is_reachable_when_opened(canary: Canary) -> None:
    """The canary itself works: an allowed 127.0.0.1 reaches it (so zero above means refused)."""
    async with make_session(LOCAL) as session:
        result = await fetch(session, f"http://127.0.0.1:{canary.port}/", LOCAL)
    assert result.body == b"canary"
    assert len(canary.connections) == 1


async def test_allowed_network_opens_nothing_beside_it(canary: Canary) -> None:
    """An allowed 127.0.0.1/32 does not open 127.0.0.2, which stays refused."""
    async with make_session(LOCAL) as session:
        with pytest.raises(FetchRefused):
            await fetch(session, f"http://127.0.0.2:{canary.port}/", LOCAL)
    assert canary.connections == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://x/",
        "javascript:alert(1)",
        "example.com/feed",
    ],
)
async def test_non_http_schemes_are_refused(session: aiohttp.ClientSession, url: str) -> None:
    """Only http and https are fetched."""
    with pytest.raises(FetchRefused) as caught:
        await fetch(session, url, LOCAL)
    assert caught.value.reason_code == "scheme"


async def test_plain_session_is_rejected() -> None:
    """fetch() refuses to run on a session without the guarded connector."""
    async with aiohttp.ClientSession() as plain:
        with pytest.raises(TypeError):
            await fetch(plain, "http://example.com/", LOCAL)


async def test_bad_allow_network_is_a_config_error() -> None:
    """A malformed CIDR in allow_networks is reported as a ConfigError."""
    with pytest.raises(ConfigError):
        make_session(FetchLimits(allow_networks=("not-a-cidr",)))


def test_refusal_reasons_are_the_documented_set() -> None:
    """The reason codes are a small fixed set, mirrored in the module docstring."""
    assert {
        "scheme",
        "bad_url",
        "private_address",
        "redirects",
        "body_too_large",
        "robots",
        "clean_timeout",
    } == REFUSAL_REASONS


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_guard_permits_public_addresses(address: str) -> None:
    """Public addresses, and IPv6 wrappers of them, pass the guard."""
    from workers.fetch import _Guard

    assert _Guard(()).permits(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.31.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.251",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "192.0.0.8",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:a00:1::1",
        "2002:7f00:1::1",
        "2001:db8::1",
    ],
)
def test_guard_refuses_non_public_addresses(address: str) -> None:
    """Every non-public range, and IPv6 wrappers of them, is refused."""
    from workers.fetch import _Guard

    assert not _Guard(()).permits(ipaddress.ip_address(address))


# --- Retry-After -----------------------------------------------------------------------------

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("soon", None),
        ("-3", None),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("Fri, 02 Jan 2026 03:05:05 GMT", 60.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Delta-seconds and HTTP-dates become seconds from now; the past is 0; junk is None."""
    assert parse_retry_after(value, NOW) == expected
