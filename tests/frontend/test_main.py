"""``python -m frontend``: a clear message (and exit 2) when the port is taken; gunicorn serves the dashboard and
stops on SIGINT or SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from frontend.__main__ import main, port_in_use

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_is_reported(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        monkeypatch.setenv("FACTORSCOPE_UI_PORT", str(port))
        assert main() == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err and "FACTORSCOPE_UI_PORT" in err


def test_a_free_port_is_free() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert not port_in_use("127.0.0.1", port)


@pytest.mark.slow  # starts the dashboard's server (seconds): not for the unit lane
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_dashboard_runs_under_gunicorn_and_stops_on_a_signal(stop: signal.Signals) -> None:
    """A production WSGI server on 127.0.0.1 serves the pages; SIGINT (even one that the starting shell ignored, as
    for a background job) and SIGTERM stop it, master and workers, with status 0."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "FACTORSCOPE_UI_PORT": str(port), "FACTORSCOPE_BACKEND_URL": "http://127.0.0.1:9"}
    env.pop("FACTORSCOPE_UI_HOST", None)
    ignoring_sigint = ["sh", "-c", 'trap "" INT && exec "$0" -m frontend', sys.executable]  # as a background job
    proc = subprocess.Popen(ignoring_sigint, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        page = wait_for_page(f"http://127.0.0.1:{port}/", proc)
        assert page.status_code == 200 and page.headers["server"].startswith("gunicorn")
        layout = httpx.get(f"http://127.0.0.1:{port}/_dash-layout", timeout=30)
        assert layout.status_code == 200 and layout.headers["content-type"].startswith("application/json")
        bundle = next(s for s in re.findall(r'src="([^"]+)"', page.text) if "dash_core_components" in s)
        script = httpx.get(f"http://127.0.0.1:{port}{bundle}", headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert script.status_code == 200 and script.headers["content-encoding"] == "gzip"  # 355 kB raw, ~100 kB sent
        workers = children(proc.pid)
        assert workers
        proc.send_signal(stop)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "Traceback" not in out and not any(Path(f"/proc/{pid}").exists() for pid in workers), out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def wait_for_page(url: str, proc: subprocess.Popen[str], timeout_s: float = 120.0) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout_s:.0f} s")


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (gunicorn's workers), from /proc."""
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]
