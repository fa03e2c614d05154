"""When a queued job should start (``services/queue_eta.py``), on a real store with the shared tiny run (vae on digits,
trained: its log gives the steps/s of vae on digits): unknown with the reason while no worker runs or nothing ahead has
a known end; a training's duration from its steps at the family's observed steps/s; a running job's end from its
progress since it was claimed; the jobs ahead spread over the live slots; a job behind its run's training. Through the
API: GET /jobs, GET /jobs/{id} and the run detail's ``job`` carry ``jobs_ahead`` and ``estimated_start_s``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import torch
from conftest import RUN, serve

from backend.config import Settings
from backend.db import jobs as jobs_table
from backend.jobs import Job, JobStore
from backend.runs import create_run, run_dir
from backend.runs.folders import LOG_FILE
from backend.services.queue_eta import start_estimates, steps_per_s
from backend.store import RunStore
from models.training import TrainConfig

API = "/api/v1"


@pytest.fixture
def stores(fresh_home: Path, tmp_path: Path) -> Iterator[tuple[JobStore, RunStore]]:
    jobs = JobStore(f"sqlite:///{tmp_path}/jobs.db")
    try:
        yield jobs, RunStore(fresh_home, torch.device("cpu"), 1)
    finally:
        jobs.close()


def new_run(home: Path, run_id: str, dataset: str = "digits", steps: int = 1000) -> str:
    create_run(home, "vae", {"latent_dim": 2, "hidden": [8]}, dataset, TrainConfig(steps=steps), run_id=run_id)
    return run_id


def started_ago(jobs: JobStore, job: Job, seconds: float, progress: float) -> None:
    """Make the running ``job`` look claimed ``seconds`` ago, at ``progress`` now."""
    stamp = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="microseconds")
    with jobs.engine.begin() as conn:
        conn.execute(sa.update(jobs_table).where(jobs_table.c.id == job.job_id).values(started=stamp,
                                                                                      progress=progress))


def test_nothing_is_known_while_no_worker_runs(stores: tuple[JobStore, RunStore]) -> None:
    jobs, runs = stores
    jobs.submit("evaluate", {"run_id": RUN}, priority=1)
    assert jobs.claim_next("gone:1/0") is not None  # running, held by a worker never seen alive
    job = jobs.submit("train", {"run_id": new_run(runs.home, "next")})
    eta = start_estimates(jobs, runs)[job.job_id]
    assert eta.seconds is None and eta.reason == "no job worker is running: it starts once one does"


def test_the_line_is_timed_from_observed_steps_per_second(stores: tuple[JobStore, RunStore]) -> None:
    jobs, runs = stores
    rate = steps_per_s(run_dir(runs.home, RUN) / LOG_FILE)
    assert rate is not None and rate > 0  # the tiny run's training was timed
    jobs.worker_seen("h:1/0")  # one live slot, idle
    first = jobs.submit("train", {"run_id": new_run(runs.home, "next", steps=1000)})
    second = jobs.submit("evaluate", {"run_id": RUN})
    third = jobs.submit("train", {"run_id": new_run(runs.home, "on-bars", dataset="bars")})
    top = jobs.submit("train", {"run_id": new_run(runs.home, "top", dataset="bars")}, priority=5)
    eta = start_estimates(jobs, runs)
    assert (eta[top.job_id].seconds, eta[first.job_id].seconds) == (0.0, None)  # vae on bars was never timed
    assert eta[first.job_id].reason == "no vae run on bars has been timed yet"
    jobs.cancel(top.job_id)
    eta = start_estimates(jobs, runs)
    assert eta[first.job_id].seconds == 0.0
    assert eta[second.job_id].seconds == pytest.approx(1000 / rate)
    assert eta[third.job_id].seconds is None  # behind an evaluation, whose duration is not known
    assert eta[third.job_id].reason == f"how long the evaluate job {second.job_id} ahead takes is not known"
    jobs.worker_seen("h:1/1")  # a second slot takes the evaluation at once
    eta = start_estimates(jobs, runs)
    assert [eta[j.job_id].seconds for j in (first, second, third)] == [0.0, 0.0, pytest.approx(1000 / rate)]


def test_a_running_jobs_end_comes_from_its_progress_since_it_was_claimed(stores: tuple[JobStore, RunStore]) -> None:
    jobs, runs = stores
    jobs.worker_seen("h:1/0")
    jobs.worker_seen("h:1/1")
    running = jobs.submit("train", {"run_id": new_run(runs.home, "long")})  # no log of its own yet
    other = jobs.submit("evaluate", {"run_id": RUN})
    claimed = [jobs.claim_next("h:1/0"), jobs.claim_next("h:1/1")]
    assert [j.job_id for j in claimed if j] == [running.job_id, other.job_id]
    after = jobs.submit("evaluate", {"run_id": RUN})
    behind = jobs.submit("evaluate", {"run_id": "long"})  # waits for its run's training
    eta = start_estimates(jobs, runs)
    assert eta[after.job_id].seconds is None and "has not reported progress yet" in (eta[after.job_id].reason or "")
    started_ago(jobs, running, 100.0, 0.5)  # half done in 100 s: 100 s left
    started_ago(jobs, other, 30.0, 0.75)  # 10 s left
    eta = start_estimates(jobs, runs)
    assert eta[after.job_id].seconds == pytest.approx(10.0, abs=30.0)  # the slot free first (give or take the test)
    assert eta[behind.job_id].seconds == pytest.approx(100.0, abs=30.0)  # not before its run's training ends


def test_the_api_shows_the_queue_and_the_estimate(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    new_run(fresh_home, "queued-run")
    with serve(settings_for(fresh_home)) as c:
        made = c.post(f"{API}/runs/queued-run/train")
        assert made.status_code == 202, made.text
        job = c.get(made.json()["job_url"]).json()
        assert (job["jobs_ahead"], job["estimated_start_s"]) == (0, None)
        assert job["estimated_start_reason"] == "no job worker is running: it starts once one does"
        c.app.state.jobs.worker_seen("h:1/0")  # a live slot
        listed = c.get(f"{API}/jobs", params={"active": "true"}).json()["jobs"]
        assert [(j["job_id"], j["estimated_start_s"], j["estimated_start_reason"]) for j in listed] == \
            [(job["job_id"], 0.0, None)]
        detail = c.get(f"{API}/runs/queued-run").json()
        assert detail["status"] == "training" and detail["job"]["state"] == "queued"
        assert (detail["job"]["job_id"], detail["job"]["estimated_start_s"]) == (job["job_id"], 0.0)
        assert c.get(f"{API}/runs/{RUN}").json()["job"] is None  # trained outside the API: no job
