"""`make screenshot`: a PNG of the live page against the demo site (`newsingest demo`).

Starts the demo daemon on a free port with its own embedded Redis, waits until the demo's
events are stored, opens the page in Debian's chromium (through playwright) at 1280x800 and
writes the screenshot (default docs/live-page.png).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.redisconn import free_port  # noqa: E402
from tests.test_page import BROWSER_ARGS  # noqa: E402

DEMO_EVENTS = 4  # what the demo's pages yield


def stored_events(base: str) -> int:
    try:
        with urllib.request.urlopen(base + "/events?limit=100", timeout=5) as resp:
            return int(json.load(resp)["count"])
    except OSError:
        return -1


async def shoot(base: str, out: Path, chromium: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium, headless=True, args=BROWSER_ARGS
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await page.goto(base + "/")
        await page.wait_for_selector("#status.live", timeout=15_000)
        await page.wait_for_function(
            f"document.querySelectorAll('#events li').length >= {DEMO_EVENTS}"
            " && document.querySelectorAll('#land path').length > 100"
        )
        await page.screenshot(path=str(out))
        await browser.close()


def main(out: Path) -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("make screenshot needs chromium (apt-get install chromium, or make browser)")
        return 1
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = dict(
            os.environ,
            NEWSINGEST_HTTP_PORT=str(port),
            NEWSINGEST_REDIS_URL="",
            NEWSINGEST_REDIS_DATA_DIR=data,
            NEWSINGEST_LOG_LEVEL="WARNING",
        )
        demo = subprocess.Popen(
            [sys.executable, "-m", "service", "demo"], env=env, stdout=subprocess.DEVNULL, cwd=ROOT
        )
        try:
            deadline = time.monotonic() + 120
            while stored_events(base) < DEMO_EVENTS:
                if time.monotonic() > deadline or demo.poll() is not None:
                    print(
                        f"the demo stored {max(0, stored_events(base))} events, expected {DEMO_EVENTS}"
                    )
                    return 1
                time.sleep(0.5)
            out.parent.mkdir(parents=True, exist_ok=True)
            asyncio.run(shoot(base, out, chromium))
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=20)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "live-page.png")))
