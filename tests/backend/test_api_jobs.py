"""Jobs through the API, end to end: POST /runs queues training, the worker process (started by the
app's lifespan) trains the run, the job reports progress and a result link, and the run serves images."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_client import AppClient as TestClient

from backend.config import Settings
from backend.main import create_app

API = "/api/v1"
TIMEOUT_S = 180.0


def poll(c: TestClient, url: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        body = c.get(url).json()
        if done(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def test_unknown_and_malformed_job_ids(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.get(f"{API}/jobs/{'0' * 32}"), 404, "no job")
    problem(client.delete(f"{API}/jobs/{'0' * 32}"), 404, "no job")
    problem(client.get(f"{API}/jobs/not-a-job"), 422, "expected a job id (hex digits)", "not-a-job")


def test_cancel_a_queued_job(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        accepted = c.post(f"{API}/runs", json={"family": "vae", "dataset": "bars", "train": {"steps": 10}}).json()
        r = c.delete(accepted["job_url"])
        assert r.status_code == 200 and r.json()["state"] == "cancelled" and r.json()["cancel_requested"]
        assert c.get(accepted["job_url"]).json()["state"] == "cancelled"


def test_jobs_are_listed_newest_first_and_filtered(fresh_home: Path, settings_for: Callable[..., Settings],
                                                  problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        first, second = (c.post(f"{API}/runs", json={"family": "vae", "dataset": "bars", "train": {"steps": 10}}).json()
                         for _ in range(2))
        c.delete(first["job_url"])
        listed = c.get(f"{API}/jobs").json()["jobs"]
        assert [j["job_id"] for j in listed] == [second["job_id"], first["job_id"]]
        assert listed[0]["payload"]["run_id"] == second["run_id"] and listed[0]["kind"] == "train"
        third = c.post(f"{API}/runs", json={"family": "vae", "dataset": "bars", "train": {"steps": 10}}).json()
        assert [c.get(j["job_url"]).json()["jobs_ahead"] for j in (first, second, third)] == [None, 0, 1]
        assert [j["jobs_ahead"] for j in c.get(f"{API}/jobs").json()["jobs"]] == [1, 0, None]  # newest first
        c.delete(third["job_url"])
        queued = c.get(f"{API}/jobs", params={"state": "queued", "kind": "train"}).json()["jobs"]
        assert [j["job_id"] for j in queued] == [second["job_id"]]
        assert c.get(f"{API}/jobs", params={"kind": "evaluate"}).json()["jobs"] == []
        active = c.get(f"{API}/jobs", params={"active": "true"}).json()["jobs"]  # first and third are cancelled
        assert [j["job_id"] for j in active] == [second["job_id"]] and active[0]["jobs_ahead"] == 0
        assert len(c.get(f"{API}/jobs", params={"limit": 1}).json()["jobs"]) == 1
        problem(c.get(f"{API}/jobs", params={"state": "done"}), 422, "queued")
        problem(c.get(f"{API}/jobs", params={"limit": 0}), 422, "greater than or equal to 1")


def test_create_train_and_serve_with_the_worker(tmp_path: Path, settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(tmp_path, start_worker=True, worker_poll_s=0.1)
    with TestClient(create_app(settings)) as c:
        body = {"family": "vae", "dataset": "bars", "config": {"latent_dim": 3, "hidden": [16]},
                "train": {"steps": 30, "eval_every": 10, "log_every": 5}}
        accepted = c.post(f"{API}/runs", json=body).json()
        job = poll(c, accepted["job_url"], lambda j: j["state"] in {"succeeded", "failed", "cancelled"})
        assert job["state"] == "succeeded", job
        assert job["progress"] == 1.0 and job["result_url"] == f"{API}/runs/{accepted['run_id']}"
        run = c.get(job["result_url"]).json()
        assert run["status"] == "ready" and run["version"] == job["result"]["version"]
        png = c.get(f"{API}/runs/{accepted['run_id']}/traversal.png?v={run['version']}")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
