"""A local Redis Cluster of three masters on free ports, for the end-to-end test on a cluster.

Three redis-server processes with cluster-enabled, slots split in three, joined by CLUSTER MEET
(what `redis-cli --cluster create` does, without needing redis-cli); optionally a replica of
the master that holds newsingest's slot, for failover. Needs Redis 7 for --cluster-port (the
bus port next to a free port may not be free, or may exceed 65535).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

import redis

from service.redisconn import EmbeddedRedis, find_redis_server, free_port
from workers import keys

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
    node_timeout_ms: int = 5000
    nodes: list[EmbeddedRedis] = field(default_factory=list)
    bus_ports: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return ",".join(f"redis://127.0.0.1:{n.port}" for n in self.nodes)

    def start(self, replica: bool = False, timeout_s: float = 30.0) -> str:
        """The masters (and with `replica`, a replica of the one holding newsingest's slot)."""
        for _ in range(self.masters):
            self._node()
        clients = [self._client(n) for n in self.nodes]
        per = SLOTS // self.masters
        for i, client in enumerate(clients):
            last = SLOTS - 1 if i == self.masters - 1 else (i + 1) * per - 1
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
        for node, bus in zip(self.nodes[1:], self.bus_ports[1:], strict=True):
            clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", node.port, bus)
        self._wait(clients, self.masters, timeout_s)
        if replica:
            self._add_replica(clients, timeout_s)
        for c in clients:
            c.close()
        return self.url

    def master_of_tag(self) -> int:
        """Index in `nodes` of the master serving the {newsingest} slot now (after a failover,
        the promoted replica), asked of the first node that answers."""
        for node in self.nodes:
            try:
                client = self._client(node)
                slot = int(client.execute_command("CLUSTER", "KEYSLOT", keys.PREFIX))
                ranges = client.execute_command("CLUSTER", "SLOTS")
                client.close()
            except (redis.ConnectionError, OSError):
                continue
            for start, end, master, *_ in ranges:
                if int(start) <= slot <= int(end):
                    return [n.port for n in self.nodes].index(int(master[1]))
        raise RuntimeError("local cluster: no node answers CLUSTER SLOTS")

    def restart(self, index: int, timeout_s: float = 60.0) -> None:
        """Start a killed node again on its port and cluster config: it rejoins as a replica of
        the master that replaced it and copies its data; returns once in sync."""
        node = self.nodes[index]
        node.stop()  # the dead process's pipes
        node.start(timeout_s)
        client = self._client(node)
        deadline = time.monotonic() + timeout_s
        while client.info("replication").get("master_link_status") != "up":
            if time.monotonic() > deadline:
                raise RuntimeError(f"local cluster: node {index} did not rejoin as a replica")
            time.sleep(0.2)
        client.close()

    def kill(self, index: int) -> None:
        """kill -9 one node (a crash: no shutdown, no save)."""
        proc = self.nodes[index].proc
        assert proc is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def _node(self) -> EmbeddedRedis:
        self.bus_ports.append(free_port())
        node = EmbeddedRedis(
            os.path.join(self.data_dir, f"node{len(self.nodes)}"),
            appendonly=False,
            extra_args=(
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-port",
                str(self.bus_ports[-1]),
                "--cluster-node-timeout",
                str(self.node_timeout_ms),
                "--repl-diskless-sync-delay",
                "0",
            ),
        )
        self.nodes.append(node)
        node.start()
        return node

    def _client(self, node: EmbeddedRedis) -> redis.Redis:
        return redis.Redis(port=node.port, decode_responses=True)

    def _add_replica(self, clients: list[redis.Redis], timeout_s: float) -> None:
        master = clients[self.master_of_tag()]
        node = self._node()
        replica = self._client(node)
        replica.execute_command(
            "CLUSTER", "MEET", "127.0.0.1", self.nodes[0].port, self.bus_ports[0]
        )
        self._wait([*clients, replica], self.masters + 1, timeout_s)
        replica.execute_command("CLUSTER", "REPLICATE", master.execute_command("CLUSTER", "MYID"))
        deadline = time.monotonic() + timeout_s
        while replica.info("replication").get("master_link_status") != "up":
            if time.monotonic() > deadline:
                raise RuntimeError("local cluster: the replica did not sync")
            time.sleep(0.2)
        clients.append(replica)

    def _wait(self, clients: list[redis.Redis], known: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            infos = [c.execute_command("CLUSTER", "INFO") for c in clients]
            if all("cluster_state:ok" in i and f"cluster_known_nodes:{known}" in i for i in infos):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"local cluster not ok after {timeout_s}s")
