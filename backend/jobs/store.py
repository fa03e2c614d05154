"""``JobStore``: the jobs table behind a small state machine. Every write is one transaction.

queued -> running (claim_next) -> succeeded | failed | cancelled; queued -> cancelled (cancel);
running -> queued (release: the worker stopped cleanly; recover: the worker died, once).
"""

from __future__ import annotations

import builtins
import hashlib
import json
import math
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, delete, exists, func, insert, select, text, update

from ..db import jobs, make_engine, read_only, upgrade, workers
from .handlers import JOB_KINDS, TRAINING_KINDS, Handler, check_payload
from .model import MAX_ATTEMPTS, STATES, Job, JobNotFoundError, check_priority, now_iso

MAX_MESSAGE = 1000
UNFINISHED = ("queued", "running")
MAX_LIST = 1000
CLAIM_ORDER = (jobs.c.priority.desc(), jobs.c.created, jobs.c.id)  # higher priority first, then oldest first


class JobStore:
    """Jobs in SQLite (``sqlite:///path.db``) or PostgreSQL (``postgresql+psycopg://...``); opening one migrates
    the database to the head revision. Safe to share between threads; several processes may use one database."""

    def __init__(self, database_url: str, kinds: Mapping[str, Handler] | None = None) -> None:
        self.engine: Engine = make_engine(database_url)
        self.kinds: dict[str, Handler] = dict(JOB_KINDS if kinds is None else kinds)
        upgrade(self.engine)

    def close(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()

    def ping(self) -> None:
        """Raise unless the database answers (for readiness checks)."""
        with self._read() as conn:
            conn.execute(text("SELECT 1"))

    def _read(self) -> AbstractContextManager[Connection]:
        """A read-only transaction (on SQLite: a WAL snapshot that takes no write lock)."""
        return read_only(self.engine)

    # --- the API side -------------------------------------------------------------------------------

    def submit(self, kind: str, payload: dict[str, Any], priority: int = 0) -> Job:
        """Queue a job (``priority``: see ``PRIORITIES``); ValueError for an unknown kind, a payload the kind cannot
        use or a priority out of range."""
        self._check(kind, payload, priority)
        with self.engine.begin() as conn:
            return _insert(conn, kind, payload, priority)

    def submit_once(self, kind: str, payload: dict[str, Any], priority: int | None = None,
                    same_payload: bool = False) -> Job:
        """The oldest queued or running job of ``kind`` for ``payload["run_id"]`` that is not being cancelled (with
        ``same_payload``: whose payload equals ``payload``; a queued one raised to ``priority`` when that is given and
        higher), else a new job (``priority``, default 0), in one write transaction: two calls at once queue one job
        (SQLite: BEGIN IMMEDIATE takes the write lock first; PostgreSQL: an advisory lock on the kind and run)."""
        self._check(kind, payload, priority or 0)  # every kind's payload names its run
        run_id = payload["run_id"]
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(kind, run_id)})
            found = _unfinished(conn, kind, run_id, payload if same_payload else None)
            if found is None:
                return _insert(conn, kind, payload, priority or 0)
            if priority is not None and found.state == "queued" and found.priority < priority:
                conn.execute(_guarded_update(found.job_id, "queued").values(priority=priority))
                return _get(conn, found.job_id)
            return found

    def _check(self, kind: str, payload: dict[str, Any], priority: int) -> None:
        if kind not in self.kinds:
            raise ValueError(f"unknown job kind {kind!r}: expected one of {sorted(self.kinds)}")
        check_payload(kind, payload)
        check_priority(priority)

    def get(self, job_id: str) -> Job:
        """The job ``job_id``; JobNotFoundError when there is none."""
        with self._read() as conn:
            return _get(conn, job_id)

    def list(self, limit: int = 100, kind: str | None = None, state: str | None = None,
             active: bool = False, run_id: str | None = None) -> list[Job]:
        """The newest ``limit`` jobs, newest first, optionally of one kind and/or state, or only the unfinished
        ones (``active``: queued or running), or only those working on ``run_id``."""
        if not 1 <= limit <= MAX_LIST:
            raise ValueError(f"limit must be in 1..{MAX_LIST}, got {limit}")
        if state is not None and state not in STATES:
            raise ValueError(f"unknown job state {state!r}: expected one of {list(STATES)}")
        query = select(jobs).order_by(jobs.c.created.desc(), jobs.c.id.desc()).limit(limit)
        if kind is not None:
            query = query.where(jobs.c.kind == kind)
        if state is not None:
            query = query.where(jobs.c.state == state)
        if active:
            query = query.where(jobs.c.state.in_(UNFINISHED))
        if run_id is not None:
            query = query.where(jobs.c.run_id == run_id)
        with self._read() as conn:
            return [_job(row) for row in conn.execute(query).mappings()]

    def newest_by_run(self, *kinds: str) -> dict[str, Job]:
        """run_id -> the newest job of one of ``kinds`` working on it, for every run that has one (one query,
        however many other jobs there are)."""
        order = (jobs.c.created.desc(), jobs.c.id.desc())
        rank = func.row_number().over(partition_by=jobs.c.run_id, order_by=order).label("rank")
        ranked = select(jobs, rank).where(jobs.c.kind.in_(kinds), jobs.c.run_id.is_not(None)).subquery()
        query = select(*(ranked.c[column.name] for column in jobs.c)).where(ranked.c.rank == 1)
        with self._read() as conn:
            return {row["run_id"]: _job(row) for row in conn.execute(query).mappings()}

    def queue_positions(self) -> dict[str, int]:
        """Each queued job's id -> how many jobs come before it (those running, and those queued earlier in
        ``claim_next``'s order); one read, for a whole job list."""
        running = select(func.count()).select_from(jobs).where(jobs.c.state == "running")
        queued = select(jobs.c.id).where(jobs.c.state == "queued").order_by(*CLAIM_ORDER)
        with self._read() as conn:
            first = int(conn.execute(running).scalar() or 0)
            return {job_id: first + i for i, job_id in enumerate(conn.execute(queued).scalars())}

    def line(self) -> tuple[builtins.list[Job], builtins.list[Job]]:
        """(the running jobs, the queued jobs in ``claim_next``'s order): one read, for estimating when each queued
        job starts."""
        running = select(jobs).where(jobs.c.state == "running").order_by(jobs.c.started, jobs.c.id)
        queued = select(jobs).where(jobs.c.state == "queued").order_by(*CLAIM_ORDER)
        with self._read() as conn:
            return [_job(r) for r in conn.execute(running).mappings()], \
                [_job(r) for r in conn.execute(queued).mappings()]

    def cancel(self, job_id: str) -> Job:
        """A queued job is cancelled at once; a running one gets ``cancel_requested`` (its worker stops
        it at the next progress report); a finished one is returned unchanged."""
        now = now_iso()
        with self.engine.begin() as conn:
            done = conn.execute(_guarded_update(job_id, "queued").values(
                state="cancelled", cancel_requested=True, message="cancelled before it started", updated=now))
            if done.rowcount == 0:
                conn.execute(_guarded_update(job_id, "running").values(
                    cancel_requested=True, message="cancel requested", updated=now))
            return _get(conn, job_id)

    # --- the worker side ----------------------------------------------------------------------------

    def claim_next(self, worker_id: str) -> Job | None:
        """Atomically move the first queued job (highest priority, then oldest) that may start to running for
        ``worker_id``; None when there is none. A job waits while an older training job of its run
        (``TRAINING_KINDS``) is unfinished, whatever their priorities: an evaluation queued behind its training never
        starts on a run without weights, also while that training is re-queued.
        PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE and a guarded UPDATE."""
        while True:
            with self.engine.begin() as conn:
                job_id = conn.execute(self._oldest_queued()).scalar()
                if job_id is None:
                    return None
                claimed = conn.execute(_guarded_update(job_id, "queued").values(
                    state="running", attempts=jobs.c.attempts + 1, worker_id=worker_id, updated=now_iso(),
                    started=now_iso(), message=f"started on worker {worker_id}"))
                if claimed.rowcount == 1:
                    return _get(conn, job_id)

    def _oldest_queued(self) -> Any:
        training = jobs.alias("training")
        behind_training = exists().where(  # an older training job of this job's run is queued or running
            training.c.run_id == jobs.c.run_id, training.c.kind.in_(TRAINING_KINDS),
            training.c.state.in_(UNFINISHED), training.c.created < jobs.c.created)
        query = select(jobs.c.id).where(jobs.c.state == "queued", ~behind_training).order_by(*CLAIM_ORDER).limit(1)
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return query

    def report(self, job_id: str, progress: float, message: str, worker_id: str | None = None) -> bool:
        """Record a running job's progress; False when it should stop (cancel requested, no longer running, or
        no longer held by ``worker_id`` when given). After a cancel request the row keeps its 'cancel requested'
        message."""
        progress = _fraction(progress)
        with self.engine.begin() as conn:
            conn.execute(_guarded_update(job_id, "running", worker_id).where(jobs.c.cancel_requested.is_(False))
                         .values(progress=progress, message=message[:MAX_MESSAGE], updated=now_iso()))
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        if row is None:
            raise JobNotFoundError(f"no job {job_id!r}")
        return _still_held(_job(row), worker_id)

    # The worker-side writes below take the ``worker_id`` that holds the job: a worker whose job was taken over
    # (it stalled past STALE_AFTER_S) then changes nothing; its report says stop, and it writes no result.

    def succeed(self, job_id: str, result: dict[str, Any], worker_id: str | None = None) -> Job:
        """running -> succeeded with ``result`` and progress 1."""
        return self._finish(job_id, worker_id, state="succeeded", progress=1.0, result=json.dumps(result), error=None)

    def fail(self, job_id: str, error: str, worker_id: str | None = None) -> Job:
        """running -> failed with ``error`` (one line saying what went wrong)."""
        return self._finish(job_id, worker_id, state="failed", error=error[:MAX_MESSAGE], message="failed")

    def mark_cancelled(self, job_id: str, worker_id: str | None = None) -> Job:
        """running -> cancelled (the worker stopped it after a cancel request)."""
        return self._finish(job_id, worker_id, state="cancelled", message="cancelled")

    def release(self, job_id: str, message: str, worker_id: str | None = None) -> Job:
        """running -> queued because the worker stopped cleanly (not counted as an attempt); a job with a
        pending cancel request is cancelled instead."""
        with self.engine.begin() as conn:
            job = _get(conn, job_id)
            if job.state == "running":
                conn.execute(_guarded_update(job_id, "running", worker_id).values(**_released(job, message)))
            return _get(conn, job_id)

    def recover(self, alive: Callable[[Job], bool]) -> builtins.list[str]:  # ``list`` here is JobStore.list
        """Every 'running' job whose worker is dead (``alive(job)`` is False): re-queue
        it (a train job then resumes from its checkpoint) unless it has had MAX_ATTEMPTS already, in which
        case fail it; a pending cancel request cancels it. Returns the ids of the jobs it touched."""
        query = select(jobs).where(jobs.c.state == "running").order_by(jobs.c.created)
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update()
        with self.engine.begin() as conn:
            stale = [job for job in map(_job, conn.execute(query).mappings()) if not alive(job)]
            for job in stale:
                conn.execute(_guarded_update(job.job_id, "running").values(**_recovered(job)))
        return [job.job_id for job in stale]

    def touch(self, job_id: str, worker_id: str | None = None) -> bool:
        """A running job's heartbeat: its ``updated`` is now (its worker is alive). False when it should stop
        (a cancel was requested, it is no longer running, or no longer held by ``worker_id`` when given)."""
        with self.engine.begin() as conn:
            conn.execute(_guarded_update(job_id, "running", worker_id).values(updated=now_iso()))
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        return row is not None and _still_held(_job(row), worker_id)

    # --- which workers run ----------------------------------------------------------------------------

    def worker_seen(self, worker_id: str) -> None:
        """``worker_id`` is alive now (registered on its first call)."""
        now = now_iso()
        with self.engine.begin() as conn:
            if conn.execute(update(workers).where(workers.c.id == worker_id).values(seen=now)).rowcount == 0:
                conn.execute(insert(workers).values(id=worker_id, started=now, seen=now))

    def worker_gone(self, worker_id: str) -> None:
        """``worker_id`` stopped cleanly."""
        with self.engine.begin() as conn:
            conn.execute(delete(workers).where(workers.c.id == worker_id))

    def forget_workers(self, seen_before: str) -> None:
        """Drop the rows of workers last seen before ``seen_before`` (UTC ISO)."""
        with self.engine.begin() as conn:
            conn.execute(delete(workers).where(workers.c.seen < seen_before))

    def live_workers(self, seen_since: str) -> builtins.list[str]:
        """The workers seen at or after ``seen_since`` (UTC ISO), oldest first."""
        query = select(workers.c.id).where(workers.c.seen >= seen_since).order_by(workers.c.started, workers.c.id)
        with self._read() as conn:
            return list(conn.execute(query).scalars())

    def _finish(self, job_id: str, worker_id: str | None, **values: Any) -> Job:
        with self.engine.begin() as conn:
            conn.execute(_guarded_update(job_id, "running", worker_id).values(updated=now_iso(), **values))
            return _get(conn, job_id)


