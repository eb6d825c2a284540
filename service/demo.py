"""`newsingest demo`: the daemon against a local site it serves itself from seeds/."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from aiohttp import web
from redis.exceptions import ConnectionError as RedisConnectionError

from service import daemon, worker
from service.config import Settings
from service.redisconn import connect
from workers import keys
from workers.feeds import FeedSpec

log = logging.getLogger(__name__)

SEED_TITLE = "Fighting in Idlib, Latakia and Daraa (seed article)"


def seeds_dir() -> Path:
    """seeds/ of the working tree, else of the source checkout this module came from."""
    here = Path("seeds")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "seeds"


def seed_page(text: str) -> bytes:
    """The plain-text seed article as a simple article page."""
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in text.splitlines() if p.strip())
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{html.escape(SEED_TITLE)}</title></head><body><article><h1>{html.escape(SEED_TITLE)}"
        f"</h1>\n{paragraphs}\n</article></body></html>"
    ).encode()


def demo_pages(seeds: Path) -> dict[str, bytes]:
    pages = {
        "/articles/syria-idlib-clashes.html": seed_page(
            (seeds / "syria_idlib_clashes.txt").read_text(encoding="utf-8")
        )
    }
    for path in sorted((seeds / "demo").glob("*.html")):
        pages[f"/articles/{path.name}"] = path.read_bytes()
    return pages


def rss(base: str, pages: dict[str, bytes], now: datetime) -> bytes:
    """An RSS 2.0 feed with one item per page, titled from the page's <title>."""
    items = []
    for path, body in pages.items():
        title = body.split(b"<title>", 1)[-1].split(b"</title>", 1)[0].decode()
        items.append(
            f"<item><title>{title}</title><link>{base}{path}</link>"
            f"<guid>{base}{path}</guid><pubDate>{format_datetime(now)}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>newsingest demo</title><link>{base}/</link><description>Pages from seeds/"
        f"</description>{''.join(items)}</channel></rss>"
    ).encode()


async def start_site(pages: dict[str, bytes]) -> tuple[web.AppRunner, str]:
    """Serve the pages and /feed.xml on 127.0.0.1 at a free port; returns (runner, base URL)."""
    app = web.Application()
    runner = web.AppRunner(app, access_log=None)
    now = datetime.now(UTC)
    feed: dict[str, bytes] = {}

    async def page(request: web.Request) -> web.Response:
        body = pages.get(request.path) or feed.get(request.path)
        if body is None:
            raise web.HTTPNotFound()
        kind = "application/rss+xml" if request.path.endswith(".xml") else "text/html"
        return web.Response(body=body, content_type=kind, charset="utf-8")

    app.router.add_get("/{tail:.*}", page)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    feed["/feed.xml"] = rss(base, pages, now)
    return runner, base


def demo_settings(settings: Settings) -> Settings:
    """The local site lives on loopback, which the fetch guard refuses unless opened."""
    fetch = replace(settings.fetch, allow_networks=(*settings.fetch.allow_networks, "127.0.0.1/32"))
    feeds = replace(settings.feeds, interval_s=min(settings.feeds.interval_s, 30.0))
    return replace(settings, fetch=fetch, feeds=feeds)


async def _print_events(redis_url: str, stop: asyncio.Event) -> None:
    client = connect(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(keys.EVENTS_CHANNEL)
    try:
        while not stop.is_set():
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg:
                print(_summary_line(json.loads(msg["data"])), flush=True)
    except RedisConnectionError:
        pass  # the daemon stopped its embedded Redis on the way out
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]
        await client.aclose()


def _summary_line(msg: dict) -> str:  # type: ignore[type-arg]
    ev = msg["event"]
    loc = ev.get("location") or {}
    place = ", ".join(p for p in (loc.get("name"), loc.get("admin1"), loc.get("country")) if p)
    return (
        f"{msg['kind']:8} {ev['event_type']} / {ev['sub_event_type']} | {place or '?'} | "
        f"fatalities={ev.get('fatalities')} | {ev['summary'][:90]}"
    )


async def run_demo(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or worker.stop_on_signals()
    runner, base = await start_site(demo_pages(seeds_dir()))
    log.info("demo site serving %s/feed.xml", base)
    settings = demo_settings(settings)
    scratch = tempfile.TemporaryDirectory(prefix="newsingest-demo-")
    if not settings.redis.url:
        # A fresh store each time, so every demo run shows its events as new.
        settings = replace(settings, redis=replace(settings.redis, data_dir=scratch.name))
    task = asyncio.create_task(
        daemon.run(
            settings,
            feeds=[FeedSpec(base + "/feed.xml", "demo")],
            stop=stop,
            on_redis=_on_redis(stop),
        )
    )
    try:
        await task
    finally:
        await runner.cleanup()
        scratch.cleanup()


def _on_redis(stop: asyncio.Event):  # type: ignore[no-untyped-def]
    def started(url: str) -> None:
        print(
            f"events will be printed here; elsewhere: redis-cli -u {url} subscribe "
            f"{keys.EVENTS_CHANNEL}",
            flush=True,
        )
        asyncio.get_running_loop().create_task(_print_events(url, stop))

    return started


def main(settings: Settings) -> int:
    asyncio.run(run_demo(settings))
    return 0
