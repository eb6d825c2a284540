"""newsingest run | demo | extract | check | feeds | events | tail."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from typing import TextIO

from redis.exceptions import RedisError

from service import config, eventscli, feedscli, logs, tail
from workers.errors import ConfigError, IngestError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsingest", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the daemon (all roles by default)")
    run.add_argument("--config", help="TOML file overriding config/default.toml")
    run.add_argument("--feeds", help="OPML file of feeds (overrides feeds.file)")
    run.add_argument(
        "--role",
        choices=["poller", "worker", "api"],
        action="append",
        help="run only this role (repeatable); for scale-out on a shared Redis",
    )

    demo = sub.add_parser("demo", help="the daemon against a local site made from seeds/")
    demo.add_argument("--config", help="TOML file overriding the defaults")

    ex = sub.add_parser("extract", help="events from a text or HTML file, no Redis needed")
    ex.add_argument("file", help="path, or - for standard input")
    ex.add_argument(
        "--jsonl",
        action="store_true",
        help='one {"id","text","title"?,"published"?,"url"?} per line in and out',
    )
    ex.add_argument(
        "--all",
        action="store_true",
        help="every event found, also those below extract.min_confidence",
    )
    ex.add_argument("--config", help="TOML file overriding the defaults")

    check = sub.add_parser(
        "check",
        help="exit 0 when healthy, else 1: /healthz for the api role (the default), "
        "live heartbeats in Redis from this host for the worker or poller role",
    )
    check.add_argument("--config", help="TOML file overriding the defaults")
    check.add_argument("--url", help="base URL of the daemon (default from [http])")
    check.add_argument("--role", choices=["api", "worker", "poller"], default="api")

    feedscli.add_parser(sub)
    eventscli.add_parser(sub)
    tail.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = _dispatch(args)
    except IngestError as e:
        print(f"newsingest: {e}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:  # Ctrl-C before a command's own handler was in place
        code = 0 if args.command == "tail" else 130
    sys.exit(code)


def _dispatch(args: argparse.Namespace) -> int:
    settings = config.load(getattr(args, "config", None))
    if args.command == "extract":
        floor = 0.0 if args.all else settings.extract.min_confidence
        return cmd_extract(args.file, args.jsonl, sys.stdout, floor)
    if args.command == "check":
        if args.role != "api":
            return cmd_check_beats(settings.redis.url, args.role, settings.redis.cluster)
        return cmd_check(
            args.url or f"http://{_reachable(settings.http.host)}:{settings.http.port}"
        )
    if args.command == "tail":
        url = tail.redis_url_for(args, settings.redis.url, settings.redis.data_dir)
        return tail.main(url, tail.options(args), settings.redis.cluster)
    if args.command == "feeds":
        from service.limits import fetch_limits

        base = args.url or f"http://{_reachable(settings.http.host)}:{settings.http.port}"
        return feedscli.main(args, base, fetch_limits(settings), settings.http.token)
    if args.command == "events":
        base = args.url or f"http://{_reachable(settings.http.host)}:{settings.http.port}"
        return eventscli.main(args, base, settings.http.token)
    logs.setup(settings.log.level)
    if args.command == "demo":
        from service import demo

        return demo.main(settings)
    if args.feeds:
        settings = replace(settings, feeds=replace(settings.feeds, file=args.feeds))
    return cmd_run(settings, tuple(args.role) if args.role else None)


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def cmd_run(settings: config.Settings, roles: tuple[str, ...] | None) -> int:
    from service import daemon

    asyncio.run(daemon.run(settings, roles or daemon.ROLES))
    return 0


def cmd_check(base_url: str) -> int:
    try:
        with urllib.request.urlopen(base_url.rstrip("/") + "/healthz", timeout=5) as resp:
            return 0 if resp.status == 200 else 1
    except (urllib.error.URLError, OSError) as e:
        print(f"newsingest: {base_url}/healthz: {e}", file=sys.stderr)
        return 1


def cmd_check_beats(redis_url: str, role: str, cluster: bool = False) -> int:
    """0 when a process of `role` on this host has a live heartbeat in the shared Redis."""
    if not redis_url:
        raise ConfigError("redis.url", f"empty: check --role {role} reads the shared Redis")
    host = socket.gethostname()
    try:
        live = asyncio.run(_live_beats(redis_url, role, cluster))
    except (RedisError, OSError) as e:
        print(f"newsingest: {redis_url}: {e}", file=sys.stderr)
        return 1
    mine = [name for name, info in live.items() if info.get("host") == host]
    if not mine:
        print(
            f"newsingest: no live {role} heartbeat from host {host} ({len(live)} elsewhere)",
            file=sys.stderr,
        )
        return 1
    return 0


async def _live_beats(
    redis_url: str, role: str, cluster: bool
) -> dict[str, dict[str, object]]:
    from service.redisconn import connected
    from workers import beats

    redis = await connected(redis_url, cluster)
    try:
        return await beats.live(redis, role)
    finally:
        await redis.aclose()


STDIN_HINT = "pipe a file in (newsingest extract - < FILE; with docker run, add -i)"


def cmd_extract(path: str, jsonl: bool, out: TextIO, min_confidence: float = 0.0) -> int:
    from service.extracting import extract_jsonl, extract_text

    if path == "-" and sys.stdin.isatty():
        raise IngestError("extract -", f"standard input is a terminal, not text: {STDIN_HINT}")
    source = sys.stdin if path == "-" else _open(path)
    with source:
        if jsonl:
            lines = _not_empty(source, path)
            for line in extract_jsonl(lines, path, min_confidence):
                out.write(line + "\n")
        else:
            raw = source.read()
            if path == "-" and not raw:
                raise IngestError("extract -", f"standard input is empty: {STDIN_HINT}")
            events = extract_text(raw, path, min_confidence)
            json.dump(events, out, ensure_ascii=False, indent=2)
            out.write("\n")
    return 0


def _not_empty(source: TextIO, path: str) -> Iterator[str]:
    """The lines of `source`; an empty standard input is an error, not zero results."""
    empty = True
    for line in source:
        empty = False
        yield line
    if empty and path == "-":
        raise IngestError("extract -", f"standard input is empty: {STDIN_HINT}")


def _open(path: str) -> TextIO:
    try:
        return open(path, encoding="utf-8", errors="replace")
    except OSError as e:
        raise IngestError(path, f"cannot read: {e.strerror}") from e