def _insert(conn: Connection, kind: str, payload: dict[str, Any], priority: int) -> Job:
    now = now_iso()
    row = {"id": uuid.uuid4().hex, "kind": kind, "state": "queued", "progress": 0.0, "message": "queued",
           "payload": json.dumps(payload), "result": None, "error": None, "attempts": 0,
           "cancel_requested": False, "created": now, "updated": now, "worker_id": None,
           "run_id": _run_of(payload), "priority": priority, "started": None}
    conn.execute(insert(jobs).values(**row))
    return _job(row)


def _run_of(payload: dict[str, Any]) -> str | None:
    """The run a job works on: ``payload["run_id"]`` (every kind of ``JOB_KINDS`` names one), else None."""
    run_id = payload.get("run_id")
    return run_id if isinstance(run_id, str) else None


def _unfinished(conn: Connection, kind: str, run_id: str, payload: dict[str, Any] | None = None) -> Job | None:
    """The oldest queued or running job of ``kind`` for ``run_id`` that is not being cancelled (and whose payload
    equals ``payload``, when given)."""
    query = select(jobs).where(jobs.c.run_id == run_id, jobs.c.kind == kind, jobs.c.state.in_(UNFINISHED),
                               jobs.c.cancel_requested.is_(False)).order_by(jobs.c.created, jobs.c.id)
    found = (_job(row) for row in conn.execute(query).mappings().all())  # few: unfinished jobs of one run
    return next((job for job in found if payload is None or job.payload == payload), None)


