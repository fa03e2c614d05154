"""Runs: list, detail, create (422 naming the field; 202 with a queued train job), delete, training runs."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from app_client import AppClient as TestClient

from backend.config import Settings
from backend.jobs import run_worker
from backend.main import create_app
from backend.runs import create_run, run_nonce
from models.training import TrainConfig

API = "/api/v1"
RUN = "tiny"


def test_list_and_detail(client: TestClient) -> None:
    runs = {r["run_id"]: r for r in client.get(f"{API}/runs").json()["runs"]}
    tiny = runs[RUN]
    assert tiny["status"] == "ready" and tiny["latent_dim"] == 4 and len(tiny["version"]) == 12
    detail = client.get(f"{API}/runs/{RUN}").json()
    assert detail["version"] == tiny["version"] and detail["family"] == "vae" and detail["dataset"] == "digits"
    assert detail["config"]["hidden"] == [32] and detail["train"]["steps"] == 100
    assert detail["metrics"]["training"]["steps"] == 100 and detail["history"][-1]["step"] == 100
    assert "traversal" in detail["capabilities"]
    assert tiny["parent"] is None and detail["parent"] is None  # a run of its own (runs with parents: test_run_parents)


def test_an_unknown_query_parameter_is_named_on_every_route(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.get(f"{API}/runs?bogus=1"), 422, "query.bogus: unknown parameter", "expected none here")
    problem(client.get(f"{API}/runs/{RUN}?vv=0123456789ab"), 422, "query.vv", "expected one of v")  # a typo of v
    problem(client.delete(f"{API}/runs/{RUN}?force=1"), 422, "query.force")  # refused before anything changes
    problem(client.post(f"{API}/runs/{RUN}/train", json={"steps": 10}), 422, "body.steps")  # not silently ignored
    assert client.get(f"{API}/runs/{RUN}").status_code == 200


def test_unknown_runs_are_404(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.get(f"{API}/runs/nope"), 404, "no run 'nope'")
    problem(client.delete(f"{API}/runs/nope"), 404, "no run 'nope'")
    problem(client.get(f"{API}/runs/Bad..Id"), 422, "expected a run id (1 to 100 lowercase letters")


def test_create_queues_a_train_job(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        r = c.post(f"{API}/runs", json={"family": "vae", "dataset": "bars", "config": {"latent_dim": 3},
                                        "train": {"steps": 20}})
        assert r.status_code == 202, r.text
        body = r.json()
        assert r.headers["location"] == body["job_url"] == f"{API}/jobs/{body['job_id']}"
        job = c.get(body["job_url"]).json()
        assert job["kind"] == "train" and job["state"] == "queued" and job["payload"]["run_id"] == body["run_id"]
        assert job["payload"]["nonce"] == run_nonce(fresh_home, body["run_id"])  # which run of that id it trains
        run = c.get(f"{API}/runs/{body['run_id']}").json()
        assert run["status"] == "training" and run["version"] is None and run["config"]["latent_dim"] == 3


def test_a_run_can_be_named_once(fresh_home: Path, settings_for: Callable[..., Settings],
                                 problem: Callable[..., Any]) -> None:
    body = {"run_id": "my-run", "family": "vae", "dataset": "bars", "train": {"steps": 20}}
    with TestClient(create_app(settings_for(fresh_home))) as c:
        r = c.post(f"{API}/runs", json=body)
        assert r.status_code == 202 and r.json()["run_id"] == "my-run"
        problem(c.post(f"{API}/runs", json=body), 409, "run 'my-run' already exists", "expected a new run_id")
        assert [run["run_id"] for run in c.get(f"{API}/runs").json()["runs"]].count("my-run") == 1


def test_non_finite_json_numbers_are_refused(client: TestClient, problem: Callable[..., Any]) -> None:
    """Python's JSON parser takes the non-standard Infinity and NaN; they must not reach a run's config.json."""
    for token in ("Infinity", "-Infinity", "NaN", "1e400"):
        body = f'{{"family": "vae", "dataset": "digits", "config": {{"beta": {token}}}, "train": {{"steps": 5}}}}'
        problem(client.post(f"{API}/runs", content=body, headers={"content-type": "application/json"}), 422,
                "VAEConfig.beta", "expected a finite number")
        body = f'{{"family": "vae", "dataset": "digits", "train": {{"lr": {token}}}}}'
        problem(client.post(f"{API}/runs", content=body, headers={"content-type": "application/json"}), 422,
                "finite")


def test_a_body_of_exactly_max_body_bytes_is_read(trained_home: Path, settings_for: Callable[..., Settings],
                                                  problem: Callable[..., Any]) -> None:
    body, json_type = b'{"family": "vae", "dataset": "nope"}', {"content-type": "application/json"}
    with TestClient(create_app(settings_for(trained_home, max_body_bytes=1024))) as c:
        at_limit = c.post(f"{API}/runs", content=body.ljust(1024), headers=json_type)
        problem(at_limit, 422, "unknown dataset 'nope'")  # read and judged: the limit itself is allowed
        problem(c.post(f"{API}/runs", content=body.ljust(1025), headers=json_type), 413, "max_body_bytes")


def test_runs_are_listed_newest_first(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    """The dashboard opens the first listed run: the newest, whatever the ids' alphabetical order."""
    with TestClient(create_app(settings_for(fresh_home))) as c:
        for run_id in ("b-older", "a-newer"):
            assert c.post(f"{API}/runs", json={"run_id": run_id, "family": "vae", "dataset": "bars"}).status_code == 202
            time.sleep(1.1)  # created is stamped to the second
        listed = [run["run_id"] for run in c.get(f"{API}/runs").json()["runs"]]
    assert listed[:2] == ["a-newer", "b-older"] and listed[2:] == [RUN]


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"family": "nope", "dataset": "digits"}, "family", ["unknown family 'nope'", "expected one of"]),
    ({"family": "vae", "dataset": "nope"}, "dataset", ["unknown dataset 'nope'", "expected one of"]),
    ({"family": "vae", "dataset": "digits", "config": {"latent_dim": 0}}, "config", ["latent_dim must be in 1..512"]),
    ({"family": "vae", "dataset": "digits", "config": {"colour": 1}}, "config", ["unknown field(s) ['colour']"]),
    ({"family": "vae", "dataset": "digits", "config": {"latent_dim": "four"}}, "config", ["expected an integer"]),
    ({"family": "vae", "dataset": "digits", "config": {"architecture": "conv"}}, "config", ["conv"]),
    ({"family": "vae", "dataset": "digits", "train": {"steps": -1}}, "train", ["steps must be >= 1"]),
    ({"family": "vae", "dataset": "digits", "train": {"lr": 1e30}}, "train", ["lr must be > 0 and <= 10, got 1e+30"]),
    ({"family": "vae", "dataset": "digits", "config": {"beta": 1e5}}, "config", ["beta must be >= 0 and <= 10000"]),
    ({"family": "oi_vae", "dataset": "bars", "config": {"lam": 1e30}}, "config", ["OIVAEConfig.lam", "<= 10000"]),
    ({"family": "isa_vae", "dataset": "digits", "config": {"p0": 50.0}}, "config", ["p0 must be > 0 and <= 10"]),
    ({"dataset": "digits"}, "family", ["Field required"]),
    ({"family": "vae", "dataset": "digits", "config": [1]}, "config", ["valid dictionary"]),
    ({"family": "vae", "dataset": "breast_cancer", "config": {"likelihood": "bernoulli"}}, "config",
     ["needs data in [0, 1]", "expected 'auto' or 'gaussian'"]),
    ({"family": "vae", "dataset": "digits", "train": {"device": "cuda:7"}}, "train",
     ["'cuda:7' is not on this machine", "expected 'auto' or 'cpu'"]),
    ({"family": "vae", "dataset": "digits", "train": {"device": "cuda:x"}}, "train", ["'auto', 'cpu' or 'cuda[:i]'"]),
    ({"family": "vae", "dataset": "digits", "name": "mine"}, "name", ["Extra inputs are not permitted"]),
    ({"family": "vae", "dataset": "digits", "run_id": "Mine"}, "run_id", ["expected a run id", "'Mine'"]),
])
def test_create_rejects_bad_input_naming_the_field(client: TestClient, problem: Callable[..., Any],
                                                   body: dict[str, Any], field: str, words: list[str]) -> None:
    before = {r["run_id"] for r in client.get(f"{API}/runs").json()["runs"]}
    detail = problem(client.post(f"{API}/runs", json=body), 422, *words)
    assert detail["errors"][0]["loc"][:2] == ["body", field]
    assert {r["run_id"] for r in client.get(f"{API}/runs").json()["runs"]} == before


