"""Webhooks: signed POSTs in log order, exactly once by id through failures, outages and handovers."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from service import webhooks as delivery
from service.config import WebhookSettings, load
from service.redisconn import EmbeddedRedis, connect, free_port
from tests.delivery import SECRET, Receiver, commit_paced
from tests.support import daemon_settings, get_json, metric, running_daemon, wait_until
from workers import eventlog, keys, metrics
from workers.errors import ConfigError
from workers.fetch import FetchLimits
from workers.webhooks import Target

LOCAL = FetchLimits(allow_networks=("127.0.0.1/32",), timeout_s=5.0)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.up()
    yield r
    await r.down()


@dataclass
class Deliverers:
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self, redis: Any, target: Target, limits: FetchLimits = LOCAL) -> asyncio.Event:
        """One delivering process (its own lease token); returns the event that stops it."""
        own = asyncio.Event()

        async def run() -> None:
            stopper = asyncio.create_task(_either(self.stop, own))
            await delivery.deliver(redis, [target], limits, own)
            stopper.cancel()

        self.tasks.append(asyncio.create_task(run()))
        return own


async def _either(a: asyncio.Event, b: asyncio.Event) -> None:
    await a.wait()
    b.set()


@pytest.fixture
async def deliverers() -> AsyncIterator[Deliverers]:
    d = Deliverers()
    yield d
    d.stop.set()
    await asyncio.wait_for(asyncio.gather(*d.tasks), 20)


def target(url: str, **kw: Any) -> Target:
    return Target(url, SECRET, backoff_s=0.02, backoff_max_s=0.2, timeout_s=2.0, **kw)


async def _started(redis: Any, t: Target) -> None:
    async def has_cursor() -> bool:
        return bool(await redis.hget(keys.webhook(t.id), "cursor"))

    await wait_until(has_cursor, 10, "the target's cursor")


async def _log_ids(redis: Any) -> list[str]:
    return [str(i) for i, _ in await redis.xrange(keys.EVENTS_STREAM)]


async def test_flaky_target_that_goes_down_gets_everything_once_in_order(
    redis: Any, receiver: Receiver, deliverers: Deliverers
) -> None:
    """30% of requests fail and the target is down for 3 s; two processes share the work and one
    stops half-way: the target still accepts every message exactly once, in log order."""
    receiver.fail_rate = 0.3
    t = target(receiver.url, max_attempts=100)
    first = deliverers.start(redis, t)
    deliverers.start(redis, t)
    await _started(redis, t)
    committing = asyncio.create_task(commit_paced(redis, 150, 100))
    await asyncio.sleep(0.5)
    await receiver.down()
    await asyncio.sleep(1.0)
    first.set()  # one delivering process stops; the other takes the lease over
    await asyncio.sleep(2.0)
    await receiver.up()
    await committing

    async def all_in() -> bool:
        return len(receiver.accepted) >= 150

    await wait_until(all_in, 60, "every message accepted")
    await asyncio.sleep(0.3)  # nothing more may arrive
    assert receiver.accepted == await _log_ids(redis)
    assert receiver.bad_signatures == 0
    assert receiver.attempts > len(receiver.accepted)  # failures really happened
    state = await delivery.status(redis, t)
    assert state["dead_letters"] == 0 and state["cursor"] == receiver.accepted[-1]
    field_ = metrics.field("newsingest_webhook_deliveries", outcome="delivered", target=t.id)
    assert await metric(redis, field_) == 150


async def test_target_down_for_good_ends_in_its_dead_letter_stream(
    redis: Any, deliverers: Deliverers
) -> None:
    """Nothing listening: each message is tried max_attempts times, dead-lettered and counted."""
    t = target(f"http://127.0.0.1:{free_port()}/hook", max_attempts=3)
    deliverers.start(redis, t)
    await _started(redis, t)
    await commit_paced(redis, 4, 0)

    async def all_dead() -> bool:
        return int(await redis.xlen(keys.webhook_dead(t.id))) == 4

    await wait_until(all_dead, 30, "four dead letters")
    dead = await redis.xrange(keys.webhook_dead(t.id))
    assert [f["log_id"] for _, f in dead] == await _log_ids(redis)
    assert all(f["attempts"] == "3" and "ClientConnectorError" in f["error"] for _, f in dead)
    dead_field = metrics.field("newsingest_webhook_deliveries", outcome="dead", target=t.id)
    failed_field = metrics.field("newsingest_webhook_deliveries", outcome="failed", target=t.id)
    assert await metric(redis, dead_field) == 4
    assert await metric(redis, failed_field) == 8


async def test_refused_target_and_client_errors_are_not_retried(
    redis: Any, receiver: Receiver, deliverers: Deliverers
) -> None:
    """The SSRF guard refuses a loopback target without connecting; a 410 is final at once."""
    with socket.socket() as canary:
        await _refusals(redis, receiver, deliverers, canary)


async def _refusals(
    redis: Any, receiver: Receiver, deliverers: Deliverers, canary: socket.socket
) -> None:
    canary.bind(("127.0.0.1", 0))
    canary.listen()
    canary.setblocking(False)
    guarded = target(f"http://127.0.0.1:{canary.getsockname()[1]}/hook")
    deliverers.start(redis, guarded, FetchLimits())  # no allow_networks: loopback refused
    receiver.fail_rate, receiver.status_when_failing = 1.0, 410
    gone = target(receiver.url)
    deliverers.start(redis, gone)
    await _started(redis, guarded)
    await _started(redis, gone)
    await commit_paced(redis, 2, 0)

    async def settled() -> bool:
        counts = [int(await redis.xlen(keys.webhook_dead(t.id))) for t in (guarded, gone)]
        return counts == [2, 2]

    await wait_until(settled, 20, "both targets dead-lettered")
    refused = await redis.xrange(keys.webhook_dead(guarded.id))
    assert all(f["attempts"] == "1" and "private_address" in f["error"] for _, f in refused)
    assert all(f["attempts"] == "1" for _, f in await redis.xrange(keys.webhook_dead(gone.id)))
    assert receiver.attempts == 2
    with pytest.raises(BlockingIOError):
        canary.accept()  # nobody ever connected


async def test_filters_skip_messages(
    redis: Any, receiver: Receiver, deliverers: Deliverers
) -> None:
    """Only matching messages are sent; the cursor moves past the others."""
    t = target(receiver.url, filter=eventlog.make_filter(countries="SY"))
    deliverers.start(redis, t)
    await _started(redis, t)
    await commit_paced(redis, 8, 0)
    log_ids = await _log_ids(redis)

    async def done() -> bool:
        return await redis.hget(keys.webhook(t.id), "cursor") == log_ids[-1]

    await wait_until(done, 20, "cursor at the end")
    assert receiver.accepted == [log_ids[0], log_ids[4]]  # events 0 and 4 are in SY


def test_webhook_settings(tmp_path: Path) -> None:
    """[[webhooks]] tables load with their defaults; a bad value names the table and key."""
    good = tmp_path / "good.toml"
    good.write_text(
        '[[webhooks]]\nurl = "https://hooks.example/a"\nsecret = "s"\ncountry = "SY,IQ"\n'
        '[[webhooks]]\nurl = "https://hooks.example/b"\nsecret = "t"\nmax_attempts = 3\n'
    )
    hooks = load(str(good), {}).webhooks
    assert [h.url for h in hooks] == ["https://hooks.example/a", "https://hooks.example/b"]
    assert hooks[1].max_attempts == 3 and hooks[0].max_attempts == 10
    targets = delivery.targets_from(hooks)
    assert targets[0].filter.countries == frozenset({"SY", "IQ"})
    bad = tmp_path / "bad.toml"
    bad.write_text('[[webhooks]]\nurl = "https://hooks.example/a"\n')
    with pytest.raises(ConfigError, match=r"webhooks\[0\]\.secret"):
        load(str(bad), {})
    bad.write_text('[[webhooks]]\nurl = "https://h.example/"\nsecret = "s"\nretries = 2\n')
    with pytest.raises(ConfigError, match=r"webhooks\[0\]\.retries"):
        load(str(bad), {})
    with pytest.raises(ConfigError, match=r"webhooks\[0\] kind"):
        delivery.targets_from((replace(hooks[0], kind="deleted"),))


async def test_daemon_delivers_configured_webhooks(
    redis_url: str, redis: Any, receiver: Receiver
) -> None:
    """A daemon (api role alone) with a [[webhooks]] table delivers what is committed."""
    hook = WebhookSettings(url=receiver.url, secret=SECRET, kind="created")
    base = daemon_settings(redis_url)
    settings = replace(base, webhooks=(hook,), http=replace(base.http, port=free_port()))
    async with running_daemon(settings, [], roles=("api",)):
        await _started(redis, delivery.targets_from((hook,))[0])
        await commit_paced(redis, 3, 0)

        async def three() -> bool:
            return len(receiver.accepted) == 3

        await wait_until(three, 20, "three deliveries")
        status, body = await get_json(f"http://127.0.0.1:{settings.http.port}/webhooks")
    assert receiver.accepted == await _log_ids(redis)
    assert status == 200 and body["count"] == 1
    shown = body["webhooks"][0]
    assert shown["url"] == receiver.url and shown["cursor"] == receiver.accepted[-1]
    assert (shown["delivered"], shown["behind"], shown["dead_letters"]) == (3, 0, 0)
    assert SECRET not in json.dumps(body)


async def test_delivery_waits_for_redis(receiver: Receiver, tmp_path: Path) -> None:
    """Started while Redis is down, delivery keeps trying and delivers once Redis is up."""
    server = EmbeddedRedis(str(tmp_path), appendonly=False, port=free_port())
    redis = connect(server.url)
    stop = asyncio.Event()
    t = target(receiver.url)
    task = asyncio.create_task(delivery.deliver(redis, [t], LOCAL, stop))
    try:
        await asyncio.sleep(1.5)
        assert not task.done()
        await asyncio.to_thread(server.start)
        await _started(redis, t)
        await commit_paced(redis, 2, 0)

        async def two() -> bool:
            return len(receiver.accepted) == 2

        await wait_until(two, 20, "two deliveries")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await redis.aclose()
        server.stop()
