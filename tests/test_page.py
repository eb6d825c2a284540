"""The live page in a real headless browser (Debian's chromium driven by playwright).

Skipped with a message where chromium or playwright is absent (`make test` installs chromium
when it runs as root on Debian; see the Makefile's browser target).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from service.http import AppState, make_app
from tests.delivery import synthetic
from workers.records import Location
from workers.store import RollingStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - dev dependency
    async_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.skipif(async_playwright is None, reason="playwright not installed (make dev)"),
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium not installed (apt-get install chromium)"
    ),
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def base(redis: Any) -> AsyncIterator[str]:
    app = make_app(AppState(redis, RollingStore(redis, 86400)))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def commit(redis: Any, i: int, lat: float, lon: float) -> str:
    article, event = synthetic(i, "page")
    loc = Location("Town", "Region", event.location.country, lat, lon)
    event = replace(event, location=loc)
    now = datetime.now(UTC)
    await RollingStore(redis, 86400).commit(f"page-{i}", article, [event], now, now.timestamp())
    return event.id


async def open_page(browser: Browser, base: str, width: int, height: int) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(base + "/")
    await page.wait_for_selector("#status.live", timeout=10_000)
    await page.wait_for_function("document.querySelectorAll('#land path').length > 100")
    assert errors == []
    return page


async def visible_ids(page: Page) -> list[str]:
    ids: list[str] = await page.eval_on_selector_all(
        "#events li:not([hidden])", "items => items.map(i => i.dataset.id)"
    )
    return ids


async def test_live_event_appears_in_list_and_on_map(
    browser: Browser, base: str, redis: Any
) -> None:
    """Stored events load; one committed while the page is open shows in the list and on the map."""
    stored = await commit(redis, 0, 35.5, 36.6)  # SY
    page = await open_page(browser, base, 1280, 800)
    await page.wait_for_selector(f'#events li[data-id="{stored}"]', timeout=5000)
    live = await commit(redis, 1, 48.85, 2.35)  # FR, Paris
    # Generous deadlines: how fast it appears is measured by bench_delivery.py --part page.
    await page.wait_for_selector(f'#events li[data-id="{live}"]', timeout=15_000)
    await page.wait_for_selector(f'#markers circle[data-id="{live}"]', timeout=15_000)
    cx = float(await page.get_attribute(f'#markers circle[data-id="{live}"]', "cx") or 0)
    cy = float(await page.get_attribute(f'#markers circle[data-id="{live}"]', "cy") or 0)
    assert (round(cx, 2), round(cy, 2)) == (182.35, 41.15)  # lon + 180, 90 - lat
    assert (await visible_ids(page))[0] == live  # newest first
    text = await page.inner_text(f'#events li[data-id="{live}"]')
    assert "Protests / Peaceful protest" in text and "Town, Region, FR" in text
    await page.close()


async def test_filters(browser: Browser, base: str, redis: Any) -> None:
    """Country, type and confidence filters hide list items and markers that do not match."""
    ids = [await commit(redis, i, 10.0 + i, 20.0 + i) for i in range(4)]  # SY FR MX ID
    page = await open_page(browser, base, 1280, 800)
    await page.wait_for_function("document.querySelectorAll('#events li').length === 4")
    await page.fill("#f-country", "fr")
    assert await visible_ids(page) == [ids[1]]
    hidden_markers = await page.eval_on_selector_all(
        "#markers circle", "cs => cs.filter(c => c.style.display === 'none').length"
    )
    assert hidden_markers == 3
    await page.fill("#f-country", "")
    await page.select_option("#f-type", "Battles")  # events 0 and 2
    assert sorted(await visible_ids(page)) == sorted([ids[0], ids[2]])
    await page.select_option("#f-type", "")
    await page.eval_on_selector(
        "#f-conf", "e => { e.value = '0.6'; e.dispatchEvent(new Event('input')); }"
    )
    assert sorted(await visible_ids(page)) == sorted([ids[1], ids[3]])  # confidence 0.9
    assert "2 of 4 events shown" in await page.inner_text("#shown")
    await page.close()


async def test_readable_at_desktop_and_phone_width(browser: Browser, base: str, redis: Any) -> None:
    """At 1280x800 map and list sit side by side; at phone width they stack, nothing overflows."""
    await commit(redis, 0, 35.5, 36.6)
    for width, height, side_by_side in ((1280, 800, True), (390, 844, False)):
        page = await open_page(browser, base, width, height)
        await page.wait_for_selector("#events li")
        scroll_width = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width
        map_box = await page.locator("#map").bounding_box()
        list_box = await page.locator(".list").bounding_box()
        assert map_box and list_box and map_box["width"] > 0.3 * width - 40
        assert (list_box["x"] > map_box["x"] + map_box["width"] - 1) is side_by_side
        await page.close()
