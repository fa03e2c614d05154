"""Making a run and queuing its job is all or nothing across a crash: an API process killed between the two
(FACTORSCOPE_CRASH_AT=run_created makes it SIGKILL itself there) leaves a marked run without a job, which the
worker finds at start and rolls back; a run whose job did get queued keeps it and trains."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from app_client import AppClient as TestClient

from backend.config import Settings
from backend.jobs import run_worker
from backend.main import create_app
from backend.runs.pending import CRASH_ENV, PENDING_FILE, PENDING_GRACE_S

API = "/api/v1"
ROOT = Path(__file__).resolve().parents[2]
BODY = {"run_id": "half", "family": "vae", "dataset": "bars", "config": {"latent_dim": 2, "hidden": [8]},
        "train": {"steps": 5, "eval_every": 5, "checkpoint_every": 0}}
CREATE = f"""
import sys
from pathlib import Path
from app_client import AppClient
from backend.config import Settings
from backend.main import create_app
home = Path(sys.argv[1])
settings = Settings(home=home, database_url=f"sqlite:///{{home}}/jobs.db", allowed_hosts=["testserver"])
with AppClient(create_app(settings)) as client:
    answer = client.post("/api/v1/runs", json={BODY!r})
print("answered", answer.status_code, flush=True)
"""


def create_in_a_process(home: Path, crash_at: str | None) -> subprocess.CompletedProcess:
    """POST /runs in another process running the real app, killed at ``crash_at`` when given."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "backend")])}
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.run([sys.executable, "-c", CREATE, str(home)], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def age_marker(home: Path, run_id: str) -> None:
    """Make the run's marker older than the grace period, as after a crash that long ago."""
    marker = home / "runs" / run_id / PENDING_FILE
    then = time.time() - PENDING_GRACE_S - 1
    os.utime(marker, (then, then))


def test_a_crash_between_the_run_and_its_job_is_rolled_back_at_start(
        tmp_path: Path, settings_for: Callable[..., Settings], caplog: pytest.LogCaptureFixture) -> None:
    home = tmp_path / "home"
    crashed = create_in_a_process(home, "run_created")
    assert crashed.returncode == -signal.SIGKILL and "answered" not in crashed.stdout, crashed.stderr[-2000:]
    folder = home / "runs" / "half"
    assert (folder / "config.json").is_file() and (folder / PENDING_FILE).is_file()
    settings = settings_for(home, worker_poll_s=0.05)
    with TestClient(create_app(settings)) as c:
        shown = c.get(f"{API}/runs").json()["runs"]
        assert [(r["run_id"], r["status"], r["job_id"]) for r in shown] == [("half", "training", None)]  # the lie
        run_worker(settings, once=True, store=c.app.state.jobs)  # within the grace period: maybe still being made
        assert folder.is_dir()
        age_marker(home, "half")
        with caplog.at_level(logging.WARNING, "factorscope.worker"):
            run_worker(settings, once=True, store=c.app.state.jobs)  # a worker starting after the crash
        assert not folder.exists() and c.get(f"{API}/runs").json()["runs"] == []
        assert "run half was made but its job was never queued" in caplog.text
        again = c.post(f"{API}/runs", json=BODY)  # the id is free again: nothing of the request is left
        assert again.status_code == 202, again.text


def test_a_run_whose_job_was_queued_keeps_it_and_trains(tmp_path: Path, settings_for: Callable[..., Settings]) -> None:
    home = tmp_path / "home"
    made = create_in_a_process(home, None)
    assert made.returncode == 0 and "answered 202" in made.stdout, made.stderr[-2000:]
    age_marker(home, "half")  # as if the marker were left by a crash just after the job was queued
    settings = settings_for(home, worker_poll_s=0.05)
    with TestClient(create_app(settings)) as c:
        run_worker(settings, once=True, store=c.app.state.jobs)
        run = c.get(f"{API}/runs/half").json()
        assert run["status"] == "ready", run
        assert not (home / "runs" / "half" / PENDING_FILE).exists()
