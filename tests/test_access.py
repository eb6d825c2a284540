"""Access control: bearer token for writes (and reads when asked), loopback-only writes without."""

from __future__ import annotations

import argparse
import asyncio
import io
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from service import access, feedscli
from service.access import AccessPolicy
from service.config import load
from service.http import AppState, make_app
from workers.errors import ConfigError, IngestError
from workers.fetch import FetchLimits
from workers.store import RollingStore

TOKEN = "s3cret-token"


@pytest.fixture
async def serve(redis: Any) -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(policy: AccessPolicy, host: str = "127.0.0.1") -> str:
        state = AppState(redis, RollingStore(redis, 60), policy=policy)
        runner = web.AppRunner(make_app(state), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, 0).start()
        runners.append(runner)
        return f"http://{host}:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def call(method: str, url: str, headers: dict[str, str] | None = None, **kw: Any) -> int:
    async with aiohttp.ClientSession() as s, s.request(method, url, headers=headers, **kw) as r:
        await r.read()
        return r.status


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_token_guards_writes_not_reads(serve: Any) -> None:
    """With a token, writes need it (401 otherwise, wrong token too); reads and probes do not."""
    base = await serve(AccessPolicy(TOKEN))
    feed = {"json": {"url": "http://example.org/feed.xml"}}
    assert await call("POST", base + "/feeds", **feed) == 401
    assert await call("POST", base + "/feeds", bearer("s3cret-tokeX"), **feed) == 401
    assert await call("POST", base + "/feeds", {"Authorization": TOKEN}, **feed) == 401
    # A token in the query string is for EventSource reads only, never for writes.
    assert await call("POST", base + f"/feeds?access_token={TOKEN}", **feed) == 401
    assert await call("POST", base + "/feeds", bearer(TOKEN), **feed) == 201
    assert await call("DELETE", base + "/feeds/nope") == 401
    assert await call("DELETE", base + "/feeds/nope", bearer(TOKEN)) == 404
    assert await call("GET", base + "/feeds") == 200
    assert await call("GET", base + "/events") == 200
    assert await call("GET", base + "/livez") == 200


async def test_protect_reads(serve: Any) -> None:
    """protect_reads: reads need the token (header or access_token), probes and WebSub stay open."""
    base = await serve(AccessPolicy(TOKEN, protect_reads=True))
    assert await call("GET", base + "/events") == 401
    assert await call("GET", base + "/metrics") == 401
    assert await call("GET", base + "/events", bearer(TOKEN)) == 200
    assert await call("GET", base + f"/events?access_token={TOKEN}") == 200
    assert await call("GET", base + "/events?access_token=wrong") == 401
    for probe in ("/livez", "/healthz"):
        assert await call("GET", base + probe) in (200, 503)
    # The hub's verification GET is answered by the WebSub handler itself (404: unknown topic).
    assert await call("GET", base + "/websub/abc?hub.mode=subscribe") == 404


def _other_address() -> str | None:
    """A non-loopback address of this machine, to be a client that is not loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            addr = str(s.getsockname()[0])
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


async def test_without_token_writes_only_from_loopback(serve: Any) -> None:
    """No token: a loopback client may write; a client on another address gets 403, reads work."""
    feed = {"json": {"url": "http://example.org/feed.xml"}}
    local = await serve(AccessPolicy())
    assert await call("POST", local + "/feeds", **feed) == 201
    addr = _other_address()
    if addr is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    remote = await serve(AccessPolicy(), host=addr)
    assert await call("POST", remote + "/feeds", **feed) == 403
    assert await call("POST", remote + "/events/x/split?url=u") == 403
    assert await call("GET", remote + "/events") == 200
    with_token = await serve(AccessPolicy(TOKEN), host=addr)
    assert await call("POST", with_token + "/feeds", bearer(TOKEN), **feed) == 200


def test_decide_by_remote_address() -> None:
    """The pure decision: IPv6 loopback counts as loopback, any other address does not."""

    def request(method: str, path: str, peer: str) -> web.Request:
        transport = _Transport(peer)
        return make_mocked_request(method, path, transport=transport)

    assert access.decide(AccessPolicy(), request("POST", "/feeds", "::1")) == 0
    assert access.decide(AccessPolicy(), request("POST", "/feeds", "127.0.0.2")) == 0
    assert access.decide(AccessPolicy(), request("POST", "/feeds", "10.0.0.5")) == 403
    assert access.decide(AccessPolicy(), request("GET", "/feeds", "10.0.0.5")) == 0
    assert access.decide(AccessPolicy(), request("POST", "/websub/x", "10.0.0.5")) == 0


class _Transport:
    """Just enough of an asyncio transport for aiohttp to read the peer address from."""

    def __init__(self, peer: str) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self.peer, 4242) if name == "peername" else default


async def test_feeds_cli_sends_the_token(serve: Any) -> None:
    """`newsingest feeds` sends the configured token; without it the daemon's 401 is named."""
    base = await serve(AccessPolicy(TOKEN))
    parser = argparse.ArgumentParser()
    feedscli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["feeds", "remove", "http://example.org/gone.xml"])
    limits = FetchLimits()
    with pytest.raises(IngestError, match="HTTP 401"):
        await asyncio.to_thread(feedscli.run, args, base, limits, io.StringIO())
    with pytest.raises(IngestError, match="HTTP 404"):  # authorised: the feed is just unknown
        await asyncio.to_thread(feedscli.run, args, base, limits, io.StringIO(), TOKEN)


def test_token_settings() -> None:
    """The token comes from NEWSINGEST_HTTP_TOKEN; protect_reads without a token is refused."""
    assert load(None, {"NEWSINGEST_HTTP_TOKEN": "t"}).http.token == "t"
    with pytest.raises(ConfigError, match=r"http\.protect_reads"):
        load(None, {"NEWSINGEST_HTTP_PROTECT_READS": "true"})
