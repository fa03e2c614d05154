"""The real stack for browser tests and bench/ui_load.py: tiny trained runs in a temporary
FACTORSCOPE_HOME, the API (uvicorn), the job worker and the dashboard, each its own process on a free
loopback port, and headless Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
RUN = "tiny"
K = 4
GROUPED_RUN = "grouped"
GROUPED_K = 8  # bars: 8 groups (its rows) of 8 pixels


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_tiny_run(home: Path, run_id: str = RUN) -> None:
    """vae on digits, K = 4, one hidden layer of 32, 100 steps (a few seconds on a CPU)."""
    from backend.runs import create_run, train_run
    from models.training import TrainConfig

    train = TrainConfig(steps=100, eval_every=50, checkpoint_every=0, seed=0, device="cpu")
    create_run(home, "vae", {"latent_dim": K, "hidden": [32]}, "digits", train, run_id=run_id)
    train_run(home, run_id)


def make_tiny_grouped_run(home: Path, run_id: str = GROUPED_RUN) -> None:
    """oi_vae on bars, K = 8, 300 steps with the group-lasso prox from step 100, so some latent-to-group
    links are pruned to exactly zero (about 15 s on a CPU)."""
    from backend.runs import create_run, train_run
    from models.training import TrainConfig

    train = TrainConfig(steps=300, lr=1e-2, eval_every=150, checkpoint_every=0, seed=0, device="cpu")
    config = {"latent_dim": GROUPED_K, "hidden": [32], "generator_hidden": [], "lam": 4.0, "w_lr": 3e-4,
              "w_init_std": 0.3, "prox_warmup": 100}
    create_run(home, "oi_vae", config, "bars", train, run_id=run_id)
    train_run(home, run_id)


@dataclass
class Stack:
    home: Path
    api_url: str
    ui_url: str
    logs: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def wait_http(url: str, proc: subprocess.Popen, what: str, logs: Path, timeout_s: float = 180.0) -> None:
    """Poll ``url`` until it answers 200; a loaded 2-core machine can take a minute to import torch in each of the
    three processes starting at once."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (logs / f"{what}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{what} exited with {proc.returncode} before answering {url}:\n{log}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer {url} within {timeout_s:.0f} s")


def stop(proc: subprocess.Popen, timeout_s: float = 15.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running_stack(home: Path, logs: Path, worker: bool = True) -> Iterator[Stack]:
    """API + (worker) + dashboard on ``home``; everything stops (SIGINT, then SIGKILL) on exit."""
    logs.mkdir(parents=True, exist_ok=True)
    api_port, ui_port = free_port(), free_port()
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_DATABASE_URL": f"sqlite:///{home}/jobs.db",
           "FACTORSCOPE_WORKER_POLL_S": "0.2", "FACTORSCOPE_DEVICE": "cpu",
           "FACTORSCOPE_BACKEND_URL": f"http://127.0.0.1:{api_port}", "FACTORSCOPE_UI_PORT": str(ui_port),
           "FACTORSCOPE_UI_HOST": "127.0.0.1", "FACTORSCOPE_POLL_MS": "300",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    env.pop("FACTORSCOPE_PUBLIC_BACKEND_URL", None)
    stack = Stack(home, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}", logs)
    with ExitStack() as cleanup:
        def spawn(name: str, argv: list[str]) -> subprocess.Popen:
            log = cleanup.enter_context((logs / f"{name}.log").open("w"))
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            cleanup.callback(stop, proc)
            stack.procs[name] = proc
            return proc

        api = spawn("api", [sys.executable, "-m", "uvicorn", "backend.main:create_app", "--factory",
                            "--host", "127.0.0.1", "--port", str(api_port), "--log-level", "warning"])
        if worker:
            from backend.jobs.process import start_worker_process

            log = cleanup.enter_context((logs / "worker.log").open("w"))
            proc = start_worker_process(env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            cleanup.callback(stop, proc)
            stack.procs["worker"] = proc
        ui = spawn("ui", [sys.executable, "-m", "frontend"])
        wait_http(f"{stack.api_url}/api/v1/health", api, "api", logs)
        wait_http(f"{stack.ui_url}/", ui, "ui", logs)
        yield stack


def train_through_worker(stack: Stack, body: dict[str, Any], limit_s: float = 1200.0) -> str:
    """POST /runs with ``body`` and wait (at most ``limit_s``) until the stack's worker has trained it: its id."""
    answer = httpx.post(f"{stack.api_url}/api/v1/runs", json=body, timeout=30)
    assert answer.status_code == 202, answer.text
    job_url = f"{stack.api_url}/api/v1/jobs/{answer.json()['job_id']}"
    deadline = time.monotonic() + limit_s
    while (job := httpx.get(job_url, timeout=10).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"not trained in {limit_s:.0f} s: {job}\n{stack.log_tail('worker')}"
        time.sleep(1)
    assert job["state"] == "succeeded", f"{job}\n{stack.log_tail('worker')}"
    return str(answer.json()["run_id"])


def launch_browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
