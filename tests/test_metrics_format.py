"""/metrics follows Prometheus conventions: promtool's linter passes, counters end in _total, help on every family."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from service.http import AppState, make_app
from tests.delivery import commit_paced
from tests.support import get_text
from workers import metrics
from workers.store import RollingStore


@pytest.fixture
async def exposition(redis: Any) -> AsyncIterator[str]:
    """/metrics after real commits, with every counter and histogram of workers.metrics set."""
    await commit_paced(redis, 3, 0)
    for name in metrics.COUNTERS:
        await metrics.incr(redis, name, 2, outcome="x")
    await metrics.observe(redis, *((name, 0.3) for name in metrics.HISTOGRAMS))
    runner = web.AppRunner(make_app(AppState(redis, RollingStore(redis, 60))), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    status, text = await get_text(f"http://127.0.0.1:{runner.addresses[0][1]}/metrics")
    await runner.cleanup()
    assert status == 200
    yield text


def families(text: str) -> dict[str, dict[str, str]]:
    """Family name -> {"help": ..., "type": ...} from the # HELP and # TYPE lines."""
    out: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        if line.startswith(("# HELP ", "# TYPE ")):
            _, what, name, value = line.split(" ", 3)
            out.setdefault(name, {})[what.lower()] = value
    return out


def test_conventions(exposition: str) -> None:
    """Each family has help text and a type; counters are exposed as _total; units in names."""
    found = families(exposition)
    assert {f"{n}_total" for n in metrics.COUNTERS} <= {
        n if n.endswith("_total") else f"{n}_total" for n in found
    }
    for name, meta in found.items():
        assert meta.get("help", "").strip(), f"{name} has no help text"
        if meta["type"] == "histogram":
            assert name.endswith("_seconds"), f"{name}: histogram without its unit"
    counted = [
        line.split("{")[0].split(" ")[0]
        for line in exposition.splitlines()
        if line and not line.startswith("#")
    ]
    counters = {n for n, m in found.items() if m["type"] == "counter"}
    for sample in counted:
        family = sample.removesuffix("_total").removesuffix("_created")
        if family in counters:
            assert sample.endswith(("_total", "_created")), sample


def test_promtool_check_metrics(exposition: str) -> None:
    """`promtool check metrics` (Debian package prometheus) finds nothing to complain about."""
    beside = Path(sys.executable).parent / "promtool"  # where `make promtool` puts it
    promtool = shutil.which("promtool") or (str(beside) if beside.exists() else None)
    if promtool is None:
        pytest.skip("promtool not installed (make promtool); conventions tested above")
    done = subprocess.run(
        [promtool, "check", "metrics"],
        input=exposition.encode(),
        capture_output=True,
        timeout=60,
    )
    report = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, report
    assert report.strip() == "", report
