"""`newsingest tail`: positions, filters, exit codes, and exactly-once output across SIGKILLs."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from service import tail
from service.redisconn import free_port
from tests.delivery import commit_paced, tail_command, tail_under_kills
from workers import eventlog, keys
from workers.errors import ConfigError
from workers.eventlog import LogEntry


def test_positions() -> None:
    """--since: ids pass through, now is the last id, durations and ISO times count back."""
    now = 1_700_000_000.0
    assert eventlog.position_of("now", "5-1") == "5-1"
    assert eventlog.position_of("0", "5-1") == "0-0"
    assert eventlog.position_of("1699999999000-3", "5-1") == "1699999999000-3"
    assert eventlog.position_of("1h", "5-1", now) == f"{int((now - 3600) * 1000) - 1}-{2**64 - 1}"
    assert eventlog.position_of("2023-11-14T22:13:20Z", "5-1", now) == (
        f"{1_700_000_000_000 - 1}-{2**64 - 1}"
    )
    with pytest.raises(ConfigError, match="since"):
        eventlog.position_of("yesterday", "5-1", now)


def test_filters_and_line() -> None:
    """Filters match type or sub-type, country, confidence floor and kind; the line leads with log_id."""
    message = json.dumps(
        {
            "kind": "updated",
            "event": {
                "event_type": "Battles",
                "sub_event_type": "Armed clash",
                "location": {"country": "SY"},
                "confidence": 0.8,
            },
        }
    )
    entry = eventlog.to_entry("7-0", {"kind": "updated", "message": message})
    assert isinstance(entry, LogEntry)
    assert json.loads(entry.line()) == {"log_id": "7-0", **json.loads(message)}
    f = eventlog.make_filter
    assert f("armed clash", "sy,fr", "0.8", "updated").matches(entry)
    assert not f("protests").matches(entry)
    assert not f(countries="FR").matches(entry)
    assert not f(min_confidence=0.9).matches(entry)
    assert not f(kinds="created,retracted").matches(entry)
    with pytest.raises(ConfigError, match="kind"):
        f(kinds="deleted")
    with pytest.raises(ConfigError, match="min_confidence"):
        f(min_confidence="high")


async def test_tail_prints_filtered_messages_and_exits_0_on_sigint(
    redis_url: str, redis: Any
) -> None:
    """--since 0 with filters prints the matching committed events; SIGINT ends it with status 0."""
    await commit_paced(redis, 8, 0)
    proc = await asyncio.create_subprocess_exec(
        *tail_command(redis_url, "--since", "0", "--country", "sy,fr", "--type", "battles"),
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines = [json.loads(await asyncio.wait_for(proc.stdout.readline(), 20)) for _ in range(2)]
    # Events 0..7 cycle SY, FR, MX, ID and Battles, Protests: Battles in SY or FR are 0 and 4.
    assert [m["event"]["id"] for m in lines] == ["r-e0", "r-e4"]
    assert all(m["kind"] == "created" and m["log_id"] for m in lines)
    await commit_paced(redis, 4, 0, start=8)  # 8 is Battles in SY: printed live
    live = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
    assert live["event"]["id"] == "r-e8"
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 10) == 0


async def test_tail_exits_0_when_the_reader_goes_away(redis_url: str, redis: Any) -> None:
    """`tail | head -1`: once the pipe's reader has gone, the next write ends tail with status 0."""
    await commit_paced(redis, 1, 0)
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        tail_command(redis_url, "--since", "0"), stdout=write_end, stderr=subprocess.PIPE
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        line = await asyncio.wait_for(asyncio.to_thread(reader.readline), 20)
    assert json.loads(line)["event"]["id"] == "r-e0"
    await commit_paced(redis, 1, 0, start=1)
    _, err = await asyncio.to_thread(proc.communicate, None, 10)
    assert proc.returncode == 0 and b"Traceback" not in err


