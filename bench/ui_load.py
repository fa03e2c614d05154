"""Time to a rendered view in headless Chromium, three sections, each printed with its figures per load and medians:

1. traversal: from navigation start to the Explore page's traversal <img> having decoded (naturalWidth > 0), for a
   cold and a warm page load; median of --repeats (5).
   cold: a new browser context each time (empty HTTP cache: Dash's bundles, the PNG), so the backend renders
         the grid again. warm: the same page reloaded (bundles and the immutable, versioned PNG cached).
   One untimed load first, so the backend has loaded the model and the factor table (both cached per run).
2. embedding: the Embedding page of the bundled dSprites beta-TCVAE (737,280 items; ``factorscope prepare``'s
   weights, installed, not trained) with PCA of 100,000 items against 10,000: time to the scatter drawn, the
   bytes the page received and sent, and mouse-on-a-point to its hover image (bench/ui_views.py says how).
   Both sizes are over the page's synchronous limit (SYNC_N, 5,000; its default sample is 500), so both are
   projection jobs, queued through the API and finished before the timing (the page would show Compute).
3. compare: /compare?runs= of 5 small digits VAEs (300 steps, seeds 0-4, beta 1-3) against 2 of them, the
   default curve (val_loss): time to the curves and the table drawn.
Sections 2 and 3 alternate baseline and large view in each of --view-repeats (3) rounds, after an untimed round.
No timing is asserted: the figures are printed side by side with their ratio.

    .venv/bin/python bench/ui_load.py            # starts API + worker + dashboard on runs it makes in a temp home
    .venv/bin/python bench/ui_load.py --quick    # 3 repeats, 20,000 against 6,000 points: a few minutes
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

from e2e_stack import CHROMIUM, RUN, Stack, launch_browser, make_tiny_run, running_stack  # noqa: E402
from ui_views import (  # noqa: E402
    DSPRITES_RUN,
    EmbeddingLoad,
    make_digits_runs,
    measure_compare,
    measure_embedding,
    project,
    row,
)

from backend.demo_weights import install_bundle  # noqa: E402

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


def traversal_section(stack: Stack, repeats: int) -> None:
    version = httpx.get(f"{stack.api_url}/api/v1/runs/{RUN}").json()["version"]
    shared = f"{stack.ui_url}/explore?run={RUN}&v={version}&dims=3,2,1,0&steps=9&span=2.5&base=zero"
    bare = f"{stack.ui_url}/explore?run={RUN}"
    results = {"a shared link (run, v, dims: the image starts with the page)": measure(shared, repeats),
               "a bare link (run only: dims chosen by MI after the run loads)": measure(bare, repeats)}
    print(f"\ntime to a rendered traversal, ms from navigation start (headless Chromium, {repeats} loads each)")
    for title, (cold, warm) in results.items():
        report(title, cold, warm)


def embedding_section(browser: Any, stack: Stack, ns: tuple[int, int], repeats: int) -> None:
    """Project both samples (the worker, untimed by the browser), then time the page on each."""
    version = httpx.get(f"{stack.api_url}/api/v1/runs/{DSPRITES_RUN}").json()["version"]
    for n in ns:
        seconds = project(stack.api_url, DSPRITES_RUN, version, n)
        print(f"PCA projection of {n:,} dSprites items by the worker: {seconds:.1f} s", flush=True)
    loads = measure_embedding(browser, (stack.api_url, stack.ui_url), version, ns, repeats)
    report_embedding(ns, loads)


def report_embedding(ns: tuple[int, int], loads: dict[int, list[EmbeddingLoad]]) -> None:
    small, big = (loads[n] for n in ns)
    print(f"\nEmbedding page, {DSPRITES_RUN}, PCA; median of {len(small)} cold loads each (per load below)")
    print(f"  {'':<34} {f'{ns[0]:,} pts':>12} {f'{ns[1]:,} pts':>12} {'ratio':>8}")
    for name, field, unit, scale in (("first paint of the scatter", "paint_ms", "ms", 1.0),
                                     ("hover: card shown", "card_ms", "ms", 1.0),
                                     ("hover: sprite cell decoded", "hover_ms", "ms", 1.0),
                                     ("received by the first paint", "received", "MB", 1e6),
                                     ("  of it, callbacks' answers", "by_callbacks", "MB", 1e6),
                                     ("sent by the first paint", "sent", "MB", 1e6),
                                     ("received once settled", "settled_received", "MB", 1e6),
                                     ("  of it, callbacks' answers", "settled_by_callbacks", "MB", 1e6),
                                     ("sent once settled", "settled_sent", "MB", 1e6),
                                     ("received by the hover (sheet)", "hover_received", "kB", 1e3)):
        print(row(name, [getattr(x, field) for x in small], [getattr(x, field) for x in big], unit, scale))
    for n in ns:
        print(f"  {n:,} pts, each load (paint ms / hover ms):",
              ", ".join(f"{x.paint_ms:.0f} / {x.hover_ms:.0f}" for x in loads[n]),
              f"({sum(x.on_target for x in loads[n])} of {len(loads[n])} hovers on the point aimed at)")


def compare_section(browser: Any, stack: Stack, runs: list[str], repeats: int) -> None:
    counts = (2, len(runs))
    found = measure_compare(browser, stack.ui_url, runs, counts, repeats)
    print(f"\nCompare page, digits VAEs; median of {repeats} cold loads each")
    print(f"  {'':<34} {f'{counts[0]} runs':>12} {f'{counts[1]} runs':>12} {'ratio':>8}")
    for name, at, unit, scale in (("curves and table drawn", 0, "ms", 1.0), ("received by then", 1, "kB", 1e3),
                                  ("  of it, callbacks' answers", 2, "kB", 1e3), ("sent by then", 3, "kB", 1e3)):
        print(row(name, [x[at] for x in found[counts[0]]], [x[at] for x in found[counts[1]]], unit, scale))
    for k in counts:
        print(f"  {k} runs, each load (ms):", ", ".join(f"{x[0]:.0f}" for x in found[k]))


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="traversal loads of each kind")
    parser.add_argument("--view-repeats", type=int, default=3, help="embedding and compare loads of each size")
    parser.add_argument("--quick", action="store_true", help="3 repeats; 6,000 and 20,000 embedded points")
    parser.add_argument("--sections", default="traversal,embedding,compare",
                        help="comma-separated: traversal, embedding, compare")
    parser.add_argument("--steps", type=int, default=300, help="training steps of each compared run")
    args = parser.parse_args()
    args.sections = set(args.sections.split(","))
    if unknown := args.sections - {"traversal", "embedding", "compare"}:
        parser.error(f"--sections: unknown {sorted(unknown)}; expected traversal, embedding, compare")
    if args.repeats < 1 or args.view_repeats < 3:
        parser.error("--repeats must be >= 1 and --view-repeats >= 3 (medians of 3 or more)")
    if args.quick:
        args.repeats, args.view_repeats = 3, 3
    return args


def make_runs(home: Path, sections: set[str], steps: int) -> list[str]:
    """The runs the sections load (the tiny run, the installed dSprites run, five digits VAEs): the latter's ids."""
    start = time.perf_counter()
    if "traversal" in sections:
        make_tiny_run(home)
    if "embedding" in sections:
        install_bundle(home, DSPRITES_RUN)
    compared = make_digits_runs(home, 5, steps) if "compare" in sections else []
    print(f"made the runs ({len(compared)} to compare) in {time.perf_counter() - start:.1f} s; "
          "starting the API, the worker and the dashboard", flush=True)
    return compared


def main() -> int:
    args = options()
    if not CHROMIUM.exists():
        print(f"bench/ui_load.py: {CHROMIUM} is missing (apt-get install -y chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="factorscope-ui-bench-") as tmp:
        home = Path(tmp)
        compared = make_runs(home, args.sections, args.steps)
        with running_stack(home, home / "logs", worker="embedding" in args.sections) as stack:
            if "traversal" in args.sections:
                traversal_section(stack, args.repeats)
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = launch_browser(playwright)
                if "embedding" in args.sections:
                    embedding_section(browser, stack, (6_000, 20_000) if args.quick else (10_000, 100_000),
                                      args.view_repeats)
                if "compare" in args.sections:
                    compare_section(browser, stack, compared, args.view_repeats)
                browser.close()
    return 0

if __name__ == "__main__":
    sys.exit(main())
