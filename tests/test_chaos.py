"""A short `make chaos`: worker processes killed with SIGKILL and redis-server killed with
SIGKILL and restarted on its append-only file, while articles flow through a real daemon."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos import run_scenario


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_worker_and_redis_kills_lose_nothing_and_publish_nothing_twice(
    tmp_path: Path,
) -> None:
    """T1 + T3 at once for 15 s: every article committed, no event version published twice on
    the channel or in the log, the log reader back from 3 s away catches up, and /readyz is
    200 again within 10 s of each Redis restart."""
    t = await run_scenario("T1+T3", articles=40, duration_s=15.0, workdir=tmp_path, log_offline_s=3)
    assert t.articles_in == 40 and t.committed == 40 and t.lost == 0 and t.dead == 0
    assert t.events_published >= 40
    assert t.duplicates_channel == 0 and t.duplicates_log == 0
    assert t.log_reader_caught_up
    assert t.faults >= 2 and t.recovery_s
    assert max(t.recovery_s) < 60  # worker replaced, or /readyz back after a Redis restart
