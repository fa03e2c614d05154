"""Over loopback: ``factorscope serve`` runs uvicorn on 127.0.0.1, serves a traversal PNG, refuses a taken
port with a clear message, and stops cleanly on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = "tiny"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(home: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_API_PORT": str(port),
           "FACTORSCOPE_DATABASE_URL": f"sqlite:///{home}/serve-jobs.db"}
    return subprocess.Popen([sys.executable, "-m", "backend.cli", "serve"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_healthy(base: str, proc: subprocess.Popen[str], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not become healthy")


@pytest.fixture
def server(trained_home: Path) -> Iterator[tuple[str, int, subprocess.Popen[str]]]:
    port = free_port()
    proc = serve(trained_home, port)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc)
        yield base, port, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_serve_over_loopback(server: tuple[str, int, subprocess.Popen[str]], trained_home: Path) -> None:
    base, port, proc = server
    with httpx.Client(base_url=base, timeout=60) as http:
        version = http.get(f"/api/v1/runs/{RUN}").json()["version"]
        r = http.get(f"/api/v1/runs/{RUN}/traversal.png", params={"dims": "0,1", "steps": 5, "v": version})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        again = http.get(r.url, headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
        missing = http.get("/api/v1/runs/nope")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"

    taken = serve(trained_home, port)  # same port: refused with a message, not a traceback
    _, err = taken.communicate(timeout=60)
    assert taken.returncode == 2 and f"port {port}" in err and "already in use" in err and "Traceback" not in err

    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Application shutdown complete" in err
