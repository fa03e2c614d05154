"""``factorscope demo`` as a user runs it: API, worker and dashboard on loopback, the URL printed, one Ctrl-C
stops all three cleanly; a taken port is refused with a message."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from test_api_serve import ROOT, RUN, free_port


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


def test_demo_serves_everything_and_one_sigint_stops_it_cleanly(trained_home: Path) -> None:
    api, ui = free_port(), free_port()
    proc = demo(trained_home, api, ui)
    try:
        wait_for_line(proc, f"factorscope is running: open http://127.0.0.1:{ui}/")
        assert httpx.get(f"http://127.0.0.1:{api}/api/v1/ready", timeout=10).json()["status"] == "ready"
        assert httpx.get(f"http://127.0.0.1:{ui}/explore?run={RUN}", timeout=10).status_code == 200
        taken = demo(trained_home, api, ui)
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
