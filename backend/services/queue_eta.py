"""When each queued job should start: the worker slots that run now (``live_workers``: one row per slot), each free
once its running job ends (its rate so far: a training's steps/s from the tail of its log, another job's progress
since it was claimed), then the queued jobs taken in ``claim_next``'s order (priority, then age), each by the slot
free first and holding it for its own duration (a training: its steps left at the last observed steps/s of its run,
else of the newest run of the same family on the same dataset). A job whose run's training is unfinished starts no
earlier than that training's end. Unknown (with the reason) when no worker runs or no slot's end is known.

The estimate assumes the running jobs go on at their rate so far and nothing of a higher priority is queued
meanwhile; with some slots' ends unknown it is the earliest known end (the job may start sooner)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..jobs import Job, JobStore
from ..jobs.handlers import TRAINING_KINDS
from ..jobs.liveness import live_workers
from ..runs import RunNotFoundError, RunRecord
from ..runs.folders import LOG_FILE, run_dir
from ..store import RunStore
from .train_log import parse_line

TAIL_BYTES = 16_384  # the log's last lines: the steps/s observed lately (not across a pause before a resume)
RECENT_LINES = 50  # of which the rate is taken over at most this many


@dataclass(frozen=True)
class Eta:
    """Seconds from now (None: unknown, and ``reason`` says why)."""

    seconds: float | None
    reason: str | None = None

    def then(self, more: Eta) -> Eta:
        """This time plus ``more`` (unknown when either is)."""
        if self.seconds is None:
            return self
        if more.seconds is None:
            return more
        return Eta(self.seconds + more.seconds)


def start_estimates(jobs: JobStore, store: RunStore) -> dict[str, Eta]:
    """Each queued job's id -> when it should start (see the module's docstring); one read of the queue."""
    running, queued = jobs.line()
    live = len(live_workers(jobs))
    if not live:  # (a job shown running then was left by a stopped worker)
        return {job.job_id: Eta(None, "no job worker is running: it starts once one does") for job in queued}
    clock, slots = Durations(store), max(live, len(running))
    free = [clock.remaining(job) for job in running] + [Eta(0.0)] * (slots - len(running))
    ends = {_run(job): free[i] for i, job in enumerate(running) if job.kind in TRAINING_KINDS}  # run -> its end
    starts = {}
    for job in queued:
        slot = _first_free(free)
        start = _after(free[slot], ends.get(_run(job)) if job.kind not in TRAINING_KINDS else None)
        starts[job.job_id] = start
        free[slot] = start.then(clock.duration(job))
        if job.kind in TRAINING_KINDS:
            ends.setdefault(_run(job), free[slot])
    return starts


def _run(job: Job) -> str | None:
    """The run ``job`` works on (every kind's payload names one)."""
    run_id = job.payload.get("run_id")
    return run_id if isinstance(run_id, str) else None


def _first_free(free: list[Eta]) -> int:
    """The slot free first among those whose end is known; the first slot when none is."""
    known = [i for i, eta in enumerate(free) if eta.seconds is not None]
    return min(known, key=lambda i: free[i].seconds or 0.0) if known else 0


def _after(slot: Eta, training: Eta | None) -> Eta:
    """A job's start: when its slot is free, and not before its run's unfinished training (``training``) ends."""
    if training is None or slot.seconds is None:
        return slot
    if training.seconds is None:
        return Eta(None, f"it waits for its run's training, whose end is not known ({training.reason})")
    return Eta(max(slot.seconds, training.seconds))


class Durations:
    """How long jobs take, from what the runs and the queue say now (run records read once each)."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.rates: dict[tuple[str, str], float | None] = {}  # (family, dataset) -> steps/s of its newest timed run

    def remaining(self, job: Job) -> Eta:
        """A running job's time left: a training's steps left at its own steps/s, else its progress rate since it
        was claimed; unknown before it reports progress."""
        if job.kind == "train":
            eta = self._training(job, own_only=True)
            if eta.seconds is not None:
                return eta
        if job.started is None or job.progress <= 0:
            return Eta(None, f"the running {job.kind} job {job.job_id} has not reported progress yet")
        elapsed = max((datetime.now(UTC) - datetime.fromisoformat(job.started)).total_seconds(), 0.0)
        return Eta(elapsed * (1 - job.progress) / job.progress)

    def duration(self, job: Job) -> Eta:
        """A queued job's run time: a training's steps left at the observed steps/s; unknown for other kinds."""
        if job.kind == "train":
            return self._training(job, own_only=False)
        return Eta(None, f"how long the {job.kind} job {job.job_id} ahead takes is not known")

    def _training(self, job: Job, own_only: bool) -> Eta:
        record = self._record(_run(job))
        if record is None:
            return Eta(None, f"the run of training job {job.job_id} is gone")
        rate = steps_per_s(run_dir(self.store.home, record.run_id) / LOG_FILE)
        if rate is None and not own_only:
            rate = self._family_rate(record)
        if rate is None:
            return Eta(None, f"no {record.family} run on {record.dataset} has been timed yet")
        steps = int(record.train.get("steps") or 0)
        return Eta(steps * (1 - job.progress) / rate)

    def _record(self, run_id: str | None) -> RunRecord | None:
        try:
            return self.store.record(run_id) if run_id else None
        except (RunNotFoundError, OSError, ValueError):  # deleted meanwhile, or unreadable
            return None

    def _family_rate(self, record: RunRecord) -> float | None:
        key = (record.family, record.dataset)
        if key not in self.rates:
            alike = sorted((r for r in self.store.records() if (r.family, r.dataset) == key and r.finished),
                           key=lambda r: r.created, reverse=True)
            self.rates[key] = next((rate for r in alike
                                    if (rate := steps_per_s(run_dir(self.store.home, r.run_id) / LOG_FILE))), None)
        return self.rates[key]


def steps_per_s(log: Path) -> float | None:
    """Steps per second over the last RECENT_LINES lines of a training log (``train_log.jsonl``: step and unix time
    per line); None without two timed lines that differ."""
    try:
        with log.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(size - TAIL_BYTES, 0))
            data = f.read()
    except OSError:
        return None
    lines = data.splitlines(keepends=True)[1 if size > TAIL_BYTES else 0:]  # the line the seek cut into goes
    timed = [(e["step"], e["time"]) for e in map(parse_line, lines)
             if e is not None and isinstance(e.get("time"), int | float)][-RECENT_LINES:]
    if len(timed) < 2 or timed[-1][0] <= timed[0][0] or timed[-1][1] <= timed[0][1]:
        return None
    return (timed[-1][0] - timed[0][0]) / (timed[-1][1] - timed[0][1])
