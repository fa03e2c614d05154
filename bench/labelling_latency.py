"""Latency of the labelling loop (issue 17) against a real ``factorscope serve`` and ``factorscope worker`` on
loopback: ``GET .../next`` and ``POST .../labels`` (each with a fresh Idempotency-Key), answered by a simulated
labeller with the dataset's ground truth, once with the worker idle and once while the session's ``lens_fit``
refit runs in it; then the time from the refit's new lens version to ``next`` serving that version's ranking.

A session's pool is the whole base dataset (items 0..n_items-1, less its held-out items), so a pool of at least
50,000 items needs a dataset that big: ``dsprites`` (737,280 items; no other dataset has 50,000) under a small MLP
VAE, with a tiny FILVM lens on ``shape``. Every labelling step is timed next to a ``GET /health`` sent just before
it (the floor: loopback, HTTP and the event loop with no database or ranking work). Because the pool is 14.7x the
50,000 the issue names, the pool's re-scoring is also timed in this process on the first 50,000 items, with the lens's
last version and the API's cached representation (the same ``rank_pool`` the job and the API run).

    python bench/labelling_latency.py            # dsprites, 300 labels idle + up to 300 during the refit
    python bench/labelling_latency.py --quick    # digits (1,797 items), 20 + 20 labels: a smoke run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
from api_latency import ROOT, free_port, wait_healthy

API = "/api/v1"
RUN, LENS = "bench-base", "bench-lens"
T = TypeVar("T")
POLL_S = 0.05  # the watcher's polling interval (the resolution of the re-score time)


@dataclass(frozen=True)
class Setup:
    """The dataset, the attribute labelled, and how much work each phase does."""

    dataset: str
    attribute: str
    labels: int  # per phase; also the session's refit_every, so the last idle label queues the refit
    lens_steps: int  # Adam steps of the lens fit and of each refit


FULL = Setup("dsprites", "shape", 300, 300)
QUICK = Setup("digits", "label", 20, 100)


@dataclass
class Phase:
    """Latencies (s) of one phase: each step's /health floor, next and POST label."""

    name: str
    health: list[float] = field(default_factory=list)
    next: list[float] = field(default_factory=list)
    post: list[float] = field(default_factory=list)


def make_base(home: Path, setup: Setup) -> None:
    """A small MLP VAE (4 latent dims) on the dataset, trained 50 steps in this process."""
    from backend.runs import create_run, train_run
    from models.training import TrainConfig

    train = TrainConfig(steps=50, batch_size=64, eval_every=50, log_every=10, max_val_items=256, checkpoint_every=0)
    create_run(home, "vae", {"latent_dim": 4, "hidden": [32], "architecture": "mlp"}, setup.dataset, train,
               run_id=RUN)
    start = time.perf_counter()
    train_run(home, RUN)
    print(f"base run: MLP VAE on {setup.dataset}, 50 steps, {time.perf_counter() - start:.0f} s", flush=True)


@contextmanager
def stack(home: Path) -> Iterator[str]:
    """``factorscope serve`` and ``factorscope worker`` on one SQLite database; yields the API's base URL."""
    port = free_port()
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_API_PORT": str(port),
           "FACTORSCOPE_DATABASE_URL": f"sqlite:///{home}/bench-jobs.db"}
    logs = [(home / f"bench-{name}.log").open("w") for name in ("server", "worker")]
    procs = [subprocess.Popen([sys.executable, "-m", "backend.cli", *command], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
             for command, log in ((["serve", "--log-level", "warning"], logs[0]), (["worker"], logs[1]))]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, procs[0], logs[0].name)
        yield base
    finally:
        for proc in procs:
            proc.send_signal(2)  # SIGINT: both stop cleanly
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


def ok(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in (statuses or (200,)):
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.status_code} "
                         f"{response.text[:1000]}")
    return response.json()


