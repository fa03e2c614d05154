"""Bytes the Embedding page moves per interaction at 100,000 points (#20 item 5), in headless Chromium: the first
load, then a colour change, a search, a click on a point and a box selection, each counted from the action until no
request has been in flight for a second (bench/ui_views.py's ``traced_page`` and ``settle``):

- sent: request bodies (Dash's callbacks: their inputs and states, e.g. a store uploaded with each call);
- callbacks: bytes received by Dash's callbacks (headers and body as on the wire, Chromium's encodedDataLength);
- received: every byte received (callbacks, bundles, images such as the neighbours' thumbnails).

Each checkout runs its own API, worker and dashboard (its tests/e2e/e2e_stack.py) on one home holding the bundled
dSprites beta-TCVAE (``factorscope prepare``'s weights, installed, not trained), whose PCA of n items the worker
computes first (untimed; the later checkout goes first, so the projection it stores serves the earlier one too).
Each checkout's figures are printed (JSON, stderr) as soon as it is done; no figure is asserted.

    .venv/bin/python bench/embedding_payload.py                              # this checkout
    git clone -q /work/main /tmp/embedperf/base                               # HEAD, without the working changes
    .venv/bin/python bench/embedding_payload.py /tmp/embedperf/base .        # before | after
    .venv/bin/python bench/embedding_payload.py --n 20000 .                  # a smaller view
    .venv/bin/python bench/embedding_payload.py --home /tmp/embedperf/home ...  # keep (and reuse) the home
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
COLOUR, NEXT_COLOUR = "factor:shape", "factor: scale"  # the page opens coloured by shape; then scale is picked
SEARCH = "shape=heart"
ACTIONS = ("load", "colour", "search", "click", "box select")
# the leftmost drawn point of the first hoverable trace (the least crowded, so the click lands on it)
LEFTMOST = """() => { const gd = document.querySelector('#embedding-graph .js-plotly-plot');
    const t = gd.data.find(d => d.hoverinfo !== 'skip' && d.x && d.x.length);
    let i = 0;
    for (let j = 1; j < t.x.length; j++) if (t.x[j] < t.x[i]) i = j;
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
    return {x: box.left + xa._offset + xa.l2p(t.x[i]), y: box.top + ya._offset + ya.l2p(t.y[i])}; }"""
PLOT_BOX = """() => { const gd = document.querySelector('#embedding-graph .js-plotly-plot');
    const r = gd.getBoundingClientRect(), l = gd._fullLayout;
    return {x: r.left + l.margin.l, y: r.top + l.margin.t, w: l.width - l.margin.l - l.margin.r,
            h: l.height - l.margin.t - l.margin.b}; }"""


def interact(page: Any, action: str) -> None:
    """One user action on the drawn page."""
    if action == "colour":
        page.locator("#embedding-color").click()
        page.get_by_role("option", name=NEXT_COLOUR).click()
    elif action == "search":
        page.locator("#embedding-search").fill(SEARCH)
        page.locator("#embedding-search").press("Enter")
    elif action == "click":
        point = page.evaluate(LEFTMOST)
        page.mouse.click(point["x"], point["y"])
    elif action == "box select":
        page.locator("#embedding-graph .modebar-btn[data-val='select']").first.click()
        box = page.evaluate(PLOT_BOX)
        page.mouse.move(box["x"] + 0.3 * box["w"], box["y"] + 0.3 * box["h"])
        page.mouse.down()
        page.mouse.move(box["x"] + 0.6 * box["w"], box["y"] + 0.7 * box["h"], steps=8)
        page.mouse.up()


def measure(checkout: Path, n: int, home: Path) -> dict[str, dict[str, int]]:
    """Per action: {sent, callbacks, received} bytes, on ``checkout``'s own stack (imported from it: run once per
    process) over ``home`` (the dSprites run installed there unless it is already)."""
    sys.path[:0] = [str(checkout), str(checkout / "tests" / "e2e"), str(BENCH)]
    from e2e_stack import launch_browser, running_stack
    from playwright.sync_api import sync_playwright
    from ui_views import DRAWN, DSPRITES_RUN, project, settle, traced_page

    from backend.demo_weights import install_bundle
    from backend.runs import run_dir

    if not run_dir(home, DSPRITES_RUN).is_dir():
        install_bundle(home, DSPRITES_RUN)
    own = home / f"stack-{checkout.name}"  # its own jobs database (checkouts may differ in migrations), shared runs
    own.mkdir(exist_ok=True)
    if not (own / "runs").exists():
        (own / "runs").symlink_to(run_dir(home, DSPRITES_RUN).parent)
    with running_stack(own, own / "logs") as stack, sync_playwright() as playwright:
        version = httpx.get(f"{stack.api_url}/api/v1/runs/{DSPRITES_RUN}", timeout=60).json()["version"]
        seconds = project(stack.api_url, DSPRITES_RUN, version, n)
        print(f"{checkout}: the worker projected {n:,} items in {seconds:.0f} s", file=sys.stderr, flush=True)
        browser = launch_browser(playwright)
        query = urlencode({"run": DSPRITES_RUN, "v": version, "n": n, "color": COLOUR})
        results: dict[str, dict[str, int]] = {}
        with traced_page(browser) as (page, traffic):
            page.set_default_timeout(600_000)
            for action in ACTIONS:
                before = traffic.counts()
                if action == "load":
                    page.goto(f"{stack.ui_url}/embedding?{query}", wait_until="commit")
                    page.wait_for_function(DRAWN, arg=["#embedding-graph", n], polling=500, timeout=600_000)
                else:
                    interact(page, action)
                settle(page, traffic, timeout_s=600)
                received, callbacks, sent = (b - a for a, b in zip(before, traffic.counts(), strict=True))
                results[action] = {"sent": sent, "callbacks": callbacks, "received": received}
        browser.close()
    return results


def table(results: dict[str, dict[str, dict[str, int]]], n: int) -> str:
    """The checkouts' figures side by side, in kB (1,000 bytes)."""
    names = list(results)
    head = f"{'action':<11}" + "".join(f" | {name[-28:]:>28} (sent / callbacks / all received, kB)" for name in names)
    lines = [f"bytes per interaction on the Embedding page, dSprites PCA of {n:,} points", head]
    for action in ACTIONS:
        cells = [results[name][action] for name in names]
        lines.append(f"{action:<11}" + "".join(f" | {c['sent'] / 1e3:>12,.1f} / {c['callbacks'] / 1e3:>10,.1f} / "
                                                f"{c['received'] / 1e3:>10,.1f}{'':>26}" for c in cells))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", type=Path, default=[ROOT], help="one or two checkouts (before after)")
    parser.add_argument("--n", type=int, default=100_000, help="points in the view (a projection the worker makes)")
    parser.add_argument("--home", type=Path, help="the FACTORSCOPE_HOME to use and keep (default: a temp one)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # measure one checkout, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.checkouts[0].resolve(), args.n, args.home)))
        return 0
    if not 1 <= len(args.checkouts) <= 2:
        parser.error("give one checkout, or two to compare (before after)")
    with tempfile.TemporaryDirectory(prefix="factorscope-payload-") as tmp:
        home = (args.home or Path(tmp)).resolve()
        home.mkdir(parents=True, exist_ok=True)
        results = {}
        for checkout in reversed(args.checkouts):  # a process each: each imports its own checkout's code
            done = subprocess.run([sys.executable, __file__, "--one", "--n", str(args.n), "--home", str(home),
                                   str(checkout.resolve())], check=True, stdout=subprocess.PIPE, text=True)
            results[str(checkout.resolve())] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{checkout.resolve()}: {json.dumps(results[str(checkout.resolve())])}", file=sys.stderr, flush=True)
    print(table({str(c.resolve()): results[str(c.resolve())] for c in args.checkouts}, args.n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
