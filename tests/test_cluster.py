"""The end-to-end test on a local Redis Cluster of three masters (tests/cluster.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from service.redisconn import connect, is_cluster
from tests.cluster import LocalCluster, unavailable
from tests.support import LocalSite, get_json, get_text, running_daemon, subscribed, wait_until
from tests.test_daemon import _mentions, seed_site, settings_for
from workers import keys, layout
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
