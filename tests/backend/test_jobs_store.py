"""JobStore on a real database: SQLite, and PostgreSQL at FACTORSCOPE_TEST_POSTGRES_URL or, without it, on a
throwaway cluster started from the installed server (``database_url`` in conftest.py: each PostgreSQL test gets a
fresh schema, dropped afterwards)."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen

import pytest
import sqlalchemy as sa

from backend.config import Settings
from backend.jobs import MAX_ATTEMPTS, JobNotFoundError, JobStore
from backend.jobs.liveness import STALE_AFTER_S, worker_alive


def all_dead(job: object) -> bool:  # recovery as at a lone worker's start: every holder is gone
    return False


@pytest.fixture
def open_store(database_url: str) -> Iterator[Callable[[], JobStore]]:
    """Opens JobStores on the test's database (each its own engine, like separate processes); closes them."""
    opened: list[JobStore] = []

    def open_() -> JobStore:
        opened.append(JobStore(database_url))
        return opened[-1]

    try:
        yield open_
    finally:
        for store in opened:
            store.close()


@pytest.fixture
def store(open_store: Callable[[], JobStore]) -> JobStore:
    return open_store()


def test_submit_get_list(store: JobStore) -> None:
    a = store.submit("train", {"run_id": "a"})
    b = store.submit("evaluate", {"run_id": "b"})
    assert (a.state, a.progress, a.result, a.error, a.cancel_requested, a.attempts) == ("queued", 0.0, None, None,
                                                                                        False, 0)
    assert len(a.job_id) == 32 and a.created.endswith("+00:00") and a.created == a.updated
    assert store.get(a.job_id) == a
    assert [j.job_id for j in store.list()] == [b.job_id, a.job_id]  # newest first
    assert [j.job_id for j in store.list(kind="train")] == [a.job_id]
    assert [j.job_id for j in store.list(limit=1)] == [b.job_id]
    assert store.list(state="running") == []
    store.claim_next("w")  # a runs
    store.cancel(b.job_id)
    c = store.submit("train", {"run_id": "c"})
    assert [j.job_id for j in store.list(active=True)] == [c.job_id, a.job_id]  # queued or running, not cancelled
    assert [j.job_id for j in store.list(active=True, kind="evaluate")] == []


def test_queue_position_and_submit_once_answering_the_unfinished_job(store: JobStore) -> None:
    a, b, c = (store.submit(kind, {"run_id": run}) for kind, run in (("train", "x"), ("evaluate", "x"),
                                                                      ("evaluate", "y")))
    assert [store.queue_positions().get(j.job_id) for j in (a, b, c)] == [0, 1, 2]
    assert store.claim_next("w1").job_id == a.job_id
    assert [store.queue_positions().get(j.job_id) for j in (a, b, c)] == [None, 1, 2]  # a runs: still ahead
    assert store.submit_once("evaluate", {"run_id": "x"}).job_id == b.job_id  # queued: answered, not queued again
    assert store.submit_once("train", {"run_id": "x"}).job_id == a.job_id  # running: likewise
    store.cancel(b.job_id)
    assert [j.job_id for j in store.list(active=True, kind="evaluate")] == [c.job_id]
    assert store.queue_positions().get(c.job_id) == 1 and len(store.list()) == 3  # nothing new was queued
    store.report(a.job_id, 0.1 * 3, "step 30")  # 0.30000000000000004
    assert store.get(a.job_id).progress == 0.3


def test_a_runs_jobs_are_found_by_its_run_id(store: JobStore) -> None:
    first = store.submit("train", {"run_id": "x"})
    store.submit("train", {"run_id": "y"})
    evaluation = store.submit("evaluate", {"run_id": "x"})
    second = store.submit("train", {"run_id": "x"})  # a retry: the newest training of x
    assert [j.job_id for j in store.list(run_id="x")] == [second.job_id, evaluation.job_id, first.job_id]
    assert [j.job_id for j in store.list(run_id="x", kind="evaluate")] == [evaluation.job_id]
    newest = store.newest_by_run("train")
    assert sorted(newest) == ["x", "y"] and newest["x"] == second
    assert store.newest_by_run("evaluate") == {"x": evaluation}


def test_an_old_failed_run_stays_failed_after_1100_newer_jobs(store: JobStore) -> None:
    old = store.submit("train", {"run_id": "old"})
    store.claim_next("w")
    store.fail(old.job_id, "ConfigError: boom", "w")
    for i in range(1100):  # more than a job list holds (MAX_LIST = 1000)
        store.submit("train", {"run_id": f"run-{i}"})
    newest = store.newest_by_run("train")
    assert len(newest) == 1101
    assert (newest["old"].job_id, newest["old"].state, newest["old"].error) == (old.job_id, "failed",
                                                                                "ConfigError: boom")


