"""A database outage of a few seconds delays jobs and never fails one: PostgreSQL stopped and started again while a
real worker trains a run (an evaluation of that run queued behind it), SQLite locked past its busy timeout while a
worker trains, and an evaluation that never starts while its run's training is unfinished (e.g. re-queued)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pg_cluster import INSTALL_HINT, Cluster, own_cluster, server_bin
from sqlalchemy.exc import OperationalError

from backend.config import Settings
from backend.db import engine as db_engine
from backend.jobs import Job, JobStore, run_worker, start_worker_process, stop_worker_process
from backend.runs import create_run
from models.training import TrainConfig

TIMEOUT_S = 120.0


def tiny_run(home: Path, run_id: str, steps: int) -> str:
    create_run(home, "vae", {"latent_dim": 3, "hidden": [32]}, "bars",
               TrainConfig(steps=steps, eval_every=500, log_every=10, checkpoint_every=500), run_id=run_id)
    return run_id


def wait_for(store: JobStore, job_id: str, done: Callable[[Job], bool], logs: Callable[[], str]) -> Job:
    """Poll the job (through the outage too: a read that fails is tried again) until ``done(job)``."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            job = store.get(job_id)
        except OperationalError:
            job = None
        if job is not None and done(job):
            return job
        time.sleep(0.05)
    pytest.fail(f"job {job_id} never got there\n{logs()}")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test's own, to stop and start."""
    bin_dir = server_bin()
    if bin_dir is None:
        pytest.fail(f"the PostgreSQL outage test needs a server: {INSTALL_HINT}")
    with own_cluster(bin_dir) as started:
        yield started


@pytest.mark.postgres
def test_a_postgresql_restart_during_training_fails_nothing(tmp_path: Path, cluster: Cluster) -> None:
    home, log_path = tmp_path / "home", tmp_path / "worker.log"
    store = JobStore(cluster.url)
    try:
        train = store.submit("train", {"run_id": tiny_run(home, "outage", steps=1500)})
        evaluation = store.submit("evaluate", {"run_id": "outage"})  # as `factorscope prepare` queues them
        with log_path.open("w") as log:
            worker = start_worker_process({"FACTORSCOPE_HOME": str(home), "FACTORSCOPE_DATABASE_URL": cluster.url,
                                           "FACTORSCOPE_WORKER_POLL_S": "0.05"}, stdout=log, stderr=log)
        try:
            wait_for(store, train.job_id, lambda j: j.state == "running" and j.progress >= 0.1, log_path.read_text)
            cluster.stop()
            time.sleep(5.0)  # the outage: the training goes on, its reports are skipped
            cluster.start()
            trained = wait_for(store, train.job_id, lambda j: j.finished, log_path.read_text)
            evaluated = wait_for(store, evaluation.job_id, lambda j: j.finished, log_path.read_text)
        finally:
            stop_worker_process(worker, timeout_s=60)
        logs = log_path.read_text()
        assert (trained.state, evaluated.state) == ("succeeded", "succeeded"), logs
        assert trained.result is not None and trained.result["version"] and trained.attempts == 1, trained
        assert "the database is unreachable" in logs or "progress not recorded" in logs, logs  # it did meet it
    finally:
        store.close()


def test_a_locked_sqlite_database_delays_a_training_and_fails_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Another process holding SQLite's write lock for 3 s, past the worker's busy timeout (0.3 s here, 30 s by
    default): the worker's writes meet "database is locked", and the job still succeeds."""
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_S", 0.3)
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{tmp_path}/jobs.db", worker_poll_s=0.05)
    store = JobStore(settings.database_url)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(settings, stop), kwargs={"store": store})
    try:
        job = store.submit("train", {"run_id": tiny_run(home, "locked", steps=400)})
        with caplog.at_level(logging.WARNING, "factorscope.worker"):
            worker.start()
            wait_for(store, job.job_id, lambda j: j.state == "running" and j.progress >= 0.1, lambda: caplog.text)
            holder = sqlite3.connect(tmp_path / "jobs.db", isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")  # the write lock, as a long transaction of another process takes it
            time.sleep(3.0)
            holder.execute("ROLLBACK")
            holder.close()
            done = wait_for(store, job.job_id, lambda j: j.finished, lambda: caplog.text)
        assert done.state == "succeeded", (done, caplog.text)
        assert "database is locked" in caplog.text
    finally:
        stop.set()
        worker.join(TIMEOUT_S)
        store.close()


def test_a_job_waits_while_its_runs_training_is_unfinished(database_url: str) -> None:
    """An evaluation queued behind its run's training is not claimed while that training runs or is re-queued
    (its worker died); other runs' jobs go on meanwhile."""
    store = JobStore(database_url, kinds={"train": lambda p, c: {}, "evaluate": lambda p, c: {}})
    try:
        train = store.submit("train", {"run_id": "r"})
        evaluation = store.submit("evaluate", {"run_id": "r"})
        other = store.submit("evaluate", {"run_id": "s"})
        assert store.claim_next("w:1").job_id == train.job_id  # type: ignore[union-attr]
        assert store.claim_next("w:2").job_id == other.job_id  # type: ignore[union-attr]
        assert store.claim_next("w:2") is None  # not the evaluation of a run still training
        assert store.recover(alive=lambda job: job.worker_id != "w:1") == [train.job_id]  # w:1 died: re-queued
        assert store.get(train.job_id).state == "queued"
        assert store.claim_next("w:2").job_id == train.job_id  # type: ignore[union-attr]
        assert store.claim_next("w:3") is None
        store.succeed(train.job_id, {}, "w:2")
        assert store.claim_next("w:3").job_id == evaluation.job_id  # type: ignore[union-attr]
    finally:
        store.close()
