"""The end-to-end test on a local Redis Cluster of three masters (tests/cluster.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from service import config
from service.redisconn import cluster_nodes, connect, is_cluster
from tests.cluster import LocalCluster, unavailable
from tests.support import (
    LocalSite,
    get_json,
    get_text,
    rss,
    running_daemon,
    subscribed,
    wait_until,
)
from tests.test_daemon import _mentions, seed_site, settings_for
from workers import keys, layout
from workers.errors import ConfigError
from workers.feeds import FeedSpec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    why = unavailable()
    if why:
        pytest.skip(f"no local Redis Cluster: {why}")
    cluster = LocalCluster(str(tmp_path_factory.mktemp("cluster")))
    yield cluster.start()
    cluster.stop()


@pytest.fixture
async def cluster(cluster_url: str) -> AsyncIterator[object]:
    client = connect(cluster_url)
    await client.flushall()
    yield client
    await client.aclose()


async def test_cluster_client_and_one_slot(cluster_url: str, cluster: object) -> None:
    """Several nodes in the URL give a cluster client; every key hashes to the one slot."""
    assert is_cluster(cluster)
    names = [keys.ITEMS_STREAM, keys.EVENT_DATA, keys.feed_state("http://x/"), keys.host("x")]
    slots = {await cluster.cluster_keyslot(n) for n in names}  # type: ignore[attr-defined]
    assert len(slots) == 1
    assert await layout.ensure(cluster, cluster=True) == 0
    assert await cluster.get(keys.LAYOUT) == layout.LAYOUT  # type: ignore[attr-defined]


async def test_seed_article_events_on_three_masters(
    cluster_url: str, cluster: object, site: LocalSite, tmp_path: Path
) -> None:
    """The daemon, its worker processes and the poller on a 3-master cluster: the seed's events
    reach a subscriber once each, and the API serves them."""
    settings = settings_for(cluster_url)
    feed = seed_site(site)
    base = f"http://127.0.0.1:{settings.http.port}"

    async def committed() -> bool:
        return await cluster.zcard(keys.DONE_ITEMS) >= 2  # type: ignore[attr-defined,no-any-return]

    async with subscribed(cluster_url) as got, running_daemon(settings, [FeedSpec(feed)]):
        await wait_until(committed, what="both articles committed on the cluster")
        await wait_until(lambda: _has(got), timeout_s=10, what="created messages")
        status, health = await get_json(base + "/healthz")
        ready, _ = await get_text(base + "/readyz")
        listed_status, listed = await get_json(base + "/events?country=SY&limit=50")
    assert status == 200, health
    assert ready == 200
    events = [m["event"] for m in got if m["kind"] == "created"]
    idlib = [e for e in events if _mentions(e, "idlib") and (e["fatalities"] or 0) >= 100]
    assert idlib and idlib[0]["sub_event_type"] == "Armed clash"
    assert len({e["id"] for e in events}) == len(events)  # each created once
    log_ids = [eid for eid, _ in await cluster.xrange(keys.EVENTS_STREAM)]  # type: ignore[attr-defined]
    assert len(log_ids) == len(got)
    assert listed_status == 200 and {e["id"] for e in idlib} <= {e["id"] for e in listed["events"]}


async def _has(got: list[dict[str, object]]) -> bool:
    return any(m["kind"] == "created" for m in got)


async def test_failover_to_a_replica_loses_nothing(tmp_path: Path, site: LocalSite) -> None:
    """kill -9 of the master holding newsingest's slot: its replica takes over, the daemon goes on
    on its own (new articles are committed), and nothing committed before is published again."""
    if why := unavailable():
        pytest.skip(f"no local Redis Cluster: {why}")
    local = LocalCluster(str(tmp_path), node_timeout_ms=2000)
    try:
        url = local.start(replica=True)
        await _fail_over_mid_flow(local, url, site)
    finally:
        local.stop()


async def _fail_over_mid_flow(local: LocalCluster, url: str, site: LocalSite) -> None:
    settings = settings_for(url)
    seed_site(site)
    first = site.set(
        "/one.xml", rss([("Seed", site.url("/seed.html"))]), content_type="application/rss+xml"
    )
    client = connect(url)
    master = local.master_of_tag()
    try:
        async with subscribed(url) as got, running_daemon(settings, [FeedSpec(first)]):
            await wait_until(lambda: _done(client, 1), what="the first article committed")
            before = len(await client.xrange(keys.EVENTS_STREAM))
            await asyncio.to_thread(_replicated, local, master)
            started = time.monotonic()
            local.kill(master)
            site.set(
                "/one.xml",
                rss([("Seed", site.url("/seed.html")), ("Berlin", site.url("/jpost.html"))]),
                content_type="application/rss+xml",
            )
            await wait_until(lambda: _done(client, 2), timeout_s=90, what="a commit after failover")
            recovered_s = time.monotonic() - started
            log = await client.xrange(keys.EVENTS_STREAM)
            verdicts = await client.hgetall(keys.METRICS)
    finally:
        await client.aclose()
    ids = [f["id"] for _, f in log if f["kind"] == "created"]
    # The second article was committed by commit.lua on the promoted replica (which starts with
    # no script cache); the first article's events are in the log once.
    assert before > 0 and len(log) >= before
    assert sum(int(v) for k, v in verdicts.items() if k.startswith("newsingest_articles")) == 2
    assert len(ids) == len(set(ids))  # nothing created twice
    created = [m["event"]["id"] for m in got if m["kind"] == "created"]
    assert len(created) == len(set(created))
    assert recovered_s < 90
    print(f"failover: kill -9 of the master to the next commit {recovered_s:.1f}s")


def _replicated(local: LocalCluster, master: int) -> None:
    """Wait until the replica has every write of the master (WAIT 1): the kill loses nothing."""
    import redis as sync_redis

    node = sync_redis.Redis(port=local.nodes[master].port)
    assert node.execute_command("WAIT", 1, 5000) == 1
    node.close()


async def _done(client: object, n: int) -> bool:
    try:
        return await client.zcard(keys.DONE_ITEMS) >= n  # type: ignore[attr-defined,no-any-return]
    except RedisConnectionError:  # the master is down and its replica not yet promoted
        return False


def test_cluster_is_chosen_by_the_url_or_the_setting() -> None:
    assert cluster_nodes("redis://:pw@10.0.0.1:7000,10.0.0.2:7001, redis://h3") == [
        ("10.0.0.1", 7000),
        ("10.0.0.2", 7001),
        ("h3", 6379),
    ]
    assert not is_cluster(connect("redis://127.0.0.1:6390/0"))
    assert is_cluster(connect("redis://127.0.0.1:6390,127.0.0.1:6391"))
    assert is_cluster(connect("redis://127.0.0.1:6390", cluster=True))
    settings = config.load(
        None, {"NEWSINGEST_REDIS_URL": "redis://h:1", "NEWSINGEST_REDIS_CLUSTER": "true"}
    )
    assert settings.redis.cluster
    with pytest.raises(ConfigError, match=r"redis\.cluster"):
        config.load(None, {"NEWSINGEST_REDIS_CLUSTER": "true"})
