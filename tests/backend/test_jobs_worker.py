"""The job worker for real: ``factorscope worker`` processes training tiny runs from a SQLite queue
(progress, cancel, graceful stop, kill -9 and recovery), and the in-process loop for the failure paths."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import PIPE, Popen

import pytest
from sqlalchemy.exc import OperationalError

from backend.config import Settings
from backend.jobs import Job, JobContext, JobStore, liveness, run_worker, start_worker_process, stop_worker_process
from backend.jobs import worker as worker_module
from backend.runs import create_run, delete_run, load_run, run_dir, run_nonce
from models.training import TrainConfig

TIMEOUT_S = 120.0


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings(home=home, worker_poll_s=0.05)


@pytest.fixture
def store(settings: Settings) -> Iterator[JobStore]:
    store = JobStore(settings.database_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def start_worker(home: Path, tmp_path: Path) -> Iterator[Callable[[], Popen]]:
    """Starts ``factorscope worker`` processes on ``home`` (log: tmp_path/worker-N.log); every one still
    alive at the end is stopped with SIGINT and waited for."""
    procs: list[Popen] = []

    def start() -> Popen:
        log = (tmp_path / f"worker-{len(procs)}.log").open("w")
        env = {"FACTORSCOPE_HOME": str(home), "FACTORSCOPE_WORKER_POLL_S": "0.05"}
        procs.append(start_worker_process(env, stdout=log, stderr=log))
        log.close()
        return procs[-1]

    try:
        yield start
    finally:
        for proc in procs:
            stop_worker_process(proc, timeout_s=60)


def worker_logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(tmp_path.glob("worker-*.log")))


def wait_for(store: JobStore, job_id: str, done: Callable[[Job], bool], tmp_path: Path,
             on_poll: Callable[[Job], None] | None = None) -> Job:
    """Poll the job every 20 ms until ``done(job)``; fail with the worker logs after TIMEOUT_S."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if on_poll:
            on_poll(job)
        if done(job):
            return job
        time.sleep(0.02)
    pytest.fail(f"job {job_id} stuck as {store.get(job_id)}\n{worker_logs(tmp_path)}")


def tiny_run(home: Path, run_id: str, steps: int = 200, checkpoint_every: int = 50) -> str:
    create_run(home, "vae", {"latent_dim": 3, "hidden": [32]}, "bars",
               TrainConfig(steps=steps, eval_every=50, log_every=10, checkpoint_every=checkpoint_every), run_id=run_id)
    return run_id


def has_checkpoint(home: Path, run_id: str) -> bool:
    return (run_dir(home, run_id) / "checkpoint" / "state.json").is_file()


def has_weights(home: Path, run_id: str) -> bool:
    return (run_dir(home, run_id) / "weights.safetensors").is_file()


def test_worker_process_trains_a_run(home: Path, tmp_path: Path, store: JobStore,
                                     start_worker: Callable[[], Popen]) -> None:
    job = store.submit("train", {"run_id": tiny_run(home, "job-train")})
    proc = start_worker()
    seen: list[float] = []
    done = wait_for(store, job.job_id, lambda j: j.finished, tmp_path, lambda j: seen.append(j.progress))
    assert done.state == "succeeded", f"{done}\n{worker_logs(tmp_path)}"
    assert seen == sorted(seen) and seen[-1] == 1.0, seen
    assert any(0.0 < p < 1.0 for p in seen), f"no progress seen between 0 and 1: {sorted(set(seen))}"
    assert done.message.startswith("step 200/200 loss ")
    assert done.result["worker_pid"] == proc.pid != os.getpid()
    _, record = load_run(home, "job-train")
    assert done.result == {"run_id": "job-train", "version": record.version, "result_url": "/api/v1/runs/job-train",
                           "resumed_from_step": None, "worker_pid": proc.pid}
    assert has_weights(home, "job-train") and not has_checkpoint(home, "job-train")
    assert f"job {job.job_id} train run_id=job-train (attempt 1) succeeded" in worker_logs(tmp_path)


