"""Job priority on a real database (SQLite, then PostgreSQL: ``database_url``): ``claim_next`` and the queue positions
take higher priorities first, then older jobs; ``submit_once`` raises a queued job's priority, never lowers it; out of
range is refused. Through the API: ``POST /runs`` and ``POST /runs/{id}/train`` take a priority (422 naming the field
outside -100..100), the job views show it; ``factorscope prepare`` queues the demo's background runs at -10."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import serve

from backend.cli_prepare import queue
from backend.config import Settings
from backend.demo_runs import BACKGROUND_PRIORITY, DEMO_RUNS
from backend.jobs import JobStore
from backend.runs import RunRecord

API = "/api/v1"
Problem = Callable[..., dict[str, Any]]


@pytest.fixture
def store(database_url: str) -> Iterator[JobStore]:
    jobs = JobStore(database_url, kinds={"work": lambda payload, ctx: {}, "train": lambda payload, ctx: {}})
    try:
        yield jobs
    finally:
        jobs.close()


def test_claim_next_takes_higher_priorities_first_then_older_jobs(store: JobStore) -> None:
    low = store.submit("work", {"n": "low"}, priority=-10)
    first = store.submit("work", {"n": "first"})
    high = store.submit("work", {"n": "high"}, priority=10)
    second = store.submit("work", {"n": "second"})
    top = store.submit("work", {"n": "top"}, priority=100)
    assert store.queue_positions() == {top.job_id: 0, high.job_id: 1, first.job_id: 2, second.job_id: 3,
                                       low.job_id: 4}
    claimed = [store.claim_next("w:1/0") for _ in range(5)]
    assert [job.payload["n"] for job in claimed if job] == ["top", "high", "first", "second", "low"]
    assert [job.priority for job in claimed if job] == [100, 10, 0, 0, -10]
    assert all(job is not None and job.started is not None for job in claimed)
    assert store.claim_next("w:1/0") is None


def test_a_job_behind_its_runs_training_waits_whatever_its_priority(store: JobStore) -> None:
    training = store.submit("train", {"run_id": "r"}, priority=-10)
    store.submit("work", {"run_id": "r"}, priority=100)  # e.g. an evaluation: it needs the training's weights
    assert store.claim_next("w:1/0") == store.get(training.job_id)


def test_submit_once_raises_a_queued_jobs_priority_and_never_lowers_it(store: JobStore) -> None:
    job = store.submit_once("train", {"run_id": "r"})
    assert store.submit_once("train", {"run_id": "r"}, priority=-5).priority == 0
    raised = store.submit_once("train", {"run_id": "r"}, priority=7)
    assert (raised.job_id, raised.priority, store.get(job.job_id).priority) == (job.job_id, 7, 7)


@pytest.mark.parametrize("priority", [101, -101, True, 1.5, "1"])
def test_a_priority_out_of_range_is_refused(store: JobStore, priority: Any) -> None:
    with pytest.raises(ValueError, match=r"priority must be an integer in -100\.\.100"):
        store.submit("work", {}, priority=priority)


def test_the_api_takes_a_priority_and_shows_it(fresh_home: Path, settings_for: Callable[..., Settings],
                                               problem: Problem) -> None:
    body = {"family": "vae", "dataset": "bars", "config": {"latent_dim": 3}, "train": {"steps": 50}}
    with serve(settings_for(fresh_home)) as c:
        made = c.post(f"{API}/runs", json={**body, "run_id": "urgent", "priority": 42})
        assert made.status_code == 202, made.text
        job = c.get(made.json()["job_url"]).json()
        assert (job["priority"], job["state"]) == (42, "queued")
        for bad in (101, -101, "5", 2.5):
            refused = c.post(f"{API}/runs", json={**body, "priority": bad})
            problem(refused, 422, "body.priority")
        c.delete(made.json()["job_url"])  # cancelled: the run may be trained again, with another priority
        again = c.post(f"{API}/runs/urgent/train", json={"priority": -3})
        assert again.status_code == 202, again.text
        assert c.get(again.json()["job_url"]).json()["priority"] == -3
        problem(c.post(f"{API}/runs/urgent/train", json={"priority": 500}), 422, "body.priority")
        problem(c.post(f"{API}/runs/urgent/train", json={"urgent": True}), 422, "body.urgent")
        assert c.post(f"{API}/runs/urgent/train").status_code == 202  # no body: the job already queued answers
        listed = c.get(f"{API}/jobs", params={"state": "queued"}).json()["jobs"]
        assert [(j["job_id"], j["priority"]) for j in listed] == [(again.json()["job_id"], -3)]


def test_prepare_queues_the_demos_background_runs_behind_everything(tmp_path: Path) -> None:
    demo = next(d for d in DEMO_RUNS if d.background)
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path}/jobs.db")
    record = RunRecord(demo.run_id, demo.family, demo.dataset, "2026-12-03T00:00:00+00:00", None, demo.config,
                       {"steps": demo.train.steps})
    queue(settings, demo, record)  # not trained nor evaluated: its training and its evaluation
    jobs = JobStore(settings.database_url)
    try:
        queued = jobs.list(state="queued")
        assert sorted((j.kind, j.priority) for j in queued) == [("evaluate", BACKGROUND_PRIORITY),
                                                               ("train", BACKGROUND_PRIORITY)]
        assert BACKGROUND_PRIORITY < 0
    finally:
        jobs.close()
