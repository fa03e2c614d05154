"""``factorscope demo`` as a user runs it: API, worker and dashboard on loopback, the URL printed (and the links of
the demo lens and its labelling session that ``factorscope prepare`` opened), one Ctrl-C stops all three cleanly; a
taken port is refused with a message."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from test_api_serve import ROOT, RUN, free_port
from test_cli_prepare import TINY, TINY_LENS

from backend import cli_prepare
from backend.config import get_settings
from backend.demo_runs import DEMO_LENS, DemoRun
from backend.jobs import JobStore
from backend.jobs.liveness import live_workers


def demo(home: Path, api_port: int, ui_port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_API_PORT": str(api_port),
           "FACTORSCOPE_UI_PORT": str(ui_port), "FACTORSCOPE_DATABASE_URL": f"sqlite:///{home}/demo-jobs.db"}
    return subprocess.Popen([sys.executable, "-m", "backend.cli", "demo"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_line(proc: subprocess.Popen[str], text: str, timeout_s: float = 120.0) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line or proc.poll() is None, "".join(lines)
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"no {text!r} within {timeout_s} s:\n{''.join(lines)}")


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def worker_pid(home: Path) -> int:
    """The pid of the one live worker on ``home``'s demo jobs database, once its two slots have signed in (as
    ``host:pid/0`` and ``host:pid/1``: the demo runs a small job beside its long training)."""
    store = JobStore(f"sqlite:///{home}/demo-jobs.db")
    try:
        deadline = time.monotonic() + 60
        while len(slots := sorted(live_workers(store))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        store.close()
    assert [slot.rpartition("/")[2] for slot in slots] == ["0", "1"], slots
    [pid] = {int(slot.rpartition(":")[2].partition("/")[0]) for slot in slots}
    return pid


@pytest.fixture
def demo_home(trained_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shared tiny run, with what ``factorscope prepare`` makes under the demo's own ids (a tiny
    ``demo-vae-digits``, the demo lens on it, a labelling session) in the jobs database ``demo`` uses."""
    home = tmp_path / "home"
    shutil.copytree(trained_home / "runs", home / "runs")
    monkeypatch.setenv("FACTORSCOPE_HOME", str(home))
    monkeypatch.setenv("FACTORSCOPE_DATABASE_URL", f"sqlite:///{home}/demo-jobs.db")
    base = DemoRun(DEMO_LENS.base_run, "vae", "digits", {"latent_dim": 2, "hidden": [16]}, TINY)
    monkeypatch.setattr(cli_prepare, "DEMO_RUNS", (base,))
    monkeypatch.setattr(cli_prepare, "DEMO_LENS", replace(DEMO_LENS, lens=TINY_LENS, n_labels=50))
    get_settings.cache_clear()
    try:
        assert cli_prepare.run_prepare(argparse.Namespace(foreground=False, train_fresh=False)) == 0
    finally:
        get_settings.cache_clear()
    return home


def test_demo_serves_everything_and_one_sigint_stops_it_cleanly(demo_home: Path) -> None:
    api, ui = free_port(), free_port()
    proc = demo(demo_home, api, ui)
    try:
        lines = "".join(wait_for_line(proc, "Ctrl-C stops it."))
        assert f"factorscope is running: open http://127.0.0.1:{ui}/" in lines
        assert f"the demo lens: http://127.0.0.1:{ui}/lens?run={DEMO_LENS.base_run}&lens={DEMO_LENS.lens_id}" in lines
        [session] = re.findall(rf"label it: http://127\.0\.0\.1:{ui}/label\?session=([0-9a-f]+)", lines)
        answer = httpx.get(f"http://127.0.0.1:{api}/api/v1/label-sessions/{session}", timeout=10).json()
        assert (answer["lens_id"], answer["state"], answer["strategy"]) == (DEMO_LENS.lens_id, "open", "bald")
        assert httpx.get(f"http://127.0.0.1:{api}/api/v1/ready", timeout=10).json()["status"] == "ready"
        for page in (f"/explore?run={RUN}", f"/label?session={session}", f"/lens?run={DEMO_LENS.base_run}"):
            assert httpx.get(f"http://127.0.0.1:{ui}{page}", timeout=10).status_code == 200, page
        worker = worker_pid(demo_home)
        os.kill(worker, signal.SIGKILL)  # one child dies: the demo starts it again, the other two run on
        wait_for_line(proc, f"the worker (pid {worker}) exited with code -9; restarting it (1 of 3)")
        assert httpx.get(f"http://127.0.0.1:{api}/api/v1/health", timeout=10).status_code == 200
        taken = demo(demo_home, api, ui)
        out, _ = taken.communicate(timeout=60)
        assert taken.returncode == 2 and "already in use" in out and "Traceback" not in out
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole foreground group
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest and "worker" in rest and "stopped" in rest
    assert not listening(api) and not listening(ui)
