"""The analysis sandbox: a page that overruns its budget is abandoned, and the next one runs."""

from __future__ import annotations

import time

import pytest

from workers.errors import FetchRefused
from workers.sandbox import Sandbox


def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "finished"


def square(x: int) -> int:
    return x * x


async def test_overrun_is_abandoned_and_the_sandbox_recovers() -> None:
    """A call past its deadline raises clean_timeout at the deadline; later calls still work."""
    box = Sandbox(timeout_s=1.0)
    try:
        assert await box.run("http://ex.org/ok", square, 7) == 49
        started = time.monotonic()
        with pytest.raises(FetchRefused) as refused:
            await box.run("http://ex.org/hostile", slow, 30.0)
        assert refused.value.reason_code == "clean_timeout" and refused.value.permanent
        assert time.monotonic() - started < 5.0
        assert await box.run("http://ex.org/next", square, 3) == 9
    finally:
        box.close()
