"""bench/ui_load.py's two heavier views, each timed against a baseline in the same browser, repeats alternating
(A B A B ...), a new browser context (empty HTTP cache) per load:

- Embedding: the dSprites beta-TCVAE's PCA scatter of n items (a projection the worker computed before the timing),
  (a) navigation start -> the scatter drawn (every point in the figure and dcc.Graph's Plotly.react resolved, i.e.
  after plotly_afterplot), with the bytes received and sent by then; (b) the mouse moved onto a point -> the hover
  card showing that item's sprite cell decoded (an Image of the card's sprite-sheet URL, which shares the card's
  download). Each repeat hovers a point of another sprite sheet, so every hover fetches a sheet the browser has not.
- Compare: /compare?runs=... of k digits VAEs: navigation start -> k curves drawn and the table's k run columns.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

VIEWPORT = {"width": 1440, "height": 900}
DSPRITES_RUN = "demo-beta-tcvae-dsprites"  # bundled trained weights (backend/demo_weights), installed, not trained
SPRITE_PAGE = 1024  # thumbnails per sprite sheet (frontend/assets/factorscope.js)
SETTLE_S = 1.0  # the page is settled once no request has been in flight for this long

DRAWN = """([graph, n]) => { const gd = document.querySelector(graph + ' .js-plotly-plot');
    if (!gd || !gd.data || gd.classList.contains('dash-graph--pending')) return false;
    const shown = gd.data.filter(t => t.hoverinfo !== 'skip').reduce((s, t) => s + (t.x ? t.x.length : 0), 0);
    return shown === n && performance.now(); }"""
COMPARED = """(k) => { const gd = document.querySelector('#compare-graph .js-plotly-plot');
    const heads = document.querySelectorAll('#compare-table-wrap table thead th').length;
    return gd && gd.data && gd.data.length === k && !gd.classList.contains('dash-graph--pending')
           && heads === k + 1 && performance.now(); }"""
# where ``item`` is drawn (page pixels)
POINT = """(item) => { const gd = document.querySelector('#embedding-graph .js-plotly-plot');
    for (const t of gd.data) {
        const i = t.hoverinfo === 'skip' || !t.customdata ? -1 : Array.prototype.indexOf.call(t.customdata, item);
        if (i < 0) continue;
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        return {x: box.left + xa._offset + xa.l2p(t.x[i]), y: box.top + ya._offset + ya.l2p(t.y[i])};
    }
    return null; }"""
# arm the hover clock: the next mousemove's timestamp, then the card's sprite cell decoded
ARM_HOVER = """() => { const hb = window.__fsHover = {moved: null, shown: null, loaded: null, url: null};
    document.addEventListener('mousemove', e => { if (hb.moved === null) hb.moved = e.timeStamp; },
                              {capture: true, once: true});
    const card = document.querySelector('#embedding-hover'), img = document.querySelector('#embedding-hover-img');
    const seen = () => { const m = /url\\("([^"]+)"\\)/.exec(img.style.backgroundImage || '');
        if (hb.shown !== null || !m || getComputedStyle(card).display !== 'block') return;
        hb.shown = performance.now(); hb.url = m[1]; observer.disconnect();
        const sheet = new Image(); sheet.src = m[1];
        sheet.decode().then(() => { hb.loaded = performance.now(); }, () => { hb.loaded = -1; }); };
    const observer = new MutationObserver(seen);
    observer.observe(card, {attributes: true, subtree: true, attributeFilter: ['style']}); }"""


CALLBACK_PATH = "/_dash-update-component"


@dataclass
class Traffic:
    """Bytes received (Chromium's encodedDataLength: headers and body, as on the wire), of them by Dash's callbacks,
    and bytes sent (request bodies) by one page; the requests in flight (request id -> URL)."""

    received: int = 0
    by_callbacks: int = 0
    sent: int = 0
    in_flight: dict[str, str] = field(default_factory=dict)
    last_change: float = field(default_factory=time.monotonic)

    def started(self, event: dict[str, Any]) -> None:
        self.in_flight[event["requestId"]] = event["request"]["url"]
        self.last_change = time.monotonic()

    def finished(self, event: dict[str, Any]) -> None:
        size = int(event.get("encodedDataLength", 0))
        self.received += size
        if CALLBACK_PATH in self.in_flight.pop(event["requestId"], ""):
            self.by_callbacks += size
        self.last_change = time.monotonic()

    def counts(self) -> tuple[int, int, int]:
        """(received, of it by callbacks, sent) so far."""
        return self.received, self.by_callbacks, self.sent


@contextmanager
def traced_page(browser: Any) -> Iterator[tuple[Any, Traffic]]:
    """A page in a new context (empty cache) whose traffic is counted from its first request."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    traffic = Traffic()
    cdp = context.new_cdp_session(page)
    cdp.on("Network.requestWillBeSent", traffic.started)
    cdp.on("Network.loadingFinished", traffic.finished)
    cdp.on("Network.loadingFailed", traffic.finished)
    cdp.send("Network.enable")
    page.on("request", lambda request: setattr(traffic, "sent", traffic.sent + len(request.post_data_buffer or b"")))
    try:
        yield page, traffic
    finally:
        context.close()


def settle(page: Any, traffic: Traffic, timeout_s: float = 300.0) -> None:
    """Wait until no request has been in flight for SETTLE_S, counted from now at the earliest (the page's callbacks
    after the first paint)."""
    start = time.monotonic()
    deadline = start + timeout_s
    while traffic.in_flight or time.monotonic() - max(traffic.last_change, start) < SETTLE_S:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page still had {len(traffic.in_flight)} requests in flight after {timeout_s} s")
        page.wait_for_timeout(100)


@dataclass(frozen=True)
class EmbeddingLoad:
    paint_ms: float  # navigation start -> the scatter drawn
    hover_ms: float  # mousemove onto a point -> its sprite cell decoded
    card_ms: float  # mousemove -> the hover card shown (its sheet may still be loading)
    on_target: bool  # whether the hover card showed the item the mouse was moved onto
    received: int  # bytes received by the first paint
    by_callbacks: int  # ... of them, Dash callbacks' answers (the rest: bundles, fonts, images)
    sent: int  # bytes sent by the first paint (callbacks' requests)
    settled_received: int  # the same three once the page settled (every callback after the paint), before the hover
    settled_by_callbacks: int
    settled_sent: int
    hover_received: int  # bytes received from the hover's mousemove to its sprite cell decoded (the sheet)


def embedding_url(ui_url: str, version: str, n: int) -> str:
    return f"{ui_url}/embedding?{urlencode({'run': DSPRITES_RUN, 'v': version, 'n': n})}"


def load_embedding(browser: Any, url: str, n: int, item: int) -> EmbeddingLoad:
    """One cold load of the Embedding page at ``url`` (``n`` points), then a hover on ``item``'s point."""
    with traced_page(browser) as (page, traffic):
        page.goto(url, wait_until="commit")
        paint = float(page.wait_for_function(DRAWN, arg=["#embedding-graph", n], polling="raf",
                                             timeout=600_000).json_value())
        at_paint = traffic.counts()
        settle(page, traffic)
        settled = traffic.counts()
        card, hover, shown = hover_point(page, item)
        settle(page, traffic)
        hovered = traffic.received - settled[0]
    return EmbeddingLoad(paint, hover, card, shown == item, *at_paint, *settled, hovered)


def hover_point(page: Any, item: int) -> tuple[float, float, int]:
    """(ms to the card, ms to its sprite cell decoded, the item the card shows) from moving the mouse onto
    ``item``'s point."""
    page.mouse.move(2, 2)
    page.wait_for_function("() => getComputedStyle(document.querySelector('#embedding-hover')).display !== 'block'")
    target = page.evaluate(POINT, item)
    if target is None:
        raise RuntimeError(f"item {item} is not among the drawn points")
    page.evaluate(ARM_HOVER)
    page.mouse.move(target["x"], target["y"])
    page.wait_for_function("() => window.__fsHover.loaded !== null", timeout=120_000)
    hb = page.evaluate("() => window.__fsHover")
    if hb["loaded"] < 0:
        raise RuntimeError(f"the hover card's sprite sheet {hb['url']} did not load")
    shown = int(page.locator("#embedding-hover-text").inner_text().split()[1])
    return hb["shown"] - hb["moved"], hb["loaded"] - hb["moved"], shown


def hover_targets(api_url: str, version: str, n: int, sheets: int) -> list[int]:
    """Per sprite sheet 0..sheets-1 of the n-item sample: the item drawn leftmost of the sheet's 1,024 (the least
    crowded, so the hover lands on it rather than on a neighbour drawn over it)."""
    answer = httpx.get(f"{api_url}/api/v1/runs/{DSPRITES_RUN}/projections/pca",
                       params={"n": n, "seed": 0, "v": version}, timeout=120)
    answer.raise_for_status()
    emb = answer.json()
    targets = []
    for sheet in range(sheets):
        rows = range(sheet * SPRITE_PAGE, min((sheet + 1) * SPRITE_PAGE, n))
        targets.append(int(emb["index"][min(rows, key=lambda i: emb["x"][i])]))
    return targets


def project(api_url: str, run_id: str, version: str, n: int, limit_s: float = 3600.0) -> float:
    """Queue the PCA projection of ``n`` items and wait for the worker: seconds it took."""
    start = time.perf_counter()
    answer = httpx.post(f"{api_url}/api/v1/runs/{run_id}/projections",
                        json={"method": "pca", "n": n, "seed": 0, "v": version}, timeout=60)
    if answer.status_code != 202:
        raise RuntimeError(f"POST projections (pca, n={n}) answered {answer.status_code}: {answer.text}")
    job_url = f"{api_url}/api/v1/jobs/{answer.json()['job_id']}"
    while (job := httpx.get(job_url, timeout=30).json())["state"] in ("queued", "running"):
        if time.perf_counter() - start > limit_s:
            raise TimeoutError(f"the projection of {n} items did not finish in {limit_s:.0f} s: {job}")
        time.sleep(1)
    if job["state"] != "succeeded":
        raise RuntimeError(f"the projection of {n} items {job['state']}: {job.get('error') or job}")
    return time.perf_counter() - start


def alternate(browser: Any, cases: Sequence[int], repeats: int,
              load: Callable[[Any, int, int], Any]) -> dict[int, list[Any]]:
    """``load(browser, case, repeat)`` for each case, cases alternating within each repeat (one untimed round
    first: the backend's caches and the worker's projections are warm for every case)."""
    for case in cases:
        load(browser, case, -1)
    results: dict[int, list[Any]] = {case: [] for case in cases}
    for r in range(repeats):
        for case in cases if r % 2 == 0 else reversed(cases):
            results[case].append(load(browser, case, r))
    return results


def measure_embedding(browser: Any, urls: tuple[str, str], version: str, ns: Sequence[int],
                      repeats: int) -> dict[int, list[EmbeddingLoad]]:
    """Per n: the loads (``urls``: the API's and the dashboard's); repeat r hovers a point of sprite sheet r + 1, the
    untimed round one of sheet 0."""
    api_url, ui_url = urls
    targets = {n: hover_targets(api_url, version, n, repeats + 1) for n in ns}
    return alternate(browser, ns, repeats,
                     lambda b, n, r: load_embedding(b, embedding_url(ui_url, version, n), n, targets[n][r + 1]))


def load_compare(browser: Any, url: str, k: int) -> tuple[float, int, int, int]:
    """(ms from navigation start to the k curves and table drawn, and by then Traffic.counts())."""
    with traced_page(browser) as (page, traffic):
        page.goto(url, wait_until="commit")
        drawn = float(page.wait_for_function(COMPARED, arg=k, polling="raf", timeout=300_000).json_value())
        return (drawn, *traffic.counts())


def measure_compare(browser: Any, ui_url: str, runs: Sequence[str], counts: Sequence[int],
                    repeats: int) -> dict[int, list[tuple[float, int, int, int]]]:
    return alternate(browser, counts, repeats,
                     lambda b, k, _r: load_compare(b, f"{ui_url}/compare?{urlencode({'runs': ','.join(runs[:k])})}",
                                                   k))


def make_digits_runs(home: Path, count: int, steps: int) -> list[str]:
    """``count`` digits VAEs (K = 4, one hidden layer of 64), ``steps`` steps on one thread, seed i and beta 1 + i/2."""
    import torch

    from backend.runs import create_run, train_run
    from models.training import TrainConfig

    torch.set_num_threads(1)
    ids = []
    for i in range(count):
        train = TrainConfig(steps=steps, eval_every=max(steps // 4, 1), checkpoint_every=0, seed=i, device="cpu",
                            threads=1)
        run_id = f"cmp-{i}"
        create_run(home, "vae", {"latent_dim": 4, "hidden": [64], "beta": 1.0 + i / 2}, "digits", train,
                   run_id=run_id)
        train_run(home, run_id)
        ids.append(run_id)
    return ids


def med(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def row(name: str, base: Sequence[float], big: Sequence[float], unit: str, scale: float = 1.0) -> str:
    """One "name | baseline | large | ratio" line from the medians."""
    a, b = med(base) / scale, med(big) / scale
    ratio = f"{b / a:7.2f}x" if a > 0 else "      —"
    return f"  {name:<34} {a:>12,.1f} {b:>12,.1f} {ratio}   {unit}"
