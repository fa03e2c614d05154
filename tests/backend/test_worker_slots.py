"""Worker slots for real: ``run_worker`` threads each claiming jobs as ``host:pid/slot`` (a long job and a short one
run at once; a stop puts every running job back; an unexpected error in one slot stops all), recovery telling this
process's slots apart, ``factorscope worker --slots``, and the bounded retries of a job whose own database work keeps
failing while the database answers; torch's thread count with two trainings in two slots."""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from sqlalchemy.exc import OperationalError

from backend.cli_worker import add_worker_parser
from backend.config import Settings
from backend.jobs import Job, JobContext, JobStore, liveness, run_worker
from backend.jobs import worker as worker_module
from backend.jobs.liveness import live_workers, worker_alive
from models import cpu_threads

TIMEOUT_S = 120.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path}/jobs.db", worker_poll_s=0.05,
                    worker_db_retries=2)


def poll(what: Callable[[], Any], message: Callable[[], str]) -> Any:
    """``what()`` once it is truthy (every 20 ms); fails with ``message()`` after TIMEOUT_S."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if value := what():
            return value
        time.sleep(0.02)
    pytest.fail(message())


def until_released(release: threading.Event) -> Callable[[dict[str, Any], JobContext], dict[str, Any]]:
    """A handler that reports progress until ``release`` is set (or it is told to stop: ``check`` raises)."""

    def handler(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        while not release.wait(0.02):
            ctx.report(0.5, "waiting for its release")
        return {"released": True}

    return handler


@pytest.fixture
def worker(settings: Settings) -> Iterator[Callable[..., JobStore]]:
    """``worker(kinds, slots)``: a store with those job kinds and ``run_worker`` on it in a thread (``slots``
    slots); at the end the worker is stopped, joined, and the store closed."""
    stop, started = threading.Event(), []

    def start(kinds: dict[str, Any], slots: int) -> JobStore:
        store = JobStore(settings.database_url, kinds=kinds)
        thread = threading.Thread(target=run_worker, args=(settings, stop), kwargs={"store": store, "slots": slots})
        thread.start()
        started.append((store, thread))
        return store

    try:
        yield start
    finally:
        stop.set()
        for store, thread in started:
            thread.join(TIMEOUT_S)
            store.close()


def test_two_slots_run_a_long_and_a_short_job_at_once(worker: Callable[..., JobStore]) -> None:
    release = threading.Event()  # the long job ends only once the short one, queued after it, has succeeded
    store = worker({"long": until_released(release), "short": lambda payload, ctx: {"short": True}}, slots=2)
    long, short = store.submit("long", {}), store.submit("short", {})
    done = poll(lambda: store.get(short.job_id).state == "succeeded" and store.get(short.job_id),
                lambda: f"the short job never ran beside the long one: {store.get(short.job_id)}")
    running = store.get(long.job_id)
    assert running.state == "running" and running.worker_id != done.worker_id, (running, done)
    assert {running.worker_id.rpartition("/")[0], done.worker_id.rpartition("/")[0]} == {worker_module.worker_id()}
    assert sorted(live_workers(store)) == [worker_module.worker_id(0), worker_module.worker_id(1)]
    release.set()
    assert poll(lambda: store.get(long.job_id).finished and store.get(long.job_id),
                lambda: str(store.get(long.job_id))).result == {"released": True}


def test_stopping_the_worker_puts_every_running_job_back(settings: Settings) -> None:
    store = JobStore(settings.database_url, kinds={"long": until_released(threading.Event())})
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(settings, stop), kwargs={"store": store, "slots": 3})
    try:
        jobs = [store.submit("long", {}) for _ in range(3)]
        thread.start()
        poll(lambda: all(store.get(j.job_id).state == "running" for j in jobs),
             lambda: str([store.get(j.job_id) for j in jobs]))
        assert len({store.get(j.job_id).worker_id for j in jobs}) == 3  # one a slot
        stop.set()
        thread.join(TIMEOUT_S)
        assert not thread.is_alive()
        back = [store.get(j.job_id) for j in jobs]
        assert [(j.state, j.worker_id, j.attempts) for j in back] == [("queued", None, 0)] * 3, back
        assert live_workers(store) == []  # every slot signed off
    finally:
        stop.set()
        thread.join(TIMEOUT_S)
        store.close()


def test_an_unexpected_error_in_one_slot_stops_them_all(settings: Settings) -> None:
    class Broken(JobStore):
        def claim_next(self, worker_id: str) -> Job | None:
            if worker_id.endswith("/1"):
                raise RuntimeError("a bug in slot 1")
            return super().claim_next(worker_id)

    store, stop = Broken(settings.database_url), threading.Event()
    try:
        with pytest.raises(RuntimeError, match="a bug in slot 1"):
            run_worker(settings, stop, store=store, slots=2)  # without once: only the error ends it
        assert stop.is_set()
    finally:
        store.close()


def test_recovery_tells_this_processs_slots_apart() -> None:
    me, now = worker_module.worker_id(), liveness._ago(0)

    def held_by(worker_id: str) -> Job:
        return Job("j", "train", "running", 0.5, "", {}, None, None, now, now, False, 1, worker_id)

    assert not worker_alive(held_by(f"{me}/1"), me)  # at start, every slot of this process id is an earlier one's
    assert not worker_alive(held_by(me), me)  # (as is a job held before slots existed)
    assert not worker_alive(held_by(f"{me}/1"), f"{me}/1")  # an idle slot's own job
    assert worker_alive(held_by(f"{me}/0"), f"{me}/1")  # another slot of this process, beating
    assert not worker_alive(held_by(f"{me.rpartition(':')[0]}:999999999/0"), f"{me}/1")  # a process gone


def test_worker_slots_on_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    add_worker_parser(parser.add_subparsers())
    assert parser.parse_args(["worker", "--slots", "3"]).slots == 3
    assert parser.parse_args(["worker"]).slots is None  # the setting's (worker_slots, 2 by default)
    for bad in ("0", "65", "two", "-1"):
        with pytest.raises(SystemExit):
            parser.parse_args(["worker", "--slots", bad])


def db_error(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """A job whose own database work fails every time (SQLite says so for a table that is not there)."""
    raise OperationalError("SELECT * FROM gone", {}, Exception("no such table: gone"))


def test_a_job_meeting_a_database_error_every_time_fails_after_the_retries(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "DB_RETRY_S", 0.0)
    calls: list[str] = []

    def counted(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        calls.append(ctx.job_id)
        return db_error(payload, ctx)

    store = JobStore(settings.database_url, kinds={"gone": counted})
    try:
        job = store.submit("gone", {})
        run_worker(settings, once=True, store=store, slots=1)
        failed = store.get(job.job_id)
        assert failed.state == "failed" and len(calls) == settings.worker_db_retries + 1, (failed, calls)
        assert failed.error.startswith("OperationalError: no such table: gone (it came back each time"), failed.error
        assert "not retrying again" in failed.error
    finally:
        store.close()


def test_an_outage_is_waited_out_however_often_it_comes(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the database does not answer (its ping fails) the job's errors are not counted: it succeeds later."""
    monkeypatch.setattr(worker_module, "DB_RETRY_S", 0.0)
    outage = [5]  # the job meets the outage this many times, each time the ping after it fails too

    class Down(JobStore):
        def ping(self) -> None:
            if outage[0]:
                outage[0] -= 1
                raise OperationalError("SELECT 1", {}, Exception("connection refused"))
            super().ping()

    def job(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        if outage[0]:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return {"ok": True}

    store = Down(settings.database_url, kinds={"flaky": job})
    try:
        submitted = store.submit("flaky", {})
        run_worker(settings, once=True, store=store, slots=1)
        assert store.get(submitted.job_id).state == "succeeded" and outage == [0]
    finally:
        store.close()


def test_torch_threads_of_jobs_in_two_slots_come_back_as_they_were() -> None:
    """Two trainings' ``cpu_threads`` blocks overlapping in two slot threads, the first closing first: the second's
    count holds until it closes, then the count from before both (torch's count is one for the process)."""
    before = torch.get_num_threads()
    first_open, second_open, first_closed = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def first() -> None:
        with cpu_threads(1):
            first_open.set()
            second_open.wait(TIMEOUT_S)
        first_closed.set()

    def second() -> None:
        first_open.wait(TIMEOUT_S)
        with cpu_threads(3):
            second_open.set()
            first_closed.wait(TIMEOUT_S)
            seen["after the first closed"] = torch.get_num_threads()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert seen == {"after the first closed": 3} and torch.get_num_threads() == before
