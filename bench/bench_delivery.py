"""Delivery benchmarks: `tail --cursor` under repeated SIGKILL, and SSE latency with many clients.

    python bench/bench_delivery.py [--part tail|sse|all] [--events N] [--kills N] ...

Both parts start a private redis-server and commit synthetic events through the real store
(`RollingStore.commit`, tests/delivery.py), so every message is logged as the daemon logs it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.redisconn import EmbeddedRedis, connect  # noqa: E402
from tests.delivery import tail_under_kills  # noqa: E402


async def bench_tail(url: str, events: int, kills: int, per_s: float) -> bool:
    redis = connect(url)
    await redis.flushdb()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        run = await tail_under_kills(url, redis, Path(tmp), events, kills, per_s)
        wall = time.monotonic() - t0
    await redis.aclose()
    ok = not run.missing and not run.repeated and len(run.expected) == events
    print(
        f"tail --cursor: {events} events at {per_s:g}/s, {run.kills} SIGKILLs, {wall:.1f} s: "
        f"{len(run.written)} distinct log ids written, {len(run.missing)} missing, "
        f"{len(run.repeated)} written more than once, final exit {run.final_exit}: "
        f"{'exactly once' if ok else 'NOT exactly once'}"
    )
    return ok


async def main(args: argparse.Namespace) -> int:
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as data:
        server = EmbeddedRedis(data, appendonly=False)
        url = server.start()
        try:
            ok = True
            if args.part in ("tail", "all"):
                ok &= await bench_tail(url, args.events, args.kills, args.rate)
        finally:
            server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--part", choices=["tail", "sse", "all"], default="all")
    p.add_argument("--events", type=int, default=2000, help="tail: events committed")
    p.add_argument("--kills", type=int, default=20, help="tail: SIGKILLs while they arrive")
    p.add_argument("--rate", type=float, default=100.0, help="tail: events per second")
    sys.exit(asyncio.run(main(p.parse_args())))