def test_bad_input_is_a_value_error_that_says_what_is_expected(store: JobStore) -> None:
    kinds = r"\['evaluate', 'lens_fit', 'projection', 'train'\]"
    with pytest.raises(ValueError, match=rf"unknown job kind 'bake': expected one of {kinds}"):
        store.submit("bake", {})
    with pytest.raises(ValueError, match=r"payload\['run_id'\]"):
        store.submit("train", {"run": "x"})
    with pytest.raises(ValueError, match="limit must be in"):
        store.list(limit=0)
    with pytest.raises(ValueError, match="unknown job state"):
        store.list(state="done")
    assert store.list() == []


def test_unknown_job_is_not_found(store: JobStore) -> None:
    for call in (store.get, store.cancel):
        with pytest.raises(JobNotFoundError, match="no job 'nope'"):
            call("nope")
    with pytest.raises(KeyError):
        store.report("nope", 0.5, "x")


def test_worker_side_state_machine(store: JobStore) -> None:
    job = store.submit("train", {"run_id": "r"})
    running = store.claim_next("w1")
    assert running is not None and running.job_id == job.job_id
    assert (running.state, running.attempts, running.worker_id) == ("running", 1, "w1")
    assert store.claim_next("w2") is None
    assert store.report(job.job_id, 0.25, "step 50/200 loss 3.1") is True
    assert (store.get(job.job_id).progress, store.get(job.job_id).message) == (0.25, "step 50/200 loss 3.1")
    done = store.succeed(job.job_id, {"run_id": "r", "version": "abc"})
    assert (done.state, done.progress, done.result) == ("succeeded", 1.0, {"run_id": "r", "version": "abc"})
    assert store.cancel(job.job_id) == done  # finished: unchanged
    assert store.report(job.job_id, 0.5, "late") is False and store.get(job.job_id) == done

    bad = store.submit("train", {"run_id": "r2"})
    store.claim_next("w1")
    failed = store.fail(bad.job_id, "RunNotFoundError: no run 'r2'")
    assert (failed.state, failed.error) == ("failed", "RunNotFoundError: no run 'r2'")


def test_cancel_queued_at_once_and_running_by_request(store: JobStore) -> None:
    queued = store.submit("train", {"run_id": "q"})
    cancelled = store.cancel(queued.job_id)
    assert (cancelled.state, cancelled.cancel_requested) == ("cancelled", True)
    assert store.claim_next("w") is None  # a cancelled job is never run

    job = store.submit("train", {"run_id": "r"})
    store.claim_next("w")
    requested = store.cancel(job.job_id)
    assert (requested.state, requested.cancel_requested, requested.message) == ("running", True, "cancel requested")
    assert store.report(job.job_id, 0.5, "step 100/200") is False  # the worker learns it must stop
    assert store.get(job.job_id).message == "cancel requested"
    assert store.mark_cancelled(job.job_id).state == "cancelled"


