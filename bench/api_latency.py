"""Latency and throughput of ``traversal.png`` (10 dims x 9 steps of 64x64 dSprites images) over loopback,
against a real ``factorscope serve`` (uvicorn) subprocess.

Workloads, each at concurrency 1, 8 and 32 (threads sharing one httpx client, a bounded number of requests):
  traversal hit    the same URL with If-None-Match: 304 from the ETag, no model work
  traversal miss   a distinct base item per request: encode 1 item, decode 90 latent vectors, PNG, every time
  decode.png miss  one distinct latent vector per request (the dashboard's slider playground)
The misses run again on a server restarted with FACTORSCOPE_INFERENCE_MAX_BATCH=1 (requests never share a
forward pass), and the batched / unbatched req/s ratio is printed.

    python bench/api_latency.py                     # trains a small conv VAE on dSprites (50 steps) in a temp home
    python bench/api_latency.py --home var --run demo-beta-tcvae-dsprites
    python bench/api_latency.py --quick             # fewer requests
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUN = "bench-dsprites"
CONCURRENCY = (1, 8, 32)
TRAVERSAL = "dims=0,1,2,3,4,5,6,7,8,9&steps=9&span=2.5"
DSPRITES_N = 737_280


@dataclass(frozen=True)
class Result:
    workload: str
    concurrency: int
    requests: int
    errors: dict[int, int]  # unexpected status -> count
    latencies_s: np.ndarray
    wall_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s

    def row(self) -> str:
        p50, p95, p99 = (np.percentile(self.latencies_s, q) * 1000 for q in (50, 95, 99))
        return (f"| {self.workload:<34} | {self.concurrency:>4} | {self.requests:>5} | {p50:>8.1f} | {p95:>8.1f} | "
                f"{p99:>8.1f} | {self.rps:>8.1f} | {sum(self.errors.values()):>3} |")


def ensure_run(home: Path, run_id: str) -> None:
    """Train a small conv VAE on dSprites for 50 steps unless ``run_id`` already has weights."""
    from models.checkpoint import CONFIG_FILE, read_json
    from models.runs import create_run, run_dir, train_run
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
           "FACTORSCOPE_DATABASE_URL": f"sqlite:///{home}/bench-jobs.db"}
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


def measure(workload: str, concurrency: int, n: int, call: Callable[[int], httpx.Response],
            ok: set[int]) -> Result:
    """``n`` calls ``call(i)`` from ``concurrency`` threads; per-request latency and overall wall time."""

    def timed(i: int) -> tuple[float, int]:
        start = time.perf_counter()
        response = call(i)
        return time.perf_counter() - start, response.status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(timed, range(n)))
    wall = time.perf_counter() - start
    errors = Counter(status for _, status in outcomes if status not in ok)
    return Result(workload, concurrency, n, dict(errors), np.array([t for t, _ in outcomes]), wall)


def run_workloads(base: str, run_id: str, label: str, hits: bool, counts: dict[str, dict[int, int]],
                  items: Iterator[int]) -> list[Result]:
    results = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    with httpx.Client(base_url=base, timeout=300, limits=limits) as http:
        url = f"/api/v1/runs/{run_id}/traversal.png?{TRAVERSAL}"
        first = http.get(url + "&base=item:0")  # loads the model
        if first.status_code != 200:
            raise SystemExit(f"traversal failed: {first.status_code} {first.text[:500]}")
        tag = first.headers["etag"]
        for c in CONCURRENCY:
            if hits:
                results.append(measure("traversal hit (304)", c, counts["hit"][c], lambda _i: http.get(
                    url + "&base=item:0", headers={"If-None-Match": tag}), {304}))
            chosen = [next(items) for _ in range(counts["miss"][c])]
            results.append(measure(f"traversal miss{label}", c, len(chosen),
                                   lambda i, chosen=chosen: http.get(url + f"&base=item:{chosen[i]}"), {200}))
        decode = f"/api/v1/runs/{run_id}/decode.png?z="
        for c in CONCURRENCY:
            start = next(items)
            results.append(measure(f"decode.png miss{label}", c, counts["decode"][c], lambda i, start=start: http.get(
                decode + ",".join([f"{(start + i) / DSPRITES_N:.7f}"] + ["0.5"] * 9)), {200}))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="FACTORSCOPE_HOME holding the run (default: a temp folder)")
    parser.add_argument("--run", default=RUN, help=f"run id of a dSprites run (default {RUN}, trained if missing)")
    parser.add_argument("--quick", action="store_true", help="a third of the requests")
    args = parser.parse_args()
    scale = 1 / 3 if args.quick else 1.0
    counts = {"hit": {c: max(c, int(200 * scale * (1 + c / 8))) for c in CONCURRENCY},
              "miss": {c: max(c, int(n * scale)) for c, n in zip(CONCURRENCY, (12, 48, 96), strict=True)},
              "decode": {c: max(c, int(n * scale)) for c, n in zip(CONCURRENCY, (60, 160, 320), strict=True)}}
    with tempfile.TemporaryDirectory(prefix="factorscope-bench-") as tmp:
        home = (args.home or Path(tmp)).resolve()
        ensure_run(home, args.run)
        # distinct base items across both servers: 7919 is prime to dSprites' 737,280 items
        items = ((1 + 7919 * i) % DSPRITES_N for i in itertools.count())
        with server(home, None) as base:
            batched = run_workloads(base, args.run, "", True, counts, items)
        with server(home, 1) as base:
            unbatched = run_workloads(base, args.run, ", max_batch=1", False, counts, items)
    report(batched + unbatched)


def report(results: list[Result]) -> None:
    print(f"\ntraversal.png = 10 dims x 9 steps of 64x64 (90 decoded images per miss); loopback; {os.cpu_count()} CPUs")
    print(f"| {'workload':<34} | conc |  reqs |  p50 ms  |  p95 ms  |  p99 ms  |   req/s  | err |")
    print(f"|{'-' * 36}|------|-------|----------|----------|----------|----------|-----|")
    for r in results:
        print(r.row())
    for r in results:
        if r.errors:
            print(f"  {r.workload} at concurrency {r.concurrency}: unexpected statuses {r.errors}")
    by_key = {(r.workload, r.concurrency): r for r in results}
    print("\nbatching ratio (req/s with batching / with max_batch=1):")
    for workload in ("traversal miss", "decode.png miss"):
        for c in CONCURRENCY:
            on, off = by_key[(workload, c)], by_key[(f"{workload}, max_batch=1", c)]
            print(f"  {workload:<16} concurrency {c:>2}: {on.rps:7.2f} / {off.rps:7.2f} = {on.rps / off.rps:.2f}x")


if __name__ == "__main__":
    main()