def wait_job(http: httpx.Client, job_id: str, states: set[str], timeout_s: float = 3600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = ok(http.get(f"{API}/jobs/{job_id}"))
        if job["state"] in states:
            return job
        if job["state"] in {"failed", "cancelled"}:
            raise SystemExit(f"job {job_id} {job['state']}: {job.get('error')}")
        time.sleep(POLL_S)
    raise SystemExit(f"job {job_id} did not reach {states} in {timeout_s:.0f} s")


def make_lens(http: httpx.Client, setup: Setup) -> None:
    """A tiny FILVM lens (k = 2, T = 2, one hidden layer of 16) on 200 oracle labels, fitted by the worker."""
    body = {"lens_id": LENS, "variant": "filvm", "k": 2, "T": 2, "attributes": [setup.attribute],
            "labels": {"oracle": {"n": 200, "seed": 0}}, "hidden": [16], "max_items": 5000,
            "fit": {"steps": setup.lens_steps, "batch_size": 64, "lr": 0.003}}
    start = time.perf_counter()
    job = ok(http.post(f"{API}/runs/{RUN}/lenses", json=body), 202)
    wait_job(http, job["job_id"], {"succeeded"})
    print(f"lens fitted in {time.perf_counter() - start:.0f} s", flush=True)


class Labeller:
    """One simulated labeller: ``next``, then the item's ground truth POSTed with a fresh Idempotency-Key."""

    def __init__(self, http: httpx.Client, sid: str, truth: Any) -> None:
        self.http, self.sid, self.truth, self.given = http, sid, truth, 0

    def step(self, phase: Phase) -> dict[str, Any]:
        """One health probe, one next, one label; the latencies go to ``phase``; returns the label."""
        phase.health.append(timed(lambda: ok(self.http.get(f"{API}/health")))[0])
        took, got = timed(lambda: ok(self.http.get(f"{API}/label-sessions/{self.sid}/next",
                                                   params={"labeller": "sim"})))
        phase.next.append(took)
        if got["item"] is None:
            raise SystemExit(f"the queue ran dry after {self.given} labels")
        body = {"item": got["item"], "value": int(self.truth(got["item"])), "labeller": "sim"}
        took, label = timed(lambda: ok(self.http.post(
            f"{API}/label-sessions/{self.sid}/labels", json=body,
            headers={"Idempotency-Key": f"bench-{self.given}"}), 201))
        phase.post.append(took)
        self.given += 1
        return label


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """(seconds ``call`` took, what it returned)."""
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


class Watcher(threading.Thread):
    """Polls, on its own connection, the lens's version and then the session's ``lens_version`` (the version whose
    ranking ``next`` serves to a labeller without a lease): records when the lens's version first changed and when
    the queue first served a newer ranking (perf_counter seconds)."""

    def __init__(self, base: str, sid: str, before: str) -> None:
        super().__init__(daemon=True)
        self.base, self.sid, self.before = base, sid, before
        self.fitted_at: float | None = None
        self.switched_at: float | None = None
        self.version: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=300) as http:
            while not self.stop.is_set() and self.switched_at is None:
                if self.fitted_at is None:
                    version = ok(http.get(f"{API}/runs/{RUN}/lenses/{LENS}"))["version"]
                    if version != self.before:
                        self.fitted_at, self.version = time.perf_counter(), version
                elif ok(http.get(f"{API}/label-sessions/{self.sid}"))["lens_version"] != self.before:
                    self.switched_at = time.perf_counter()
                time.sleep(POLL_S)


def label_phases(base: str, setup: Setup) -> tuple[Phase, Phase, Watcher, float]:
    """The session, then the idle phase (its last label queues the refit), then labels while the refit job runs
    (at most ``labels - 1``, so that no second refit is queued).
    Returns both phases, the watcher, and the time the session's first ``next`` took (its first ranking)."""
    from models import get_dataset

    dataset = get_dataset(setup.dataset)

    def truth(item: int) -> Any:
        return dataset.attribute_values(setup.attribute, np.array([item]))[0]

    with httpx.Client(base_url=base, timeout=3600) as http:
        make_lens(http, setup)
        before = ok(http.get(f"{API}/runs/{RUN}/lenses/{LENS}"))["version"]
        sid = ok(http.post(f"{API}/label-sessions", json={
            "run_id": RUN, "lens_id": LENS, "attributes": [setup.attribute], "refit_every": setup.labels}), 201)["id"]
        first, got = timed(lambda: ok(http.get(f"{API}/label-sessions/{sid}/next", params={"labeller": "sim"})))
        print(f"session {sid}: pool {got['pool']} items; first next (ranks the pool) {first:.1f} s", flush=True)
        labeller, idle, busy = Labeller(http, sid, truth), Phase("idle"), Phase("refit running")
        for _ in range(setup.labels):
            labeller.step(idle)
        refit = ok(http.get(f"{API}/label-sessions/{sid}"))["refit"]
        if refit["job_id"] is None:
            raise SystemExit(f"no refit was queued after {setup.labels} labels: {refit}")
        watcher = Watcher(base, sid, before)
        wait_job(http, refit["job_id"], {"running", "succeeded"})
        watcher.start()
        while len(busy.next) < setup.labels - 1 and ok(http.get(f"{API}/jobs/{refit['job_id']}"))["state"] == "running":
            labeller.step(busy)
        wait_job(http, refit["job_id"], {"succeeded"})
        watcher.join(timeout=600)
        watcher.stop.set()
    return idle, busy, watcher, first


