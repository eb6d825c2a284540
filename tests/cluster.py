"""A local Redis Cluster of three masters on free ports, for the end-to-end test on a cluster.

Three redis-server processes with cluster-enabled, slots split in three, joined by CLUSTER MEET
(what `redis-cli --cluster create` does, without needing redis-cli). Needs Redis 7 for
--cluster-port (the bus port next to a free port may not be free, or may exceed 65535).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field

import redis

from service.redisconn import EmbeddedRedis, find_redis_server, free_port

SLOTS = 16384


def unavailable() -> str:
    """Why a local cluster cannot start here, or "" when it can."""
    try:
        server = find_redis_server()
        out = subprocess.run([server, "--version"], capture_output=True, text=True, timeout=10)
    except Exception as e:  # no server at all
        return f"no redis-server: {e}"
    version = out.stdout.split("v=")[1].split()[0] if "v=" in out.stdout else "?"
    if not version[:1].isdigit() or int(version.split(".")[0]) < 7:
        return f"{server} is Redis {version}; a local cluster needs 7+ (--cluster-port)"
    return ""


@dataclass
class LocalCluster:
    data_dir: str
    masters: int = 3
    nodes: list[EmbeddedRedis] = field(default_factory=list)
    bus_ports: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return ",".join(f"redis://127.0.0.1:{n.port}" for n in self.nodes)

    def start(self, timeout_s: float = 30.0) -> str:
        for i in range(self.masters):
            self.bus_ports.append(free_port())
            node = EmbeddedRedis(
                os.path.join(self.data_dir, f"node{i}"),
                appendonly=False,
                extra_args=(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-port", str(self.bus_ports[-1]),
                    "--cluster-node-timeout", "5000",
                ),
            )
            self.nodes.append(node)
            node.start()
        self._join(timeout_s)
        return self.url

    def _join(self, timeout_s: float) -> None:
        clients = [redis.Redis(port=n.port, decode_responses=True) for n in self.nodes]
        per = SLOTS // self.masters
        for i, client in enumerate(clients):
            last = SLOTS - 1 if i == self.masters - 1 else (i + 1) * per - 1
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
        for node, bus in zip(self.nodes[1:], self.bus_ports[1:], strict=True):
            clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", node.port, bus)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            infos = [c.execute_command("CLUSTER", "INFO") for c in clients]
            if all("cluster_state:ok" in i and f"cluster_known_nodes:{self.masters}" in i
                   for i in infos):
                break
            time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"local cluster not ok after {timeout_s}s")
        for c in clients:
            c.close()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
