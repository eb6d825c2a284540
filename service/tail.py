"""`newsingest tail`: follow the events log, one JSON line per message, resumable by a cursor.

With `--cursor FILE` the log id of the last message handled is written to FILE after each line
(a new file renamed over the old, so a reader never sees half of one), and a restart resumes
after it. When standard output is a regular file (`>> events.jsonl`), the cursor also records
the file and its size after the line: a process killed between writing a line and moving the
cursor is resumed after the last line actually in the file, so no line is written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import signal
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from service.redisconn import connected
from workers import eventlog
from workers.errors import ConfigError, IngestError
from workers.eventlog import EventFilter

BLOCK_MS = 500  # one XREAD waits this long, so a signal is acted on within half a second
OUT_FD = 1


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a tail stands: the last log id handled, and (for a file) the output's size then."""

    log_id: str
    out_size: int = -1
    out_file: str = ""  # "device:inode" of standard output when it is a regular file

    def dump(self) -> str:
        return json.dumps({"id": self.log_id, "out_size": self.out_size, "out_file": self.out_file})


def read_cursor(path: str) -> Cursor | None:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError(path, f"cannot read cursor: {e.strerror}") from e
    try:
        raw = json.loads(text)
        cursor = Cursor(str(raw["id"]), int(raw.get("out_size", -1)), str(raw.get("out_file", "")))
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(path, "not a cursor file written by newsingest tail") from e
    eventlog.id_key(cursor.log_id)  # a ValueError here would mean a corrupt file
    return cursor


def write_cursor(path: str, cursor: Cursor) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(cursor.dump() + "\n")
    os.replace(tmp, path)


def output_identity(fd: int = OUT_FD) -> tuple[str, int] | None:
    """("device:inode", size) of `fd` when it is a regular file, else None (pipe, terminal)."""
    st = os.fstat(fd)
    return (f"{st.st_dev}:{st.st_ino}", st.st_size) if stat.S_ISREG(st.st_mode) else None


def reconcile(cursor: Cursor, fd: int = OUT_FD) -> str:
    """The id to resume after: the cursor's, or the last line written to this file after it."""
    ident = output_identity(fd)
    if ident is None or ident[0] != cursor.out_file or ident[1] <= cursor.out_size:
        return cursor.log_id
    with open(f"/proc/self/fd/{fd}", "rb") as fh:  # standard output may be write-only
        fh.seek(cursor.out_size)
        tail = fh.read()
    complete = tail[: tail.rfind(b"\n") + 1]
    if len(complete) < len(tail):  # a line cut short (not expected: lines are single writes)
        os.ftruncate(fd, cursor.out_size + len(complete))
    resume = cursor.log_id
    for line in complete.splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            resume = str(json.loads(line)["log_id"])
    return resume


def write_line(text: str, fd: int = OUT_FD) -> None:
    """One whole line in as few write() calls as the kernel allows (one for a file)."""
    data = memoryview((text + "\n").encode("utf-8"))
    while data:
        data = data[os.write(fd, data) :]


@dataclass(frozen=True, slots=True)
class TailOptions:
    since: str = "now"
    cursor_path: str = ""
    filter: EventFilter = field(default_factory=EventFilter)


async def start_position(redis: Any, opts: TailOptions) -> str:
    cursor = read_cursor(opts.cursor_path) if opts.cursor_path else None
    if cursor is None:
        return eventlog.position_of(opts.since, await eventlog.last_id(redis))
    after = reconcile(cursor)
    oldest = await eventlog.older_than_log(redis, after)
    if oldest:
        print(
            f"newsingest: tail: the cursor's {after} is older than the log, which now starts at "
            f"{oldest}: entries in between may have been trimmed (older than store.window_s)",
            file=sys.stderr,
        )
    return after


async def follow(redis: Any, opts: TailOptions, stop: asyncio.Event) -> None:
    """Print every matching message after the start position until `stop`."""
    after = await start_position(redis, opts)
    while not stop.is_set():
        try:
            entries = await eventlog.read_after(redis, after, block_ms=BLOCK_MS)
        except RedisConnectionError as e:  # a Redis restart: wait for it, lose nothing
            print(f"newsingest: tail: Redis unreachable ({e}); retrying", file=sys.stderr)
            await _pause(stop, 1.0)
            continue
        for entry in entries:
            if opts.filter.matches(entry):
                write_line(entry.line())
                _save(opts, entry.log_id)
            after = entry.log_id
        if entries and opts.cursor_path:
            _save(opts, after)  # entries filtered out need not be read again either


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _save(opts: TailOptions, log_id: str) -> None:
    if not opts.cursor_path:
        return
    ident = output_identity()
    out_file, size = ident if ident else ("", -1)
    write_cursor(opts.cursor_path, Cursor(log_id, size, out_file))


async def run(redis_url: str, opts: TailOptions, cluster: bool = False) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    redis = await connected(redis_url, cluster)
    try:
        await follow(redis, opts, stop)
    except RedisError as e:
        raise IngestError(redis_url, f"cannot read the events log: {e}") from e
    finally:
        await redis.aclose()
    return 0


def main(redis_url: str, opts: TailOptions, cluster: bool = False) -> int:
    """Exit 0 on SIGINT, SIGTERM or a closed pipe (`| head`); 2 on a bad option."""
    try:
        return asyncio.run(run(redis_url, opts, cluster))
    except (BrokenPipeError, KeyboardInterrupt):  # SIGINT before the loop's handler was set
        return 0
    except OSError as e:
        if e.errno == errno.EPIPE:
            return 0
        raise


def add_parser(sub: Any) -> None:
    tail = sub.add_parser("tail", help="follow the events log, one JSON line per message")
    tail.add_argument("--config", help="TOML file overriding the defaults")
    tail.add_argument("--redis", help="Redis URL of the daemon (default: redis.url)")
    tail.add_argument(
        "--since",
        default="now",
        help="log id, now (default), 0 (all kept), 90s/15m/1h/2d, ISO time",
    )
    tail.add_argument("--cursor", help="file holding the last log id; resumes after it")
    tail.add_argument("--type", help="event types or sub-types, comma-separated")
    tail.add_argument("--country", help="ISO alpha-2 codes, comma-separated")
    tail.add_argument("--min-confidence", help="0..1")
    tail.add_argument("--kind", help="created,updated,retracted (default: all)")


def options(args: Any) -> TailOptions:
    return TailOptions(
        since=args.since,
        cursor_path=args.cursor or "",
        filter=eventlog.make_filter(
            args.type, args.country, args.min_confidence, args.kind, source="tail"
        ),
    )


def redis_url_for(args: Any, configured: str, data_dir: str) -> str:
    """--redis, else redis.url, else the URL the daemon's embedded server left in its data dir."""
    if args.redis:
        return str(args.redis)
    if configured:
        return configured
    try:
        return Path(data_dir, "url").read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(
            "redis.url",
            "tail needs the daemon's Redis: pass --redis URL or set NEWSINGEST_REDIS_URL "
            f"(no embedded server's URL in {data_dir}/url)",
        ) from e