def _lock_key(kind: str, run_id: str) -> int:
    """A signed 64-bit pg_advisory_xact_lock key for (kind, run)."""
    return int.from_bytes(hashlib.blake2b(f"{kind}\0{run_id}".encode(), digest_size=8).digest(), "big", signed=True)


def _guarded_update(job_id: str, state: str, worker_id: str | None = None) -> Any:
    """An UPDATE of ``job_id`` guarded by its current ``state`` (and the worker holding it, when given)."""
    query = update(jobs).where(jobs.c.id == job_id, jobs.c.state == state)
    return query if worker_id is None else query.where(jobs.c.worker_id == worker_id)


def _still_held(job: Job, worker_id: str | None) -> bool:
    """Whether ``job`` should go on: running, no cancel requested, and (when given) still ``worker_id``'s."""
    return job.state == "running" and not job.cancel_requested and worker_id in (None, job.worker_id)


def _released(job: Job, message: str) -> dict[str, Any]:
    if job.cancel_requested:
        return {"state": "cancelled", "message": "cancelled", "updated": now_iso()}
    return {"state": "queued", "attempts": max(job.attempts - 1, 0), "worker_id": None, "message": message,
            "updated": now_iso()}


def _recovered(job: Job) -> dict[str, Any]:
    now, who = now_iso(), job.worker_id or "unknown"
    if job.cancel_requested:
        return {"state": "cancelled", "message": f"cancelled (worker {who} stopped)", "updated": now}
    if job.attempts >= MAX_ATTEMPTS:
        return {"state": "failed", "message": "failed", "updated": now,
                "error": f"the worker stopped while running this job {job.attempts} times (last: {who}); "
                         "not retrying again - look for out-of-memory kills or crashes in the worker log"}
    return {"state": "queued", "worker_id": None, "updated": now,
            "message": f"re-queued after worker {who} stopped mid-job; it resumes when a worker is free"}


def _get(conn: Connection, job_id: str) -> Job:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    if row is None:
        raise JobNotFoundError(f"no job {job_id!r}")
    return _job(row)


def _job(row: RowMapping | Mapping[str, Any]) -> Job:
    """A job from a row of ``jobs`` (as read, or the dict ``_insert`` wrote)."""
    return Job(job_id=row["id"], kind=row["kind"], state=row["state"], progress=float(row["progress"]),
               message=row["message"], payload=json.loads(row["payload"]),
               result=json.loads(row["result"]) if row["result"] is not None else None, error=row["error"],
               created=row["created"], updated=row["updated"], cancel_requested=bool(row["cancel_requested"]),
               attempts=int(row["attempts"]), worker_id=row["worker_id"], priority=int(row["priority"]),
               started=row["started"])


def _fraction(progress: float) -> float:
    value = float(progress)
    if not math.isfinite(value):
        raise ValueError(f"progress must be a number in 0..1, got {progress!r}")
    return round(min(max(value, 0.0), 1.0), 6)  # 0.64, not 0.6400000000000001
