"""Latency and throughput of ``traversal.png`` (10 dims x 9 steps of 64x64 dSprites images) over loopback,
against real ``factorscope serve`` (uvicorn) subprocesses.

Workloads, each at concurrency 1, 8 and 32 (threads sharing one httpx client, a bounded number of requests):
  traversal hit    the same URL with If-None-Match: 304 from the ETag, no model work
  traversal miss   a distinct base item per request: encode 1 item, decode 90 latent vectors, PNG, every time
  decode.png miss  one distinct latent vector per request (the dashboard's slider playground)
Two servers run side by side on the same run: the default one (requests share forward passes) and one with
FACTORSCOPE_INFERENCE_MAX_BATCH=1 (no request ever shares a forward pass; all else equal). Each miss
workload runs ``--repeats`` times on each, in ABBA order, so that drifts of this noisy machine hit both
alike; latency percentiles pool the repeats, req/s is their median, and the batching ratio is the median
batched req/s over the median unbatched req/s.

    python bench/api_latency.py                     # trains a small conv VAE on dSprites (50 steps) in a temp home
    python bench/api_latency.py --home var --run demo-beta-tcvae-dsprites
    python bench/api_latency.py --quick             # a third of the requests
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUN = "bench-dsprites"
CONCURRENCY = (1, 8, 32)
BATCHED, UNBATCHED = "batched", "max_batch=1"
TRAVERSAL = "dims=0,1,2,3,4,5,6,7,8,9&steps=9&span=2.5"
DSPRITES_N = 737_280


@dataclass(frozen=True)
class Result:
    """One workload at one concurrency on one server, over all repeats."""

    workload: str
    concurrency: int
    requests: int  # per repeat
    errors: dict[int, int]  # unexpected status -> count
    latencies_s: np.ndarray  # every request of every repeat
    rps: np.ndarray  # (repeats,) requests per second of each repeat

    def row(self) -> str:
        p50, p95, p99 = (np.percentile(self.latencies_s, q) * 1000 for q in (50, 95, 99))
        return (f"| {self.workload:<34} | {self.concurrency:>4} | {self.requests:>5} | {p50:>8.1f} | {p95:>8.1f} | "
                f"{p99:>8.1f} | {np.median(self.rps):>8.1f} | {sum(self.errors.values()):>3} |")


def ensure_run(home: Path, run_id: str) -> None:
    """Train a small conv VAE on dSprites for 50 steps unless ``run_id`` already has weights."""
    from backend.runs import create_run, run_dir, train_run
    from models.checkpoint import CONFIG_FILE, read_json
    from models.training import TrainConfig

    config = run_dir(home, run_id) / CONFIG_FILE
    if config.is_file() and read_json(config).get("weights_sha256"):
        return
    if not config.is_file():
        train = TrainConfig(steps=50, batch_size=32, eval_every=50, log_every=10, max_val_items=256, checkpoint_every=0)
        create_run(home, "vae", {"latent_dim": 10}, "dsprites", train, run_id=run_id)
    start = time.perf_counter()
    print(f"training {run_id} (conv VAE, dSprites, 50 steps) in {home} ...", flush=True)
    train_run(home, run_id)
    print(f"trained in {time.perf_counter() - start:.0f} s", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(home: Path, max_batch: int | None) -> Iterator[str]:
    """``factorscope serve`` on a free loopback port; yields its base URL; SIGINT on exit."""
    port = free_port()
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_API_PORT": str(port),
           "FACTORSCOPE_DATABASE_URL": f"sqlite:///{home}/bench-jobs-{port}.db"}
    if max_batch is not None:
        env["FACTORSCOPE_INFERENCE_MAX_BATCH"] = str(max_batch)
    log = (home / f"bench-server-{port}.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--log-level", "warning"], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, log.name)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_healthy(base: str, proc: subprocess.Popen, log_path: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited; see {log_path}:\n{Path(log_path).read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not become healthy in {timeout_s:.0f} s; see {log_path}")


def measure(concurrency: int, n: int, call: Callable[[int], httpx.Response],
            ok: set[int]) -> tuple[np.ndarray, float, Counter[int]]:
    """``n`` calls ``call(i)`` from ``concurrency`` threads -> (latencies s, requests/s, unexpected statuses)."""

    def timed(i: int) -> tuple[float, int]:
        start = time.perf_counter()
        response = call(i)
        return time.perf_counter() - start, response.status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(timed, range(n)))
    wall = time.perf_counter() - start
    return np.array([t for t, _ in outcomes]), n / wall, Counter(s for _, s in outcomes if s not in ok)


@dataclass(frozen=True)
class Workload:
    name: str
    ok: set[int]
    request: Callable[[httpx.Client, int], httpx.Response]  # (client, request number) -> response
    counts: dict[int, int]  # concurrency -> requests per repeat
    both: bool = True  # also on the unbatched server


def workloads(run_id: str, tag: str, counts: dict[str, dict[int, int]], item: Callable[[], int]) -> list[Workload]:
    """Each miss draws a fresh dSprites item (or latent value) per request, never seen by either server."""
    url = f"/api/v1/runs/{run_id}/traversal.png?{TRAVERSAL}"
    decode = f"/api/v1/runs/{run_id}/decode.png?z="

    def miss(http: httpx.Client, _i: int) -> httpx.Response:
        return http.get(url + f"&base=item:{item()}")

    def decode_miss(http: httpx.Client, _i: int) -> httpx.Response:
        return http.get(decode + ",".join([f"{item() / DSPRITES_N:.7f}"] + ["0.5"] * 9))

    return [Workload("traversal hit (304)", {304}, lambda http, _i: http.get(
                url + "&base=item:0", headers={"If-None-Match": tag}), counts["hit"], both=False),
            Workload("traversal miss", {200}, miss, counts["miss"]),
            Workload("decode.png miss", {200}, decode_miss, counts["decode"])]


def run_all(clients: dict[str, httpx.Client], work: list[Workload], repeats: int) -> list[Result]:
    """Every workload at every concurrency, ``repeats`` times per server in ABBA order."""
    results = []
    for w in work:
        for c in CONCURRENCY:
            names = [name for name in clients if w.both or name == BATCHED]
            runs: dict[str, list[tuple[np.ndarray, float, Counter[int]]]] = {name: [] for name in names}
            for rep in range(repeats):
                for name in names if rep % 2 == 0 else names[::-1]:
                    runs[name].append(measure(c, w.counts[c], lambda i, h=clients[name], w=w: w.request(h, i), w.ok))
            for name, outs in runs.items():
                errors = sum((e for _, _, e in outs), Counter())
                results.append(Result(w.name + ("" if name == BATCHED else f", {name}"), c, w.counts[c],
                                      dict(errors), np.concatenate([t for t, _, _ in outs]),
                                      np.array([r for _, r, _ in outs])))
    return results


def first_traversal(http: httpx.Client, run_id: str) -> str:
    """Loads the model; returns the ETag of item 0's traversal."""
    first = http.get(f"/api/v1/runs/{run_id}/traversal.png?{TRAVERSAL}&base=item:0")
    if first.status_code != 200:
        raise SystemExit(f"traversal failed: {first.status_code} {first.text[:500]}")
    return first.headers["etag"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="FACTORSCOPE_HOME holding the run (default: a temp folder)")
    parser.add_argument("--run", default=RUN, help=f"run id of a dSprites run (default {RUN}, trained if missing)")
    parser.add_argument("--quick", action="store_true", help="a third of the requests")
    parser.add_argument("--repeats", type=int, default=4, help="runs of each workload per server (default 4)")
    args = parser.parse_args()
    scale = 1 / 3 if args.quick else 1.0
    counts = {"hit": {c: max(c, int(200 * scale * (1 + c / 8))) for c in CONCURRENCY},
              "miss": {c: max(c, int(n * scale)) for c, n in zip(CONCURRENCY, (12, 48, 128), strict=True)},
              "decode": {c: max(c, int(n * scale)) for c, n in zip(CONCURRENCY, (40, 120, 256), strict=True)}}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    with tempfile.TemporaryDirectory(prefix="factorscope-bench-") as tmp, ExitStack() as stack:
        home = (args.home or Path(tmp)).resolve()
        ensure_run(home, args.run)
        clients = {name: stack.enter_context(httpx.Client(base_url=stack.enter_context(server(home, max_batch)),
                                                          timeout=300, limits=limits))
                   for name, max_batch in ((BATCHED, None), (UNBATCHED, 1))}
        tag = [first_traversal(http, args.run) for http in clients.values()][-1]  # loads both; the tags agree
        # distinct base items across both servers: 7919 is prime to dSprites' 737,280 items; count() is
        # thread-safe (one C call under the GIL), a generator would not be
        drawn = itertools.count()

        def item() -> int:
            return (1 + 7919 * next(drawn)) % DSPRITES_N

        results = run_all(clients, workloads(args.run, tag, counts, item), args.repeats)
    report(results, args.repeats)


