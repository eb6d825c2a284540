"""The command line: config errors, extract, check, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from service import worker
from service.redisconn import free_port
from tests.support import SEEDS, LocalSite, news_page, rss, wait_until
from workers import beats

NEWSINGEST = [sys.executable, "-m", "service"]
ROOT = Path(__file__).parent.parent


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSINGEST, *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=60,
    )


def test_invalid_env_value_stops_startup_naming_the_key() -> None:
    """An invalid value stops start-up with one line naming the key."""
    done = run_cli("run", env={"NEWSINGEST_HTTP_PORT": "eighty"})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "http.port" in lines[0]


def test_unknown_key_in_config_file_is_named(tmp_path: Path) -> None:
    """A typo in the TOML file is reported with its section and key."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[workers]\ncuont = 3\n")
    done = run_cli("run", "--config", str(cfg))
    assert done.returncode == 2 and "workers.cuont" in done.stderr


def test_default_toml_matches_built_in_defaults() -> None:
    """config/default.toml documents exactly the defaults the code uses."""
    from service.config import Settings, load

    assert load(str(ROOT / "config" / "default.toml"), {}) == Settings()


def test_revision_bound_from_the_environment() -> None:
    """feeds.max_revisions_per_entry: 3 by default, overridden like every other setting."""
    from service.config import ConfigError, load

    assert load(None, {}).feeds.max_revisions_per_entry == 3
    env = {"NEWSINGEST_FEEDS_MAX_REVISIONS_PER_ENTRY": "0"}
    assert load(None, env).feeds.max_revisions_per_entry == 0
    try:
        load(None, {"NEWSINGEST_FEEDS_MAX_REVISIONS_PER_ENTRY": "-1"})
    except ConfigError as e:
        assert "feeds.max_revisions_per_entry" in str(e)
    else:
        raise AssertionError("a negative bound was accepted")


def test_extract_file_prints_events() -> None:
    """`newsingest extract FILE` prints a JSON array of events with the public fields."""
    done = run_cli("extract", str(SEEDS / "syria_idlib_clashes.txt"))
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)
    public = {
        "id",
        "event_type",
        "sub_event_type",
        "date",
        "location",
        "actors",
        "fatalities",
        "injured",
        "summary",
        "confidence",
        "sources",
    }
    assert events and public <= set(events[0])
    assert 80 in {e["fatalities"] for e in events}


def test_extract_jsonl_keeps_order() -> None:
    """--jsonl answers one line per input line, in order, with the input's id."""
    rows = [
        {"id": "b", "text": "Police arrested 12 protesters in Lagos on Monday."},
        {"id": "a", "text": "The weather was mild."},
    ]
    done = run_cli("extract", "--jsonl", "-", stdin="\n".join(json.dumps(r) for r in rows))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == ["b", "a"]
    assert out[1]["events"] == []


def test_extract_bad_jsonl_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "in.jsonl"
    bad.write_text('{"id": "1", "text": "x"}\nnot json\n')
    done = run_cli("extract", "--jsonl", str(bad))
    assert done.returncode == 2 and f"{bad}:2" in done.stderr


def test_check_fails_when_nothing_listens() -> None:
    done = run_cli("check", "--url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1


def test_extract_stdin_empty_says_so() -> None:
    """`extract -` with nothing piped in (docker run without -i) is an error, not `[]`."""
    for args in (("extract", "-"), ("extract", "--jsonl", "-")):
        done = run_cli(*args, stdin="")
        assert done.returncode == 2 and done.stdout == ""
        assert "standard input is empty" in done.stderr and "-i" in done.stderr


def test_extract_stdin_terminal_says_so() -> None:
    """`extract -` on a terminal says it wants piped text instead of waiting for it."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [*NEWSINGEST, "extract", "-"],
            stdin=follower,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert done.returncode == 2 and "standard input is a terminal" in done.stderr


async def _check_worker(redis_url: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *NEWSINGEST,
        "check",
        "--role",
        "worker",
        cwd=ROOT,
        env={**os.environ, "NEWSINGEST_REDIS_URL": redis_url},
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    return int(proc.returncode or 0), err.decode()


async def test_check_role_worker_reads_this_hosts_heartbeats(redis_url: str, redis: Any) -> None:
    """A worker container's health: a live worker heartbeat from its own host in Redis; a
    worker on another host does not count, and one that stopped is gone at once."""
    await beats.record(redis, "worker", "elsewhere-w1-1", {"host": "elsewhere"}, 10)
    code, err = await _check_worker(redis_url)
    assert code == 1 and "no live worker heartbeat" in err and "1 elsewhere" in err
    stop = asyncio.Event()
    beating = asyncio.create_task(worker.beat(redis, "worker", "here-w1", stop))
    try:
        await wait_until(lambda: _beating(redis), 10, "the heartbeat")
        assert (await _check_worker(redis_url))[0] == 0
    finally:
        stop.set()
        await beating
    assert (await _check_worker(redis_url))[0] == 1


async def _beating(redis: Any) -> bool:
    return "here-w1" in await beats.live(redis, "worker")


def test_check_role_worker_needs_the_shared_redis() -> None:
    done = run_cli("check", "--role", "worker", env={"NEWSINGEST_REDIS_URL": ""})
    assert done.returncode == 2 and "redis.url" in done.stderr


@pytest.mark.slow
async def test_sigterm_drains_and_exits_zero(
    redis_url: str, redis: object, site: LocalSite, tmp_path: Path
) -> None:
    """SIGTERM: the daemon (all roles) exits 0 within 10 s, and was healthy before."""
    site.set("/a.html", news_page("A", ["Protesters marched in Accra, Ghana, on Friday. " * 5]))
    feed = site.set("/feed.xml", rss([("A", site.url("/a.html"))]))
    opml = tmp_path / "feeds.opml"
    opml.write_text(f'<opml version="2.0"><body><outline xmlUrl="{feed}"/></body></opml>')
    port = free_port()
    env = {
        **os.environ,
        "NEWSINGEST_REDIS_URL": redis_url,
        "NEWSINGEST_HTTP_PORT": str(port),
        "NEWSINGEST_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
        "NEWSINGEST_WORKERS_COUNT": "2",
    }
    proc = await asyncio.create_subprocess_exec(
        *NEWSINGEST,
        "run",
        "--feeds",
        str(opml),
        cwd=ROOT,
        env=env,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await _until_healthy(port)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=15)
        elapsed = time.monotonic() - started
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert code == 0 and elapsed < 10.0


async def _until_healthy(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        check = await asyncio.create_subprocess_exec(
            *NEWSINGEST,
            "check",
            "--url",
            f"http://127.0.0.1:{port}",
            cwd=ROOT,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if await check.wait() == 0:
            return
        await asyncio.sleep(0.5)
    raise AssertionError("daemon never became healthy")
