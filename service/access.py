"""Who may call the HTTP API: a bearer token for writes (and optionally reads), else loopback only.

With `http.token` set, every mutating request needs `Authorization: Bearer <token>`, and with
`http.protect_reads` every read as well. With no token, mutating requests are answered only
for loopback clients, so a daemon listening on 0.0.0.0 (the Docker image) cannot be changed
from outside. Probes (/livez /readyz /healthz) stay open for orchestrators; the WebSub callback
stays open because hubs authenticate each push with its own HMAC signature; the live page and
its static files stay open because they hold no data (the page's calls carry the token).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/"})
OPEN_PREFIXES = ("/websub/", "/static/")
# A browser's EventSource cannot send headers: reads (only) accept the RFC 6750 query parameter.
QUERY_PARAM = "access_token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    token: str = ""
    protect_reads: bool = False


def token_matches(expected: str, presented: str) -> bool:
    """Constant-time comparison, so response timing says nothing about the token."""
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


def is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        return False


def presented_token(request: web.Request, allow_query: bool) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if allow_query:
        return request.query.get(QUERY_PARAM) or None
    return None


def decide(policy: AccessPolicy, request: web.Request) -> int:
    """0 when the request may proceed, else the HTTP status to refuse it with (401 or 403)."""
    path = request.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return 0
    writing = request.method in MUTATING
    if not policy.token:
        return 403 if writing and not is_loopback(request.remote) else 0
    if not writing and not policy.protect_reads:
        return 0
    given = presented_token(request, allow_query=not writing)
    return 0 if given is not None and token_matches(policy.token, given) else 401


def middleware(policy: AccessPolicy) -> Middleware:
    """An aiohttp middleware applying `policy` to every request."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        status = decide(policy, request)
        if status == 401:
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": "Authorization: Bearer <http.token> required"}),
                content_type="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="newsingest"'},
            )
        if status == 403:
            raise web.HTTPForbidden(
                text=json.dumps(
                    {"error": "writes from other hosts need http.token to be configured"}
                ),
                content_type="application/json",
            )
        return await handler(request)

    return guard