def test_cancel_stops_a_running_train_job_and_keeps_its_checkpoint(
        home: Path, tmp_path: Path, store: JobStore, start_worker: Callable[[], Popen]) -> None:
    job = store.submit("train", {"run_id": tiny_run(home, "job-cancel", steps=5000, checkpoint_every=20)})
    proc = start_worker()
    wait_for(store, job.job_id, lambda j: j.state == "running" and has_checkpoint(home, "job-cancel"), tmp_path)
    assert store.cancel(job.job_id).cancel_requested
    done = wait_for(store, job.job_id, lambda j: j.finished, tmp_path)
    assert done.state == "cancelled" and done.progress < 1.0, done
    assert has_checkpoint(home, "job-cancel") and not has_weights(home, "job-cancel")
    assert proc.poll() is None, "the worker keeps serving after a cancel"


def test_sigint_puts_the_running_job_back_in_the_queue(
        home: Path, tmp_path: Path, store: JobStore, start_worker: Callable[[], Popen]) -> None:
    job = store.submit("train", {"run_id": tiny_run(home, "job-sigint", steps=5000, checkpoint_every=20)})
    proc = start_worker()
    wait_for(store, job.job_id, lambda j: j.state == "running" and has_checkpoint(home, "job-sigint"), tmp_path)
    assert stop_worker_process(proc, timeout_s=60) == 0, worker_logs(tmp_path)
    back = store.get(job.job_id)
    assert (back.state, back.attempts, back.worker_id) == ("queued", 0, None), back
    assert back.message.startswith("interrupted")
    assert has_checkpoint(home, "job-sigint")


def test_killed_worker_job_is_recovered_and_resumes_from_its_checkpoint(
        home: Path, tmp_path: Path, store: JobStore, start_worker: Callable[[], Popen]) -> None:
    job = store.submit("train", {"run_id": tiny_run(home, "job-kill", steps=100, checkpoint_every=20)})
    first = start_worker()
    wait_for(store, job.job_id, lambda j: j.state == "running" and has_checkpoint(home, "job-kill"), tmp_path)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(30)
    assert store.get(job.job_id).state == "running"  # what a dead worker leaves behind
    second = start_worker()
    done = wait_for(store, job.job_id, lambda j: j.finished, tmp_path)
    assert done.state == "succeeded", f"{done}\n{worker_logs(tmp_path)}"
    assert done.attempts == 2 and done.result["worker_pid"] == second.pid
    assert done.result["resumed_from_step"] >= 20
    assert json.loads((run_dir(home, "job-kill") / "metrics.json").read_text())["training"]["steps"] == 100
    assert f"recovered: job {job.job_id} train run_id=job-kill (attempt 1) queued" in worker_logs(tmp_path)


