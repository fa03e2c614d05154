"""Start and stop ``factorscope worker`` as a separate process (never a fork: CUDA cannot be forked)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # the folder holding the backend package


def start_worker_process(env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen:
    """``python -m backend.cli worker --parent-pid <this process>`` (it stops cleanly once this process is gone,
    even after a SIGKILL) with this environment plus ``env`` (e.g. FACTORSCOPE_HOME, FACTORSCOPE_DATABASE_URL);
    extra keyword arguments go to ``subprocess.Popen`` (stdout=..., cwd=...)."""
    full = {**os.environ, **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), full.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "backend.cli", "worker", "--parent-pid", str(os.getpid())]
    return subprocess.Popen(command, env=full, **popen)


def stop_worker_process(proc: subprocess.Popen, timeout_s: float = 30.0) -> int:
    """SIGINT (graceful: the current job goes back to the queue, its checkpoint kept), wait, then
    SIGKILL if it has not exited after ``timeout_s``. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()
