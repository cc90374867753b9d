"""Screenshots of each playground tab, as README shows them: `python docs/screenshots.py`.

Starts a server on a free loopback port, fills every tab with its Example button in Debian's
headless Chromium, runs it and saves `docs/playground-<tab>.png` (1280 px wide),
`docs/playground-boxes.png` (an answered box against its detection) and
`docs/playground-narrow.png` (390 px).
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import Page, sync_playwright

from mmreward.service import create_app
from mmreward.settings import Settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 120_000
RESULT = {
    "verify": "#verify-highlight",
    "prm": "#prm-steps-out",
    "grounding": "#grounding-claims",
    "batch": "#batch-histogram",
}


def _serve() -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(Settings(sandbox_workers=1)), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}/"


def _traffic(url: str, seconds: float) -> threading.Thread:
    """Some verify requests, half of them repeats (cache hits), for the Server tab to show."""

    def send() -> None:
        end = time.monotonic() + seconds
        with httpx.Client(base_url=url, timeout=30) as client:
            n = 0
            while time.monotonic() < end:
                items = [
                    {"verifier": "math", "response": f"\\boxed{{{v}}}", "reference": str(v)}
                    for v in (n, n % 4)
                ]
                client.post("v1/verify", json={"items": items})
                n += 1
                time.sleep(0.05)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _run_tab(page: Page, tab: str) -> None:
    page.click(f"#tab-{tab}")
    if tab == "server":
        traffic = _traffic(page.url.split("#")[0], 5.0)
        page.wait_for_selector("#server-traffic dd", timeout=WAIT_MS)
        page.wait_for_timeout(4500)  # two more /metrics readings while requests come in
        traffic.join()
        return
    page.wait_for_selector(f"#{tab}-example:not([disabled])", timeout=WAIT_MS)
    if tab in ("verify", "batch"):  # their selects fill from the server's lists
        page.wait_for_selector(f"#{tab}-scorer option", state="attached", timeout=WAIT_MS)
    page.click(f"#{tab}-example")
    if tab == "grounding":
        page.wait_for_selector("#grounding-view image")
    page.click(f"#{tab}-run")
    page.wait_for_selector(RESULT[tab], timeout=WAIT_MS)


def _answered_box(page: Page) -> None:
    """The example image again, now with a box answered for the blue square."""
    page.select_option("#grounding-task", "grounding")
    page.fill("#grounding-question", "Where is the blue square?")
    page.fill("#grounding-response", "<answer>[72, 149, 124, 201]</answer>")
    page.click("#grounding-run")
    page.wait_for_selector("#grounding-view text.iou", timeout=WAIT_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    server, thread, url = _serve()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(url)
            for tab in ("verify", "prm", "grounding", "batch", "server"):
                _run_tab(page, tab)
                page.screenshot(path=args.out / f"playground-{tab}.png", full_page=True)
                if tab == "grounding":
                    _answered_box(page)
                    page.screenshot(path=args.out / "playground-boxes.png", full_page=True)
            narrow = browser.new_page(viewport={"width": 390, "height": 844})
            narrow.goto(url)
            _run_tab(narrow, "prm")
            narrow.screenshot(path=args.out / "playground-narrow.png", full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    main()
