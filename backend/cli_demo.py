"""``factorscope demo``: start the API, the job worker and the dashboard on localhost, print the URL (and the links
of the demo lens and its labelling session), restart any of the three that exits (``supervise``: a log line each
time, at most MAX_RESTARTS times each), and stop all three with Ctrl-C. (``factorscope prepare`` makes the default
runs, the lens and the session first.)"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from .cli_serve import port_in_use
from .config import get_settings
from .demo_lens import label_path, lens_path
from .demo_runs import DEMO_LENS, DemoLens
from .jobs.process import ROOT, start_worker_process, stop_worker_process

MAX_RESTARTS = 3  # how often one child is restarted before the demo gives up and stops all three
DEMO_SLOTS = 2  # the worker's slots at least: a small run starts beside the demo's long trainings, never behind them
POLL_S = 0.5


@dataclass
class Child:
    """One supervised process: its name for the log, how to start it, and the process now running."""

    name: str
    start: Callable[[], subprocess.Popen]
    proc: subprocess.Popen | None = None
    restarts: int = 0

    def running(self) -> subprocess.Popen:
        self.proc = self.proc or self.start()
        return self.proc


def supervise(children: list[Child], stop: threading.Event, max_restarts: int = MAX_RESTARTS,
              every_s: float = POLL_S) -> int:
    """Restart every child that exits, with a line on stderr each time, until ``stop`` is set (then 0); 1 once a
    child exited more than ``max_restarts`` times (it keeps failing: the demo stops)."""
    while not stop.is_set():
        for child in children:
            code = child.running().poll()
            if code is None:
                continue
            if child.restarts >= max_restarts:
                print(f"factorscope demo: the {child.name} exited with code {code} after {child.restarts} restarts; "
                      "stopping (its messages are above)", file=sys.stderr, flush=True)
                return 1
            child.restarts += 1
            print(f"factorscope demo: the {child.name} (pid {child.running().pid}) exited with code {code}; "
                  f"restarting it ({child.restarts} of {max_restarts})", file=sys.stderr, flush=True)
            child.proc = child.start()
        time.sleep(every_s)
    return 0


def add_demo_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="start API + worker + dashboard on 127.0.0.1 and print the URL")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the servers to answer")
    p.set_defaults(handler=run_demo)


def _python(module: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, *([] if module == "frontend" else ["serve"])],
                            env=env, cwd=ROOT, start_new_session=True)


def _wait_for(url: str, procs: list[subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a server exited during start-up (its message is above)")
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def demo_lens_links(api: str, ui: str, demo: DemoLens) -> list[str]:
    """The Lens page and each open labelling session on the demo lens, as lines to print (none before
    ``factorscope prepare`` has made it)."""
    try:
        answer = httpx.get(f"{api}/api/v1/label-sessions", params={"run_id": demo.base_run, "state": "open"},
                           timeout=30)
    except httpx.TransportError as err:
        return [f"(labelling sessions not listed: GET /api/v1/label-sessions failed: {err})"]
    if answer.status_code != 200:
        return [f"(labelling sessions not listed: GET /api/v1/label-sessions answered {answer.status_code})"]
    sessions = [s["id"] for s in answer.json()["sessions"] if s["lens_id"] == demo.lens_id]
    return [f"the demo lens: {ui}{lens_path(demo)}", *(f"label it: {ui}{label_path(s)}" for s in sessions)] \
        if sessions else []


def run_demo(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background (SIG_IGN)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    s = get_settings()
    busy = [p for p in (s.api_port, s.ui_port) if port_in_use("127.0.0.1", p)]
    if busy:
        print(f"factorscope demo: port(s) {busy} on 127.0.0.1 already in use; stop what listens there or set "
              "FACTORSCOPE_API_PORT / FACTORSCOPE_UI_PORT to free ports", file=sys.stderr)
        return 2
    env = {**os.environ, "FACTORSCOPE_HOME": str(s.home.resolve()),
           "FACTORSCOPE_BACKEND_URL": f"http://127.0.0.1:{s.api_port}"}
    worker_env = {**env, "FACTORSCOPE_WORKER_SLOTS": str(max(s.worker_slots, DEMO_SLOTS))}
    # Own sessions: Ctrl-C reaches only this process, which then stops each child with exactly one SIGINT
    # (a second one makes uvicorn quit with a traceback, and the worker drop its job without a checkpoint).
    api, worker, ui = children = [Child("API", lambda: _python("backend.cli", env)),
                                  Child("worker", lambda: start_worker_process(worker_env, start_new_session=True)),
                                  Child("dashboard", lambda: _python("frontend", env))]
    procs = [child.running() for child in children]
    try:
        _wait_for(f"http://127.0.0.1:{s.api_port}/api/v1/health", procs, args.timeout)
        _wait_for(f"http://127.0.0.1:{s.ui_port}/", procs, args.timeout)
        print(f"\nfactorscope is running: open http://127.0.0.1:{s.ui_port}/  (API http://127.0.0.1:{s.api_port}/docs)",
              *demo_lens_links(f"http://127.0.0.1:{s.api_port}", f"http://127.0.0.1:{s.ui_port}", DEMO_LENS),
              "Ctrl-C stops it.", sep="\n", flush=True)
        return supervise(children, threading.Event())  # until Ctrl-C
    except KeyboardInterrupt:
        return 0
    except RuntimeError as err:
        print(f"factorscope demo: {err}", file=sys.stderr)
        return 1
    finally:
        for p in (api.running(), ui.running()):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        stop_worker_process(worker.running())  # one SIGINT: its job goes back to the queue with its checkpoint
        for child in children:
            try:
                child.running().wait(20)
            except subprocess.TimeoutExpired:
                child.running().kill()