def test_malformed_json_and_huge_bodies(client: TestClient, problem: Callable[..., Any]) -> None:
    problem(client.post(f"{API}/runs", content=b'{"family": ', headers={"content-type": "application/json"}),
            422, "malformed JSON", "expected a JSON document")
    huge = b'{"family": "vae", "dataset": "digits", "config": {"x": "' + b"a" * (2 << 20) + b'"}}'
    body = problem(client.post(f"{API}/runs", content=huge, headers={"content-type": "application/json"}),
                   413, "max_body_bytes")
    assert body["limit"] == "max_body_bytes"

    def chunks():  # no Content-Length: the limit still holds
        for _ in range(40):
            yield b"a" * 65536

    problem(client.post(f"{API}/runs", content=chunks(), headers={"content-type": "application/json"}), 413,
            "max_body_bytes")


def test_delete_removes_the_run_and_evicts_it(fresh_home: Path, settings_for: Callable[..., Settings],
                                              problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        assert c.get(f"{API}/runs/{RUN}/decode.png?z=0,0,0,0").status_code == 200  # loads the model
        assert RUN in c.app.state.run_store.models
        r = c.delete(f"{API}/runs/{RUN}")
        assert r.status_code == 204 and r.content == b""
        assert RUN not in c.app.state.run_store.models
        assert not (fresh_home / "runs" / RUN).exists()
        problem(c.get(f"{API}/runs/{RUN}/decode.png?z=0,0,0,0"), 404, "no run")


def test_a_training_run_answers_409_still_training(fresh_home: Path, settings_for: Callable[..., Settings],
                                                   problem: Callable[..., Any]) -> None:
    create_run(fresh_home, "vae", {"latent_dim": 2, "hidden": [8]}, "digits", TrainConfig(steps=5), run_id="busy")
    with TestClient(create_app(settings_for(fresh_home))) as c:
        for url in ("traversal.png", "traversal", "decode.png?z=0,0", "reconstruct.png?items=0", "factors",
                    "embedding", "metrics"):
            problem(c.get(f"{API}/runs/busy/{url}"), 409, "still training")
        problem(c.post(f"{API}/runs/busy/decode", json={"z": [[0, 0]]}), 409, "still training")
        problem(c.post(f"{API}/runs/busy/metrics"), 409, "still training")
        assert c.get(f"{API}/runs/busy").json()["status"] == "training"


@pytest.mark.parametrize(("body", "limit", "value"), [
    ({"train": {"steps": 100_000_000_000}}, "max_train_steps", 100_000_000_000),
    ({"config": {"hidden": [60_000, 60_000]}}, "max_model_params", None),  # 3.6 x 10^9 weights: never allocated
    ({"config": {"hidden": [1] * 100}}, "max_model_layers", 202),  # few weights, too deep to train or serve
    ({"train": {"batch_size": 1_000_000_000}}, "max_train_batch", 1_000_000_000),  # every item in every step
])
def test_create_enforces_the_training_limits(client: TestClient, problem: Callable[..., Any], body: dict[str, Any],
                                             limit: str, value: int | None) -> None:
    detail = problem(client.post(f"{API}/runs", json={"family": "vae", "dataset": "digits", **body}), 422, limit)
    assert detail["limit"] == limit and (value is None or f"is {value}" in detail["detail"])


@pytest.mark.parametrize(("body", "words"), [
    ({"train": {"threads": 10_000}}, ["body.train", "threads is 10000", "CPUs"]),
    ({"train": {"seed": -1}}, ["body.train", "seed must be in 0..4294967295"]),
    ({"train": {"seed": 2**70}}, ["body.train", "seed must be in 0..4294967295"]),
    ({"config": {"hidden": [10**30]}}, ["body.config", "VAEConfig.hidden: hidden must be in 1..65536, got 1000"]),
])
def test_create_names_the_field_without_internals(client: TestClient, problem: Callable[..., Any],
                                                  body: dict[str, Any], words: list[str]) -> None:
    detail = problem(client.post(f"{API}/runs", json={"family": "vae", "dataset": "digits", **body}), 422, *words)
    assert "frame #" not in detail["detail"] and "\n" not in detail["detail"]


def test_a_huge_bad_value_is_not_echoed_back_whole(client: TestClient, problem: Callable[..., Any]) -> None:
    r = client.post(f"{API}/runs", json={"family": "vae", "dataset": "digits", "config": {"latent_dim": "x" * 500_000}})
    problem(r, 422, "VAEConfig.latent_dim: expected an integer")
    assert len(r.content) < 2000
    problem(client.post(f"{API}/runs", json={"family": "f" * 500_000, "dataset": "digits"}), 422, "at most 100")


def test_a_run_made_again_under_its_old_id_shows_its_new_job(fresh_home: Path,
                                                               settings_for: Callable[..., Settings]) -> None:
    body = {"run_id": "again", "family": "vae", "dataset": "bars", "train": {"steps": 5}}
    with TestClient(create_app(settings_for(fresh_home))) as c:
        first = c.post(f"{API}/runs", json=body).json()
        assert c.delete(f"{API}/runs/again").status_code == 204  # its job is cancelled
        second = c.post(f"{API}/runs", json=body).json()
        for run in (c.get(f"{API}/runs/again").json(),
                    next(r for r in c.get(f"{API}/runs").json()["runs"] if r["run_id"] == "again")):
            assert (run["status"], run["job_id"]) == ("training", second["job_id"]) != ("cancelled", first["job_id"])


def test_the_step_limit_itself_is_allowed_and_a_missing_gpu_is_refused(
        fresh_home: Path, settings_for: Callable[..., Settings], problem: Callable[..., Any]) -> None:
    body = {"family": "vae", "dataset": "bars"}
    with TestClient(create_app(settings_for(fresh_home, max_train_steps=20))) as c:
        assert c.post(f"{API}/runs", json={**body, "train": {"steps": 20}}).status_code == 202
        problem(c.post(f"{API}/runs", json={**body, "train": {"steps": 21}}), 422, "max_train_steps")
        cuda = c.post(f"{API}/runs", json={**body, "train": {"steps": 5, "device": "cuda"}})
        if torch.cuda.device_count() == 0:  # CI and this project's machines: the worker could not run it
            problem(cuda, 422, "device 'cuda' is not on this machine (0 CUDA devices)")
        else:
            assert cuda.status_code == 202


def test_a_run_whose_job_failed_or_was_cancelled_says_so(fresh_home: Path, settings_for: Callable[..., Settings],
                                                         problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        jobs = c.app.state.jobs
        made = [c.post(f"{API}/runs", json={"family": "vae", "dataset": "digits", "train": {"steps": 5}}).json()
                for _ in range(3)]
        failed, cancelled, queued = made
        claimed = jobs.claim_next("test:1")
        assert claimed is not None and claimed.job_id == failed["job_id"]
        jobs.fail(failed["job_id"], "RuntimeError: out of memory")
        c.delete(f"{API}/jobs/{cancelled['job_id']}")
        runs = {r["run_id"]: r for r in c.get(f"{API}/runs").json()["runs"]}
        assert (runs[failed["run_id"]]["status"], runs[failed["run_id"]]["error"]) == ("failed",
                                                                                     "RuntimeError: out of memory")
        assert runs[cancelled["run_id"]]["status"] == "cancelled"
        assert (runs[queued["run_id"]]["status"], runs[queued["run_id"]]["job_id"]) == ("training", queued["job_id"])
        assert runs["tiny"]["status"] == "ready" and runs["tiny"]["error"] is None
        detail = c.get(f"{API}/runs/{failed['run_id']}").json()
        assert detail["status"] == "failed" and detail["job_id"] == failed["job_id"]
        problem(c.get(f"{API}/runs/{failed['run_id']}/traversal.png"), 409, "failed or was cancelled")


def test_an_old_failed_run_is_still_failed_after_1100_newer_jobs(fresh_home: Path,
                                                                 settings_for: Callable[..., Settings]) -> None:
    """A run's status comes from its own newest training job, however many jobs came after (issue 19: after 1,000
    newer jobs a failed run showed `training`)."""
    with TestClient(create_app(settings_for(fresh_home))) as c:
        jobs = c.app.state.jobs
        old = c.post(f"{API}/runs", json={"family": "vae", "dataset": "digits", "train": {"steps": 5}}).json()
        assert jobs.claim_next("test:1").job_id == old["job_id"]
        jobs.fail(old["job_id"], "RuntimeError: out of memory")
        for i in range(1100):  # more than any job list the API reads (MAX_LIST = 1000)
            jobs.submit("train", {"run_id": f"other-{i}"})
        listed = {r["run_id"]: r for r in c.get(f"{API}/runs").json()["runs"]}[old["run_id"]]
        detail = c.get(f"{API}/runs/{old['run_id']}").json()
        for seen in (listed, detail):
            assert (seen["status"], seen["error"], seen["job_id"]) == ("failed", "RuntimeError: out of memory",
                                                                      old["job_id"])


def test_deleting_a_run_cancels_its_unfinished_job(fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        made = c.post(f"{API}/runs", json={"family": "vae", "dataset": "digits"}).json()
        assert c.delete(f"{API}/runs/{made['run_id']}").status_code == 204
        assert c.get(made["job_url"]).json()["state"] == "cancelled"
        gone = c.delete(f"{API}/runs/{made['run_id']}")
        assert gone.status_code == 404 and str(fresh_home) not in gone.text  # no server paths in errors


def test_a_run_whose_config_is_unreadable_can_still_be_deleted(fresh_home: Path,
                                                                settings_for: Callable[..., Settings]) -> None:
    (fresh_home / "runs" / RUN / "config.json").write_text('{"run_id": "tiny"')  # cut short
    with TestClient(create_app(settings_for(fresh_home))) as c:
        broken = c.get(f"{API}/runs/{RUN}")
        assert broken.status_code == 500 and str(fresh_home) not in broken.text  # paths relative to the home
        assert "FACTORSCOPE_HOME/runs/tiny/config.json" in broken.json()["detail"]
        assert c.delete(f"{API}/runs/{RUN}").status_code == 204
        assert not (fresh_home / "runs" / RUN).exists()


def test_deleting_a_run_or_cancelling_its_training_cancels_its_other_jobs(
        fresh_home: Path, settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        jobs = c.app.state.jobs
        evaluation = jobs.submit("evaluate", {"run_id": RUN})
        assert c.delete(f"{API}/runs/{RUN}").status_code == 204
        assert jobs.get(evaluation.job_id).state == "cancelled"
        made = c.post(f"{API}/runs", json={"family": "vae", "dataset": "bars", "train": {"steps": 5}}).json()
        then = jobs.submit("evaluate", {"run_id": made["run_id"]})  # as `factorscope prepare` queues them
        other = jobs.submit("evaluate", {"run_id": "another-run"})
        assert c.delete(made["job_url"]).json()["state"] == "cancelled"
        assert (jobs.get(then.job_id).state, jobs.get(other.job_id).state) == ("cancelled", "queued")


def test_a_busy_job_database_is_503_and_leaves_no_run_behind(fresh_home: Path, settings_for: Callable[..., Settings],
                                                             problem: Callable[..., Any],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backend.db.engine.BUSY_TIMEOUT_S", 0.2)  # a lock held longer than this is "busy"
    with TestClient(create_app(settings_for(fresh_home))) as c:
        holder = sqlite3.connect(fresh_home / "jobs.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
        try:
            body = {"run_id": "locked-out", "family": "vae", "dataset": "bars", "train": {"steps": 5}}
            r = problem(c.post(f"{API}/runs", json=body), 503, "job database is busy", "retry after")
            assert r["retry_after"] == 5
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert not (fresh_home / "runs" / "locked-out").exists()
        assert c.post(f"{API}/runs", json=body).status_code == 202  # the id was never taken


def test_a_cancelled_run_resumes_from_its_checkpoint(fresh_home: Path, settings_for: Callable[..., Settings],
                                                    problem: Callable[..., Any]) -> None:
    settings = settings_for(fresh_home, worker_poll_s=0.05)
    train = {"steps": 800, "log_every": 5, "checkpoint_every": 10, "eval_every": 400}
    checkpoint = fresh_home / "runs" / "stop-go" / "checkpoint" / "state.json"
    stop = threading.Event()
    with TestClient(create_app(settings)) as c:
        worker = threading.Thread(target=run_worker, args=(settings, stop), kwargs={"store": c.app.state.jobs})
        worker.start()
        try:
            made = c.post(f"{API}/runs", json={"run_id": "stop-go", "family": "vae", "dataset": "bars",
                                               "train": train}).json()
            wait_until(checkpoint.is_file)
            c.delete(made["job_url"])  # the user cancels part-way
            wait_until(lambda: c.get(f"{API}/runs/stop-go").json()["status"] == "cancelled")
            resumed = c.post(f"{API}/runs/stop-go/train")
            assert resumed.status_code == 202 and resumed.headers["location"] == resumed.json()["job_url"]
            assert c.post(f"{API}/runs/stop-go/train").json()["job_id"] == resumed.json()["job_id"]  # that job
            wait_until(lambda: c.get(resumed.json()["job_url"]).json()["state"] == "succeeded")
        finally:
            stop.set()
            worker.join()
        assert c.get(resumed.json()["job_url"]).json()["result"]["resumed_from_step"] >= 10
        assert c.get(f"{API}/runs/stop-go").json()["status"] == "ready"
        problem(c.post(f"{API}/runs/stop-go/train"), 409, "is trained already")
        problem(c.post(f"{API}/runs/nope/train"), 404, "no run 'nope'")


def wait_until(condition: Callable[[], bool], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_broken_job_database_is_a_500_not_a_retry(fresh_home: Path, settings_for: Callable[..., Settings],
                                                    problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home)), raise_server_exceptions=False) as c:
        with sqlite3.connect(fresh_home / "jobs.db") as db:
            db.execute("DROP TABLE jobs")  # no waiting fixes this: the log says what, the client gets no Retry-After
        body = {"run_id": "nowhere", "family": "vae", "dataset": "bars", "train": {"steps": 5}}
        r = c.post(f"{API}/runs", json=body)
        problem(r, 500, "unexpected error")
        assert "retry-after" not in r.headers and not (fresh_home / "runs" / "nowhere").exists()


def test_cancel_cascades_only_when_it_stops_a_training(fresh_home: Path, settings_for: Callable[..., Settings],
                                                      problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        jobs = c.app.state.jobs
        made = c.post(f"{API}/runs", json={"run_id": "twice", "family": "vae", "dataset": "bars"}).json()
        assert c.delete(made["job_url"]).json()["state"] == "cancelled"
        later = jobs.submit("evaluate", {"run_id": "twice"})  # e.g. after the run was resumed and trained
        assert c.delete(made["job_url"]).json()["state"] == "cancelled"  # the old cancel, sent again
        assert jobs.get(later.job_id).state == "queued"


def test_a_resume_waits_for_a_cancelled_training_to_stop(fresh_home: Path, settings_for: Callable[..., Settings],
                                                         problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        made = c.post(f"{API}/runs", json={"run_id": "slow-stop", "family": "vae", "dataset": "bars"}).json()
        c.app.state.jobs.claim_next("elsewhere:1")  # a worker trains it
        c.delete(made["job_url"])  # cancel requested; the worker has not seen it yet
        r = problem(c.post(f"{API}/runs/slow-stop/train"), 409, "has not stopped yet", "retry")
        assert r["type"].endswith("still-stopping")


def test_an_evaluation_with_other_options_is_not_answered_by_the_queued_one(
        fresh_home: Path, settings_for: Callable[..., Settings], problem: Callable[..., Any]) -> None:
    with TestClient(create_app(settings_for(fresh_home))) as c:
        first = c.post(f"{API}/runs/{RUN}/metrics").json()
        assert c.post(f"{API}/runs/{RUN}/metrics", json={"seed": 0}).json()["job_id"] == first["job_id"]  # the same
        problem(c.post(f"{API}/runs/{RUN}/metrics", json={"full": True, "seed": 7}), 409, "other options",
                first["job_id"])


def test_a_resume_keeps_to_the_training_limits(fresh_home: Path, settings_for: Callable[..., Settings],
                                               problem: Callable[..., Any]) -> None:
    """A run made elsewhere (the CLI knows no API limits) is held to them when the API queues its training."""
    create_run(fresh_home, "vae", {"latent_dim": 2, "hidden": [8]}, "bars", TrainConfig(batch_size=100_000),
               run_id="wide")
    create_run(fresh_home, "vae", {"latent_dim": 2, "hidden": [4] * 40}, "bars", TrainConfig(), run_id="deep")
    with TestClient(create_app(settings_for(fresh_home))) as c:
        problem(c.post(f"{API}/runs/wide/train"), 422, "max_train_batch")
        problem(c.post(f"{API}/runs/deep/train"), 422, "max_model_layers")