def test_claim_is_atomic_under_concurrency(open_store: Callable[[], JobStore]) -> None:
    ids = {open_store().submit("train", {"run_id": f"r{i}"}).job_id for i in range(20)}
    stores = [open_store() for _ in range(4)]
    claimed: list[list[str]] = [[] for _ in stores]
    start = threading.Barrier(len(stores))

    def claim_all(k: int) -> None:
        start.wait()
        while (job := stores[k].claim_next(f"w{k}")) is not None:
            claimed[k].append(job.job_id)
            time.sleep(0.002)  # a worker runs the job before it claims again, so the claimers interleave

    threads = [threading.Thread(target=claim_all, args=(k,)) for k in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    every = [j for got in claimed for j in got]
    assert sorted(every) == sorted(ids), "each job claimed exactly once"
    jobs = stores[0].list()
    assert all(j.state == "running" and j.attempts == 1 for j in jobs)
    assert {j.job_id: j.worker_id for j in jobs} == {j: f"w{k}" for k, got in enumerate(claimed) for j in got}


def test_submit_once_queues_one_job_per_run_under_concurrency(open_store: Callable[[], JobStore]) -> None:
    stores = [open_store() for _ in range(4)]
    start = threading.Barrier(len(stores))
    got: list[list[str]] = [[] for _ in stores]

    def submit(k: int) -> None:
        start.wait()
        got[k].extend(stores[k].submit_once("evaluate", {"run_id": "x"}).job_id for _ in range(5))

    threads = [threading.Thread(target=submit, args=(k,)) for k in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    first = got[0][0]
    assert {j for ids in got for j in ids} == {first} and sum(map(len, got)) == 20
    store = stores[0]
    assert [j.job_id for j in store.list()] == [first]
    assert store.submit_once("evaluate", {"run_id": "y"}).job_id != first  # another run
    assert store.submit_once("train", {"run_id": "x"}).job_id != first  # another kind
    store.claim_next("w")
    assert store.submit_once("evaluate", {"run_id": "x"}).job_id == first  # running still counts
    store.cancel(first)
    assert store.submit_once("evaluate", {"run_id": "x"}).job_id != first  # being cancelled: a new one


def test_submit_once_with_the_same_payload_under_concurrency(open_store: Callable[[], JobStore]) -> None:
    """A projection's dedupe: with same_payload only a job of equal payload is the same job, still one transaction."""
    stores = [open_store() for _ in range(4)]
    start = threading.Barrier(len(stores))
    payloads = [{"run_id": "x", "version": "v1", "method": "pca", "n": 100, "seed": seed} for seed in range(3)]
    got: list[list[str]] = [[] for _ in stores]

    def submit(k: int) -> None:
        start.wait()
        got[k].extend(stores[k].submit_once("projection", p, same_payload=True).job_id for p in payloads * 2)

    threads = [threading.Thread(target=submit, args=(k,)) for k in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(ids[:3] == got[0][:3] and ids[3:] == got[0][:3] for ids in got)  # one job per payload, for all
    store = stores[0]
    assert len(set(got[0])) == 3 and len(store.list()) == 3
    assert {j.job_id: j.payload["seed"] for j in store.list()} == dict(zip(got[0][:3], range(3), strict=True))
    assert store.submit_once("projection", {**payloads[0], "seed": 9}, same_payload=True).job_id not in got[0]
    assert store.submit_once("projection", payloads[1]).job_id == got[0][0]  # without it: any of the run's kind


def test_claim_takes_the_oldest_first(store: JobStore) -> None:
    ids = [store.submit("train", {"run_id": f"r{i}"}).job_id for i in range(3)]
    assert [store.claim_next("w").job_id for _ in ids] == ids


def test_recover_requeues_once_then_fails(store: JobStore) -> None:
    job = store.submit("train", {"run_id": "r"})
    store.claim_next("dead-1")
    store.report(job.job_id, 0.4, "step 80/200")
    assert store.recover(alive=all_dead) == [job.job_id]
    again = store.get(job.job_id)
    assert (again.state, again.attempts, again.worker_id, again.progress) == ("queued", 1, None, 0.4)
    assert "re-queued after worker dead-1 stopped" in again.message
    assert store.recover(alive=all_dead) == []  # nothing running now

    assert store.claim_next("dead-2").attempts == MAX_ATTEMPTS
    assert store.recover(alive=all_dead) == [job.job_id]
    failed = store.get(job.job_id)
    assert failed.state == "failed" and f"stopped while running this job {MAX_ATTEMPTS} times" in failed.error
    assert store.claim_next("w") is None


def test_recover_cancels_a_job_whose_cancel_was_pending(store: JobStore) -> None:
    job = store.submit("train", {"run_id": "r"})
    store.claim_next("dead")
    store.cancel(job.job_id)
    assert store.recover(alive=all_dead) == [job.job_id]
    assert store.get(job.job_id).state == "cancelled"


def test_recover_leaves_jobs_of_live_workers_alone(store: JobStore) -> None:
    """A worker on this host is alive while its process is; one elsewhere while it touched its job lately; one
    with the recovering worker's own id is an earlier process (the recovering one holds no job)."""
    here, gone, far, quiet, mine = (store.submit("train", {"run_id": f"r{i}"}) for i in range(5))
    store.claim_next(f"{socket.gethostname()}:{os.getpid()}")  # this test process: alive
    store.claim_next(f"{socket.gethostname()}:{_exited_pid()}")
    store.claim_next("another-host:12")
    store.claim_next("another-host:13")
    store.claim_next("this-host:7")
    with store.engine.begin() as conn:  # its last heartbeat: longer ago than STALE_AFTER_S
        old = (datetime.now(UTC) - timedelta(seconds=STALE_AFTER_S + 1)).isoformat(timespec="microseconds")
        conn.execute(sa.text("UPDATE jobs SET updated = :old WHERE id = :id"), {"old": old, "id": quiet.job_id})
    recovered = store.recover(alive=lambda job: worker_alive(job, "this-host:7"))
    assert sorted(recovered) == sorted([gone.job_id, quiet.job_id, mine.job_id])
    states = [store.get(j.job_id).state for j in (here, gone, far, quiet, mine)]
    assert states == ["running", "queued", "running", "queued", "queued"]


def test_a_worker_whose_job_was_taken_over_changes_nothing(store: JobStore) -> None:
    """Fencing: worker A stalled, its job went to B; A's report says stop and A's result is not written."""
    job = store.submit("train", {"run_id": "r"})
    store.claim_next("a:1")
    store.recover(alive=all_dead)  # A looked dead
    store.claim_next("b:2")
    assert store.report(job.job_id, 0.5, "step 5", "a:1") is False and store.touch(job.job_id, "a:1") is False
    assert store.succeed(job.job_id, {"by": "a"}, "a:1").state == "running"  # still B's
    assert store.report(job.job_id, 0.6, "step 6", "b:2") is True
    done = store.succeed(job.job_id, {"by": "b"}, "b:2")
    assert (done.state, done.result, done.worker_id, done.progress) == ("succeeded", {"by": "b"}, "b:2", 1.0)


def test_workers_sign_in_stay_seen_and_sign_off(store: JobStore) -> None:
    before = datetime.now(UTC).isoformat(timespec="microseconds")
    store.worker_seen("host:1")
    store.worker_seen("host:2")
    store.worker_seen("host:1")  # seen again: still one row
    assert store.live_workers(before) == ["host:1", "host:2"]
    later = datetime.now(UTC).isoformat(timespec="microseconds")
    store.worker_seen("host:2")
    assert store.live_workers(later) == ["host:2"]  # host:1 gave no sign of life since
    store.worker_gone("host:2")
    assert store.live_workers(before) == ["host:1"]
    store.forget_workers(later)  # host:1 was last seen before then
    assert store.live_workers(before) == []


def _exited_pid() -> int:
    proc = Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: no process has this pid now
    return proc.pid


def test_release_requeues_without_counting_an_attempt(store: JobStore) -> None:
    job = store.submit("train", {"run_id": "r"})
    store.claim_next("w")
    released = store.release(job.job_id, "interrupted")
    assert (released.state, released.attempts, released.message) == ("queued", 0, "interrupted")
    store.claim_next("w")
    store.cancel(job.job_id)
    assert store.release(job.job_id, "interrupted").state == "cancelled"


def test_progress_is_clamped_and_must_be_a_number(store: JobStore) -> None:
    job = store.submit("train", {"run_id": "r"})
    store.claim_next("w")
    store.report(job.job_id, 1.7, "over")
    assert store.get(job.job_id).progress == 1.0
    store.report(job.job_id, -0.5, "under")
    assert store.get(job.job_id).progress == 0.0
    with pytest.raises(ValueError, match="progress must be a number"):
        store.report(job.job_id, float("nan"), "x")


def test_jobs_survive_reopening_the_database(open_store: Callable[[], JobStore]) -> None:
    first = open_store()
    queued = first.submit("train", {"run_id": "a"})
    done = first.submit("evaluate", {"run_id": "b"})
    first.claim_next("w")
    first.claim_next("w")
    first.succeed(done.job_id, {"run_id": "b"})
    first.close()
    second = open_store()  # a restarted process: same database, new engine, tables already there
    assert second.get(done.job_id).result == {"run_id": "b"}
    assert second.get(queued.job_id).state == "running"
    assert {j.job_id for j in second.list()} == {queued.job_id, done.job_id}


def test_sqlite_file_is_created_in_wal_mode(tmp_path: Path) -> None:
    store = JobStore(f"sqlite:///{tmp_path}/new/dir/jobs.db")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        store.close()
    assert (tmp_path / "new" / "dir" / "jobs.db").is_file()


def test_bad_database_urls_are_value_errors() -> None:
    with pytest.raises(ValueError, match="expected sqlite:///path.db or postgresql"):
        JobStore("mysql://u@h/db")
    with pytest.raises(ValueError, match="SQLite needs a file"):
        JobStore("sqlite://")


def test_settings_default_database_is_sqlite_in_home(tmp_path: Path) -> None:
    assert Settings(home=tmp_path).database_url == f"sqlite:///{tmp_path}/factorscope.db"
    assert Settings(home=tmp_path, database_url="sqlite:///x.db").database_url == "sqlite:///x.db"
    assert Settings(home=tmp_path).worker_poll_s == 1.0