async def test_cursor_resumes_and_bad_cursor_is_named(
    redis_url: str, redis: Any, tmp_path: Path
) -> None:
    """A second run with the same cursor prints only what came after; a corrupt cursor is exit 2."""
    cursor = tmp_path / "cursor"
    await commit_paced(redis, 3, 0)
    first = await _run_until(redis_url, ["--since", "0", "--cursor", str(cursor)], 3)
    await commit_paced(redis, 2, 0, start=3)
    second = await _run_until(redis_url, ["--since", "0", "--cursor", str(cursor)], 2)
    ids = [json.loads(x)["event"]["id"] for x in first + second]
    assert ids == ["r-e0", "r-e1", "r-e2", "r-e3", "r-e4"]
    assert json.loads(cursor.read_text())["id"] == json.loads(second[-1])["log_id"]
    cursor.write_text("garbage")
    done = subprocess.run(
        tail_command(redis_url, "--cursor", str(cursor)), capture_output=True, timeout=30
    )
    assert done.returncode == 2 and str(cursor).encode() in done.stderr


async def _run_until(redis_url: str, args: list[str], lines: int) -> list[bytes]:
    proc = await asyncio.create_subprocess_exec(
        *tail_command(redis_url, *args), stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    got = [await asyncio.wait_for(proc.stdout.readline(), 20) for _ in range(lines)]
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 10) == 0
    return got


async def test_sigkill_mid_run_loses_and_repeats_nothing(
    redis_url: str, redis: Any, tmp_path: Path
) -> None:
    """tail --cursor >> file, SIGKILLed 4 times while 300 events arrive: each appears exactly once.

    The full-size run (20 kills during 2,000 events) is bench/bench_delivery.py.
    """
    run = await tail_under_kills(redis_url, redis, tmp_path, events=300, kills=4, per_s=100)
    assert run.kills == 4 and len(run.expected) == 300
    assert run.missing == [] and run.repeated == []
    assert run.final_exit == 0


def test_reconcile_takes_lines_written_after_the_cursor(tmp_path: Path) -> None:
    """A line written but not yet in the cursor counts as handled; a cut-off line is removed."""
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"log_id":"1-0"}\n{"log_id":"2-0"}\n{"log_id":"3-0"}\n{"log_')
    with open(out, "r+b") as fh:
        ident = tail.output_identity(fh.fileno())
        assert ident is not None
        cursor = tail.Cursor("1-0", len(b'{"log_id":"1-0"}\n'), ident[0])
        assert tail.reconcile(cursor, fh.fileno()) == "3-0"
        assert tail.reconcile(tail.Cursor("1-0", 17, "0:0"), fh.fileno()) == "1-0"
    assert out.read_bytes().endswith(b'"3-0"}\n')


def test_redis_url_order(tmp_path: Path) -> None:
    """--redis wins, then redis.url, then the embedded server's url file; else an error naming redis.url."""
    (tmp_path / "url").write_text("redis://127.0.0.1:7001/0\n")
    args = argparse.Namespace(redis=None)
    assert tail.redis_url_for(args, "", str(tmp_path)) == "redis://127.0.0.1:7001/0"
    assert tail.redis_url_for(args, "redis://h:1/0", str(tmp_path)) == "redis://h:1/0"
    assert tail.redis_url_for(argparse.Namespace(redis="redis://x:2/0"), "", "") == "redis://x:2/0"
    with pytest.raises(ConfigError, match=r"redis\.url"):
        tail.redis_url_for(args, "", str(tmp_path / "none"))


def test_unreachable_redis_is_named() -> None:
    """No Redis at the given URL: one line naming it, exit status 2, no traceback."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    done = subprocess.run(tail_command(url), capture_output=True, timeout=30)
    assert done.returncode == 2
    assert url.encode() in done.stderr and b"Traceback" not in done.stderr


async def test_cursor_older_than_the_log_is_reported(
    redis_url: str, redis: Any, tmp_path: Path
) -> None:
    """A cursor whose id has been trimmed away says so on stderr, then carries on from the log."""
    await commit_paced(redis, 3, 0)
    ids = [str(i) for i, _ in await redis.xrange(keys.EVENTS_STREAM)]
    await redis.xtrim(keys.EVENTS_STREAM, minid=ids[2], approximate=False)  # as trim.lua does
    cursor = tmp_path / "cursor"
    tail.write_cursor(str(cursor), tail.Cursor(ids[0]))
    proc = await asyncio.create_subprocess_exec(
        *tail_command(redis_url, "--cursor", str(cursor)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    line = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
    assert line["log_id"] == ids[2]
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 10) == 0
    assert b"may have been trimmed" in await proc.stderr.read()