def report(results: list[Result], repeats: int) -> None:
    print(f"\ntraversal.png = 10 dims x 9 steps of 64x64 (90 decoded images per miss); loopback; "
          f"{os.cpu_count()} CPUs; {repeats} repeats per server in ABBA order "
          "(reqs: per repeat; req/s: median of the repeats)")
    print(f"| {'workload':<34} | conc |  reqs |  p50 ms  |  p95 ms  |  p99 ms  |   req/s  | err |")
    print(f"|{'-' * 36}|------|-------|----------|----------|----------|----------|-----|")
    for r in results:
        print(r.row())
    for r in results:
        if r.errors:
            print(f"  {r.workload} at concurrency {r.concurrency}: unexpected statuses {r.errors}")
    by_key = {(r.workload, r.concurrency): r for r in results}
    print(f"\nbatching ratio (median req/s with batching / with {UNBATCHED}; range of the paired repeats):")
    for workload in ("traversal miss", "decode.png miss"):
        for c in CONCURRENCY:
            on, off = by_key[(workload, c)], by_key[(f"{workload}, {UNBATCHED}", c)]
            pairs = on.rps / off.rps
            print(f"  {workload:<16} concurrency {c:>2}: {np.median(on.rps):7.2f} / {np.median(off.rps):7.2f} = "
                  f"{np.median(on.rps) / np.median(off.rps):.2f}x  ({pairs.min():.2f}-{pairs.max():.2f})")


if __name__ == "__main__":
    main()