def test_a_second_worker_leaves_a_live_workers_job_alone(
        home: Path, tmp_path: Path, store: JobStore, start_worker: Callable[[], Popen]) -> None:
    job = store.submit("train", {"run_id": tiny_run(home, "job-two", steps=5000, checkpoint_every=20)})
    first = start_worker()
    wait_for(store, job.job_id, lambda j: j.state == "running", tmp_path)
    start_worker()
    deadline = time.monotonic() + TIMEOUT_S
    while "ready" not in (tmp_path / "worker-1.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)  # the second worker has looked for abandoned jobs once it says it is ready
    assert "ready" in (tmp_path / "worker-1.log").read_text(), worker_logs(tmp_path)
    held = store.get(job.job_id)
    held_by = held.worker_id.rpartition(":")[2].partition("/")[0]  # host:pid/slot
    assert (held.state, held.attempts, held_by) == ("running", 1, str(first.pid))
    assert "recovered" not in worker_logs(tmp_path)
    store.cancel(job.job_id)
    assert wait_for(store, job.job_id, lambda j: j.finished, tmp_path).state == "cancelled"


def test_a_worker_stops_when_the_process_that_started_it_is_killed(home: Path, tmp_path: Path,
                                                                  store: JobStore) -> None:
    job = store.submit("train", {"run_id": tiny_run(home, "job-orphan", steps=5000, checkpoint_every=20)})
    starter = "import time; from backend.jobs import start_worker_process as s; print(s().pid, flush=True); " \
              "time.sleep(600)"
    with (tmp_path / "worker-0.log").open("w") as log:
        parent = Popen([sys.executable, "-c", starter], stdout=PIPE, stderr=log, text=True,
                       env={**os.environ, "FACTORSCOPE_HOME": str(home), "FACTORSCOPE_WORKER_POLL_S": "0.05"})
    worker = int(parent.stdout.readline())
    wait_for(store, job.job_id, lambda j: j.state == "running", tmp_path)
    parent.kill()  # as a SIGKILL of serve: no chance to stop its worker
    parent.wait(30)
    back = wait_for(store, job.job_id, lambda j: j.state == "queued", tmp_path)  # released, not left running
    assert back.message.startswith("interrupted") and back.attempts == 0
    deadline = time.monotonic() + TIMEOUT_S
    while _exists(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _exists(worker), worker_logs(tmp_path)
    assert "is gone: stopping" in worker_logs(tmp_path)


def _exists(pid: int) -> bool:
    """Whether ``pid`` runs (an exited child nobody reaped yet, a zombie, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_failures_are_recorded_with_the_reason(settings: Settings, store: JobStore) -> None:
    train = store.submit("train", {"run_id": "no-such-run"})
    evaluate = store.submit("evaluate", {"run_id": "no-such-run"})
    run_worker(settings, once=True)  # in this process: runs the queue empty, then returns
    for job in (train, evaluate):
        failed = store.get(job.job_id)
        assert failed.state == "failed" and failed.error.startswith("RunNotFoundError: no run 'no-such-run'"), failed


def test_a_job_of_a_kind_this_worker_lacks_fails(settings: Settings, store: JobStore) -> None:
    other = JobStore(settings.database_url, kinds={"bake": lambda payload, ctx: {}})
    job = other.submit("bake", {})
    other.close()
    run_worker(settings, once=True)
    assert "no handler for job kind 'bake'" in store.get(job.job_id).error


def test_a_result_that_cannot_be_stored_fails_the_job_not_the_worker(settings: Settings) -> None:
    store = JobStore(settings.database_url, kinds={"odd": lambda payload, ctx: {"x": object()},
                                                   "fine": lambda payload, ctx: {"ok": True}})
    try:
        odd, fine = store.submit("odd", {}), store.submit("fine", {})
        run_worker(settings, once=True, store=store)  # the queue runs empty: the loop outlives the bad result
        failed = store.get(odd.job_id)
        assert failed.state == "failed" and failed.error.startswith("TypeError: Object of type object"), failed
        assert (store.get(fine.job_id).state, store.get(fine.job_id).result) == ("succeeded", {"ok": True})
    finally:
        store.close()


def test_a_database_error_is_waited_out_not_fatal(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database going away for a moment (injected once: an outage cannot be staged here) costs a retry."""

    class Flaky(JobStore):
        failures = 1

        def claim_next(self, worker_id: str) -> Job | None:
            if self.failures:
                self.failures -= 1
                raise OperationalError("SELECT ...", {}, Exception("database is restarting"))
            return super().claim_next(worker_id)

    monkeypatch.setattr(worker_module, "DB_RETRY_S", 0.0)
    store = Flaky(settings.database_url, kinds={"fine": lambda payload, ctx: {"ok": True}})
    try:
        job = store.submit("fine", {})
        run_worker(settings, once=True, store=store)
        assert store.failures == 0 and store.get(job.job_id).state == "succeeded"
    finally:
        store.close()


def test_a_worker_that_ignores_sigint_is_killed_after_the_timeout() -> None:
    script = ("import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print('up', flush=True); "
              "time.sleep(120)")
    proc = Popen([sys.executable, "-c", script], stdout=PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "up\n"
        start = time.monotonic()
        assert stop_worker_process(proc, timeout_s=1.0) == -signal.SIGKILL and time.monotonic() - start < 30
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cancel_reaches_a_handler_through_its_context(settings: Settings) -> None:
    started = threading.Event()

    def spin(payload: dict, ctx: JobContext) -> dict:
        for i in range(10_000):
            started.set()
            ctx.report(i / 10_000, f"spin {i}")
            time.sleep(0.005)
        return {"spun": True}

    store = JobStore(settings.database_url, kinds={"spin": spin})
    try:
        job = store.submit("spin", {})
        worker = threading.Thread(target=run_worker, args=(settings,), kwargs={"once": True, "store": store})
        worker.start()
        assert started.wait(30)
        store.cancel(job.job_id)
        worker.join(30)
        assert not worker.is_alive() and store.get(job.job_id).state == "cancelled"
    finally:
        store.close()


def test_an_error_after_a_cancel_request_ends_the_job_cancelled(settings: Settings) -> None:
    """A run deleted under its running job: the job's next write fails, and the cancel, not the error, is why."""

    def deleted_under_it(payload: dict, ctx: JobContext) -> dict:
        store.cancel(ctx.job_id)  # what DELETE /runs/{id} does before it removes the files
        raise FileNotFoundError("runs/gone/train_log.jsonl")

    store = JobStore(settings.database_url, kinds={"gone": deleted_under_it})
    try:
        job = store.submit("gone", {})
        run_worker(settings, once=True, store=store)
        done = store.get(job.job_id)
        assert done.state == "cancelled" and done.error is None, done
    finally:
        store.close()


@pytest.mark.parametrize("how", ["cancel", "stop"])
def test_a_train_job_stops_between_progress_reports(home: Path, settings: Settings, store: JobStore,
                                                    how: str) -> None:
    """log_every larger than the run: no progress report comes until the end, yet a cancel (seen by the job's
    heartbeat) or a worker stop ends it within a step."""
    run_id = f"quiet-{how}"
    create_run(home, "vae", {"latent_dim": 3, "hidden": [32]}, "bars",
               TrainConfig(steps=200_000, log_every=1_000_000, eval_every=1_000_000, checkpoint_every=20),
               run_id=run_id)
    job = store.submit("train", {"run_id": run_id})
    stop = threading.Event()
    fast = settings.model_copy(update={"worker_heartbeat_s": 0.05})
    worker = threading.Thread(target=run_worker, args=(fast, stop), kwargs={"store": store})
    worker.start()
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not has_checkpoint(home, run_id):
            assert time.monotonic() < deadline, "no checkpoint"
            time.sleep(0.02)
        if how == "cancel":
            store.cancel(job.job_id)
        else:
            stop.set()
        wanted = {"cancel": "cancelled", "stop": "queued"}[how]
        done = wait_for(store, job.job_id, lambda j: j.state == wanted, home)
        assert done.progress < 1.0 and has_checkpoint(home, run_id) and not has_weights(home, run_id)
    finally:
        stop.set()
        worker.join(TIMEOUT_S)
    assert not worker.is_alive()


def test_a_job_whose_heartbeat_cannot_reach_the_database_stops(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut off from the database (injected: an outage cannot be staged here), a worker stops writing into the run
    before another worker may take the job over."""

    class Unreachable(JobStore):
        def touch(self, job_id: str, worker_id: str | None = None) -> bool:
            raise OperationalError("UPDATE jobs ...", {}, Exception("could not connect to server"))

    monkeypatch.setattr(liveness, "STALE_AFTER_S", 0.4)
    store = Unreachable(settings.database_url)
    try:
        job = store.submit("train", {"run_id": "r"})
        cancelled, lost = threading.Event(), threading.Event()
        with liveness.heartbeat(store, job.job_id, "w:1", cancelled, lost, every_s=0.02):
            assert lost.wait(TIMEOUT_S) and not cancelled.is_set()  # stopped to go back to the queue, not cancelled
    finally:
        store.close()


def test_a_failed_jobs_error_shows_no_server_path(settings: Settings) -> None:
    def broken(payload: dict, ctx: JobContext) -> dict:
        raise FileNotFoundError(f"{ctx.home}/runs/r/metrics.json is missing")

    store = JobStore(settings.database_url, kinds={"broken": broken})
    try:
        job = store.submit("broken", {})
        run_worker(settings, once=True, store=store)
        error = store.get(job.job_id).error
        assert error == "FileNotFoundError: FACTORSCOPE_HOME/runs/r/metrics.json is missing", error
    finally:
        store.close()


def test_a_train_job_never_trains_a_run_made_anew_under_its_id(home: Path, settings: Settings,
                                                               store: JobStore) -> None:
    """Its cancel lost (say the database was busy when the run was deleted), a queued job meets a new run."""
    nonce = run_nonce(home, tiny_run(home, "anew"))
    job = store.submit("train", {"run_id": "anew", "nonce": nonce})
    delete_run(home, "anew")
    tiny_run(home, "anew")
    run_worker(settings, once=True, store=store)
    assert store.get(job.job_id).state == "cancelled" and not has_weights(home, "anew")
