"""Overload: a storm of concurrent ``traversal.png`` misses against real ``factorscope serve`` (uvicorn) processes on
loopback, with admission control on (the default settings) and off (FACTORSCOPE_ADMISSION=false), in the same run.

Every request of the storm is sent at once (a bare asyncio HTTP/1.1 client, a connection each) and draws a
dSprites item that no earlier request used, so each is a miss: encode 1 item, decode 90 images, a PNG. Meanwhile
another process asks ``/health`` every ``--probe-ms`` on a connection of its own. Reported per server: the admitted
requests (200) and their latency percentiles, the 503s and how many carried Retry-After, any other status, and the
latency of the /health probes sent while the storm lasted.

    python bench/overload.py                  # trains a small conv VAE on dSprites (50 steps) in a temp home
    python bench/overload.py --requests 600 --home var --run demo-beta-tcvae-dsprites
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx
import numpy as np
from api_latency import DSPRITES_N, RUN, TRAVERSAL, ensure_run, first_traversal, server

SERVERS = {"admission off": {"FACTORSCOPE_ADMISSION": "false"}, "admission on": {}}  # env beyond the defaults


@dataclass(frozen=True)
class Storm:
    """One storm against one server."""

    latencies_s: np.ndarray  # every request, in order sent
    statuses: np.ndarray
    retry_after: int  # 503s that carried a Retry-After header
    health_s: np.ndarray  # /health latencies during the storm
    wall_s: float

    def row(self, name: str) -> str:
        ok, busy = self.statuses == 200, self.statuses == 503
        p50, p99 = (ms(np.percentile(self.latencies_s[ok], q)) if ok.any() else "-" for q in (50, 99))
        h50, h99 = (ms(np.percentile(self.health_s, q)) for q in (50, 99))
        others = Counter(int(s) for s in self.statuses if s not in (200, 503))
        return (f"| {name} | {ok.sum()} | {p50} | {p99} | {busy.sum()} ({busy.mean():.0%}) | {self.retry_after} | "
                f"{dict(others) or '-'} | {h50} | {h99} | {ms(self.health_s.max())} ({len(self.health_s)}) | "
                f"{self.wall_s:.1f} s |")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


@contextmanager
def environment(extra: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``extra`` set while the block runs (``server`` passes the environment on)."""
    before = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def fetch(host: str, port: int, target: str) -> tuple[int, bool]:
    """One GET on a connection of its own -> (status, whether it carried Retry-After). A bare HTTP/1.1 client: an
    httpx client costs the load generator several times more per request, and on 2 shared cores it, not the server,
    would set how fast the storm arrives."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    await reader.read()  # the body, to the server's close
    writer.close()
    status = int(head.split(b" ", 2)[1])
    return status, b"\r\nretry-after:" in head.lower()


async def storm(base: str, targets: list[str]) -> tuple[np.ndarray, np.ndarray, int, float, float]:
    """Every target requested at once -> (latencies s, statuses, 503s with Retry-After, start, end) (perf_counter:
    CLOCK_MONOTONIC, the same clock in every process)."""
    url = httpx.URL(base)
    host, port = url.host, url.port or 80

    async def one(target: str) -> tuple[float, int, bool]:
        start = time.perf_counter()
        status, retry_after = await fetch(host, port, target)
        return time.perf_counter() - start, status, retry_after

    start = time.perf_counter()
    outcomes = await asyncio.gather(*(one(t) for t in targets))
    return (np.array([t for t, _, _ in outcomes]), np.array([s for _, s, _ in outcomes]),
            sum(1 for _, s, r in outcomes if s == 503 and r), start, time.perf_counter())


def probe(base: str, pause_s: float, stop: EventType, out: Connection) -> None:
    """In a process of its own (so the storm's client never delays it): /health every ``pause_s`` on one kept-alive
    connection until ``stop``; sends each probe's (start, latency s) to ``out``."""
    latencies = []
    with httpx.Client(base_url=base, timeout=600) as http:
        http.get("/api/v1/health")  # the connection is open before the storm
        while not stop.is_set():
            start = time.perf_counter()
            if http.get("/api/v1/health").status_code != 200:
                raise SystemExit("/health did not answer 200")
            latencies.append((start, time.perf_counter() - start))
            time.sleep(pause_s)
    out.send(latencies)


def measure(base: str, run_id: str, n: int, items: Iterator[int], probe_s: float) -> Storm:
    """``n`` traversal misses at once against ``base`` while another process probes /health."""
    targets = [f"/api/v1/runs/{run_id}/traversal.png?{TRAVERSAL}&base=item:{next(items)}" for _ in range(n)]
    spawn = multiprocessing.get_context("spawn")
    stop, (receive, send) = spawn.Event(), spawn.Pipe(duplex=False)
    prober = spawn.Process(target=probe, args=(base, probe_s, stop, send))
    prober.start()
    time.sleep(2.0)  # the prober is up and probing
    latencies, statuses, retry_after, start, end = asyncio.run(storm(base, targets))
    stop.set()
    health = [latency for sent, latency in receive.recv() if start <= sent <= end]
    prober.join()
    return Storm(latencies, statuses, retry_after, np.array(health), end - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="FACTORSCOPE_HOME holding the run (default: a temp folder)")
    parser.add_argument("--run", default=RUN, help=f"run id of a dSprites run (default {RUN}, trained if missing)")
    parser.add_argument("--requests", type=int, default=600, help="requests in one storm (default 600)")
    parser.add_argument("--probe-ms", type=float, default=20.0, help="pause between /health probes (default 20)")
    args = parser.parse_args()
    # distinct items across both servers: 7919 is prime to dSprites' 737,280
    items = ((1 + 7919 * i) % DSPRITES_N for i in itertools.count())
    results: dict[str, Storm] = {}
    with tempfile.TemporaryDirectory(prefix="factorscope-bench-") as tmp:
        home = (args.home or Path(tmp)).resolve()
        ensure_run(home, args.run)
        for name, extra in SERVERS.items():
            with environment(extra), server(home, None) as base:
                with httpx.Client(base_url=base, timeout=300) as http:
                    first_traversal(http, args.run)  # the model is loaded before the storm
                print(f"{name}: {args.requests} concurrent traversal misses ...", flush=True)
                results[name] = measure(base, args.run, args.requests, items, args.probe_ms / 1000)
    report(results, args.requests)


def report(results: dict[str, Storm], n: int) -> None:
    print(f"\n{n} concurrent traversal.png misses (10 dims x 9 steps of 64x64); loopback; {os.cpu_count()} CPUs")
    print("| server | admitted (200) | p50 admitted | p99 admitted | 503 | with Retry-After | other | "
          "/health p50 | /health p99 | /health max (probes) | storm wall |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, result in results.items():
        print(result.row(name))


if __name__ == "__main__":
    main()
