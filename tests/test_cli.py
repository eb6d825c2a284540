"""The command line: config errors, extract, check, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.redisconn import free_port
from tests.support import SEEDS, LocalSite, news_page, rss

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
