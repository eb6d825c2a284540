"""Sandbox: page analysis in a child process that is killed when a page overruns its budget.

trafilatura and lxml can spend minutes on a hostile page, and a thread cannot be stopped. So
each worker hands pages, one at a time, to a single child process; when one takes longer than
`timeout_s` the child is killed and replaced, and the entry fails with `clean_timeout` (a
permanent refusal: the same page would take as long again). Pages go one at a time so that
the budget measures that page's own work, not time spent queueing behind others.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from workers.errors import CleanError, FetchRefused

log = logging.getLogger(__name__)

T = TypeVar("T")


def _child_init(parent_pid: int, then: Callable[[], None] | None) -> None:
    """Die with the worker: a worker killed with SIGKILL cannot shut its pool down, and an
    orphaned child would keep its memory for ever (Linux; elsewhere the pool's own EOF check)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the worker died before prctl took effect
        os._exit(1)
    # A Ctrl-C reaches the whole terminal process group; the worker decides when this child
    # stops (it shuts the pool down after draining), so the child ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if then is not None:
        then()


PR_SET_PDEATHSIG = 1


class Sandbox:
    """One child process for CPU-bound work, with a deadline per call."""

    def __init__(self, timeout_s: float, initializer: Callable[[], None] | None = None) -> None:
        self.timeout_s = timeout_s
        self._initializer = initializer
        self._lock = asyncio.Lock()
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1,
            initializer=_child_init,
            initargs=(os.getpid(), self._initializer),
            mp_context=multiprocessing.get_context("spawn"),
        )

    async def run(self, url: str, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in the child; FetchRefused('clean_timeout') past the deadline."""
        async with self._lock:
            future = asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
            try:
                return await asyncio.wait_for(future, self.timeout_s)
            except TimeoutError:  # the caller logs and counts the refusal
                self._replace()
                raise FetchRefused(
                    url, "clean_timeout", f"analysis took longer than {self.timeout_s:g}s"
                ) from None
            except BrokenProcessPool as e:
                self._replace()
                raise CleanError(url, "analysis process died") from e

    async def warm(self) -> None:
        """Start the child now (and run the initializer), not on the first page."""
        await asyncio.get_running_loop().run_in_executor(self._pool, int)

    def _replace(self) -> None:
        for proc in list(getattr(self._pool, "_processes", {}).values()):
            proc.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._start()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
