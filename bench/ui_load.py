"""Time to a rendered traversal in headless Chromium: from navigation start to the Explore page's
traversal <img> having decoded (naturalWidth > 0), for a cold and a warm page load; median of 5.

cold: a new browser context each time (empty HTTP cache: Dash's bundles, the PNG), so the backend renders
      the grid again. warm: the same page reloaded (bundles and the immutable, versioned PNG cached).
One untimed load first, so the backend has loaded the model and the factor table (both cached per run).

    .venv/bin/python bench/ui_load.py            # starts API + dashboard on a tiny trained run
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

from e2e_stack import CHROMIUM, RUN, launch_browser, make_tiny_run, running_stack  # noqa: E402

READY = """() => { const i = document.querySelector('#explore-traversal');
                   return i && i.complete && i.naturalWidth > 0; }"""


def load_ms(page: Any, url: str, reload: bool = False) -> float:
    """Milliseconds from navigation start until the traversal image is decoded (page clock)."""
    if reload:
        page.reload(wait_until="commit")
    else:
        page.goto(url, wait_until="commit")
    page.wait_for_function(READY, polling=10, timeout=120_000)
    return float(page.evaluate("() => performance.now()"))


def measure(url: str, repeats: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    cold, warm = [], []
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        first = browser.new_context(viewport={"width": 1280, "height": 800})
        load_ms(first.new_page(), url)  # untimed: the backend loads the model and its factor table
        first.close()
        for _ in range(repeats):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            cold.append(load_ms(page, url))
            warm.append(load_ms(page, url, reload=True))
            context.close()
        browser.close()
    return cold, warm


def report(title: str, cold: list[float], warm: list[float]) -> None:
    print(f"\n{title}")
    print(f"{'':>8} {'cold':>8} {'warm':>8}")
    for i, (c, w) in enumerate(zip(cold, warm, strict=True), 1):
        print(f"{'load ' + str(i):>8} {c:8.0f} {w:8.0f}")
    print(f"{'median':>8} {statistics.median(cold):8.0f} {statistics.median(warm):8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"bench/ui_load.py: {CHROMIUM} is missing (apt-get install -y chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="factorscope-ui-bench-") as tmp:
        home = Path(tmp)
        start = time.perf_counter()
        make_tiny_run(home)
        print(f"trained the tiny run in {time.perf_counter() - start:.1f} s; starting the API and the dashboard",
              flush=True)
        with running_stack(home, home / "logs", worker=False) as stack:
            version = httpx.get(f"{stack.api_url}/api/v1/runs/{RUN}").json()["version"]
            shared = f"{stack.ui_url}/explore?run={RUN}&v={version}&dims=3,2,1,0&steps=9&span=2.5&base=zero"
            bare = f"{stack.ui_url}/explore?run={RUN}"
            results = {"a shared link (run, v, dims: the image starts with the page)": measure(shared, args.repeats),
                       "a bare link (run only: dims chosen by MI after the run loads)": measure(bare, args.repeats)}
    print(f"\ntime to a rendered traversal, ms from navigation start (headless Chromium, {args.repeats} loads each)")
    for title, (cold, warm) in results.items():
        report(title, cold, warm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