def rescore_in_process(home: Path, setup: Setup, n: int) -> tuple[int, float, float]:
    """``rank_pool`` (BALD, M = 20, the session's head) with the lens's current version over the first ``n`` items
    of the API's cached representation (all of them, if fewer) -> (items, wall s, CPU s of this process)."""
    import torch

    from backend.labelling.ranking import rank_pool
    from backend.labelling.ranking_files import cached_representation
    from backend.lenses.create import lens_of
    from backend.lenses.fit import lens_model
    from backend.runs import record_of, run_dir
    from models import CONFIG_FILE, read_json

    folder = run_dir(home, LENS)
    header = read_json(folder / CONFIG_FILE)
    record = record_of(header)
    assert record.parent is not None and record.version is not None
    lens = lens_of(lens_model(home, folder, header, torch.device("cpu")).eval())
    z = torch.from_numpy(cached_representation(folder, record.parent.version, lambda: _missing(folder)))
    wall, cpu = time.perf_counter(), time.process_time()
    rank_pool(lens, z[:n], setup.attribute, "bald", record.version, head=setup.labels)
    return min(n, z.shape[0]), time.perf_counter() - wall, time.process_time() - cpu


def _missing(folder: Path) -> np.ndarray:
    raise SystemExit(f"the API left no cached representation in {folder}")


def ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q) * 1000)


def report(setup: Setup, phases: tuple[Phase, Phase], watcher: Watcher, first: float,
           rescore: tuple[int, float, float], load: tuple[float, float]) -> None:
    print(f"\n{setup.dataset}, attribute {setup.attribute!r}; {os.cpu_count()} CPUs; load average (1 min) "
          f"{load[0]:.1f} before, {load[1]:.1f} after")
    print("| phase | steps | /health p50 / p90 ms | next p50 / p90 ms | POST label p50 / p90 ms | next / health p50 |")
    print("|---|---|---|---|---|---|")
    for p in phases:
        if not p.next:
            print(f"| {p.name} | 0 | - | - | - | - |")
            continue
        print(f"| {p.name} | {len(p.next)} | {ms(p.health, 50):.1f} / {ms(p.health, 90):.1f} | "
              f"{ms(p.next, 50):.1f} / {ms(p.next, 90):.1f} | {ms(p.post, 50):.1f} / {ms(p.post, 90):.1f} | "
              f"{np.median(p.next) / np.median(p.health):.1f}x |")
    if watcher.fitted_at is None or watcher.switched_at is None:
        print("re-score: the new version or its ranking was not seen")
    else:
        print(f"re-score: new lens version {watcher.version} -> next serves it: "
              f"{watcher.switched_at - watcher.fitted_at:.2f} s (polled every {POLL_S * 1000:.0f} ms)")
    print(f"first ranking of the pool (the session's first next): {first:.1f} s")
    n, wall, cpu = rescore
    print(f"rank_pool in process, {n} items: {wall:.2f} s wall, {cpu:.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="digits and 20 labels a phase: a smoke run")
    parser.add_argument("--home", type=Path, help="an empty FACTORSCOPE_HOME to work in (default: a temp folder)")
    args = parser.parse_args()
    setup = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="factorscope-label-bench-") as tmp:
        home = (args.home or Path(tmp)).resolve()
        make_base(home, setup)
        load_before = os.getloadavg()[0]
        with stack(home) as base:
            idle, busy, watcher, first = label_phases(base, setup)
        load_after = os.getloadavg()[0]
        rescore = rescore_in_process(home, setup, 50_000)
    report(setup, (idle, busy), watcher, first, rescore, (load_before, load_after))


if __name__ == "__main__":
    main()
