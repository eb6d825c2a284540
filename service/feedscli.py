"""`newsingest feeds import | export | add | remove | list`, through a running daemon's HTTP API.

The feed list lives in Redis and the daemon's /feeds endpoints change it, so every command
takes effect in the running daemon at once. `add` accepts a site's URL: when the page is not
a feed, the first feed it advertises with <link rel="alternate"> is added instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, TextIO

from workers.errors import FeedError, FetchError, IngestError
from workers.feeds import alternate_feeds, parse_feed
from workers.fetch import FetchLimits, fetch, make_session


def add_parser(sub: Any) -> None:
    feeds = sub.add_parser("feeds", help="manage the feeds of a running daemon")
    feeds.add_argument("--config", help="TOML file overriding the defaults")
    feeds.add_argument("--url", help="base URL of the daemon (default from [http])")
    cmds = feeds.add_subparsers(dest="feeds_command", required=True)
    imp = cmds.add_parser("import", help="add every feed of an OPML file")
    imp.add_argument("file")
    cmds.add_parser("export", help="print the feed list as OPML")
    add = cmds.add_parser("add", help="add a feed (a site URL works: its feed is discovered)")
    add.add_argument("feed_url")
    add.add_argument("--title", default="")
    rm = cmds.add_parser("remove", help="stop polling a feed (URL or id)")
    rm.add_argument("feed_url")
    ls = cmds.add_parser("list", help="every feed with its status")
    ls.add_argument("--json", action="store_true", help="the full status records as JSON")


def run(
    args: argparse.Namespace, base: str, limits: FetchLimits, out: TextIO, token: str = ""
) -> int:
    """Carry out one `feeds` subcommand against the daemon at `base` (bearer `token` if set)."""
    cmd = args.feeds_command
    if cmd == "import":
        with open(args.file, "rb") as fh:
            res = call(base, "POST", "/feeds/import", fh.read(), "text/x-opml", token=token)
        out.write(f"{res['added']} added of {res['listed']} listed\n")
    elif cmd == "export":
        out.write(call(base, "GET", "/feeds?format=opml", raw=True, token=token))
    elif cmd == "add":
        url = asyncio.run(discover(args.feed_url, limits))
        res = call(
            base,
            "POST",
            "/feeds",
            json.dumps({"url": url, "title": args.title}).encode(),
            "application/json",
            token=token,
        )
        out.write(f"{'added' if res['added'] else 'already listed (resumed)'} {url}\n")
    elif cmd == "remove":
        target = urllib.parse.quote(_id_of(base, args.feed_url), safe="")
        call(base, "DELETE", f"/feeds/{target}", token=token)
        out.write(f"removed {args.feed_url}\n")
    else:
        feeds = call(base, "GET", "/feeds", token=token)["feeds"]
        out.write(json.dumps(feeds, indent=2) + "\n" if args.json else table(feeds))
    return 0


async def discover(url: str, limits: FetchLimits) -> str:
    """`url` when it is a feed, else the first feed its page advertises."""
    session = make_session(limits)
    try:
        result = await fetch(session, url, limits)
    finally:
        await session.close()
    try:
        parse_feed(result.body, url, result.headers, max_entries=1)
        return url
    except FeedError:
        pass
    found = alternate_feeds(result.body, result.final_url)
    if not found:
        raise IngestError(url, 'neither a feed nor a page with <link rel="alternate"> to one')
    return found[0]


COLUMNS = (
    ("status", 8),
    ("mode", 4),
    ("last_poll", 20),
    ("last_new", 20),
    ("entries_seen", 7),
    ("errors", 6),
    ("next_due", 20),
    ("lag_s", 8),
    ("missed_windows", 6),
    ("url", 0),
)


def table(feeds: list[dict[str, Any]]) -> str:
    """One line per feed: status, mode, last poll, last new entry, counts, next due, URL."""
    head = [
        "status",
        "mode",
        "last poll",
        "last new entry",
        "entries",
        "errors",
        "next due",
        "lag s",
        "missed",
        "url",
    ]
    rows = [head] + [[_cell(f.get(k)) for k, _ in COLUMNS] for f in feeds]
    widths = [w and max(w, *(len(r[i]) for r in rows)) for i, (_, w) in enumerate(COLUMNS)]
    return "".join(
        "  ".join(c.ljust(w) if w else c for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
        for r in rows
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def _id_of(base: str, url_or_id: str) -> str:
    from workers.keys import feed_id

    return url_or_id if "://" not in url_or_id else feed_id(url_or_id)


def call(
    base: str,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "application/json",
    raw: bool = False,
    token: str = "",
) -> Any:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base.rstrip("/") + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")[:300]
        raise IngestError(base + path, f"HTTP {e.code}: {detail}") from e
    except (urllib.error.URLError, OSError) as e:
        raise IngestError(base, f"daemon not reachable: {e}") from e
    return text if raw else json.loads(text)


def main(args: argparse.Namespace, base: str, limits: FetchLimits, token: str = "") -> int:
    try:
        return run(args, base, limits, sys.stdout, token)
    except FetchError as e:
        raise IngestError(args.feed_url, f"cannot fetch: {e.detail or e}") from e
