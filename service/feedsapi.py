"""GET/POST/DELETE /feeds: the shared feed list over HTTP (what `newsingest feeds` talks to)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from aiohttp import web

from service import websub
from service.poll.poller import SeenBounds
from service.poll.registry import FeedRegistry, opml
from workers.feeds import FeedSpec

REDIS: web.AppKey[Any] = web.AppKey("feeds_redis", object)


def add_routes(app: web.Application, redis: Any, seen: SeenBounds) -> None:
    app[REDIS] = redis
    app.router.add_get("/feeds", list_feeds)
    app.router.add_post("/feeds", add_feed)
    app.router.add_post("/feeds/import", import_opml)
    app.router.add_get("/feeds/{id}", one_feed)
    app.router.add_delete("/feeds/{id}", remove_feed)
    websub.add_routes(app, redis, seen)


def _registry(request: web.Request) -> FeedRegistry:
    return FeedRegistry(request.app[REDIS])


_STATUS: dict[int, type[web.HTTPException]] = {400: web.HTTPBadRequest, 404: web.HTTPNotFound}


def _error(status: int, message: str) -> web.HTTPException:
    return _STATUS[status](text=json.dumps({"error": message}), content_type="application/json")


async def list_feeds(request: web.Request) -> web.Response:
    """Every feed with its status; ?format=opml for an OPML export."""
    registry = _registry(request)
    if request.query.get("format") == "opml":
        return web.Response(text=opml(await registry.specs()), content_type="text/x-opml")
    found = await registry.statuses()
    return web.json_response({"count": len(found), "feeds": found})


async def one_feed(request: web.Request) -> web.Response:
    registry = _registry(request)
    fid = await registry.resolve(request.match_info["id"])
    status = await registry.status(fid) if fid else None
    if status is None:
        raise _error(404, "no such feed")
    return web.json_response(status)


async def add_feed(request: web.Request) -> web.Response:
    """{"url": ..., "title"?: ...}: list the feed (or resume it), polled at once."""
    try:
        body = await request.json()
        url = str(body["url"]).strip()
    except (ValueError, KeyError, TypeError) as e:
        raise _error(400, 'expected JSON {"url": ...}') from e
    if not url.startswith(("http://", "https://")):
        raise _error(400, "url must be http or https")
    registry = _registry(request)
    new = await registry.add(url, str(body.get("title") or ""))
    status = await registry.status(await registry.resolve(url) or "")
    return web.json_response({"added": new, "feed": status}, status=201 if new else 200)


async def import_opml(request: web.Request) -> web.Response:
    """An OPML document in the body: every feed in it not listed yet is added."""
    try:
        root = ElementTree.fromstring(await request.read())
    except ElementTree.ParseError as e:
        raise _error(400, f"not OPML: {e}") from e
    feeds = [
        FeedSpec(n.get("xmlUrl", "").strip(), n.get("title") or n.get("text") or "")
        for n in root.iter("outline")
        if n.get("xmlUrl", "").strip()
    ]
    added = await _registry(request).add_many(feeds)
    return web.json_response({"listed": len(feeds), "added": added})


async def remove_feed(request: web.Request) -> web.Response:
    if not await _registry(request).remove(request.match_info["id"]):
        raise _error(404, "no such feed")
    return web.json_response({"removed": True})
