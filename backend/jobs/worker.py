"""The worker loop: recover what a dead worker (or a crash between making a run and queuing its job) left, then
claim, run and poll until told to stop. The database going away for a while delays jobs, never fails them: a
claim waits and tries again, progress reports are skipped, and a job's final state is written once it is back."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from models import TrainingCancelled

from .context import JobContext
from .liveness import HEARTBEAT_S, forget_workers, heartbeat, worker_alive
from .model import Job, JobInterrupted
from .repair import repair_half_made
from .retry import first_line, transient, with_retry
from .store import JobStore

if TYPE_CHECKING:
    from backend.config import Settings

log = logging.getLogger("factorscope.worker")
DB_RETRY_S = 5.0
RECOVER_EVERY_S = 30.0  # while idle, look for jobs that dead workers left running this often


def worker_id() -> str:
    """``host:pid``: which worker holds a job."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(settings: Settings, stop: threading.Event | None = None, once: bool = False,
               store: JobStore | None = None) -> None:
    """Run jobs until ``stop`` is set; with ``once``, return as soon as the queue is empty instead of
    polling every ``settings.worker_poll_s`` seconds. Setting ``stop`` mid-job puts the job back in the
    queue within a training step (a train job keeps its resumable checkpoint)."""
    stop = stop or threading.Event()
    store = store or JobStore(settings.database_url)
    me = worker_id()
    store.worker_seen(me)
    _recover(store, me)
    repair_half_made(store, settings.home)
    log.info("worker %s ready (polling every %.2gs)", me, settings.worker_poll_s)
    chores = Chores(store, me, settings.home)
    try:
        while not stop.is_set():
            try:
                ran = _run_next(store, settings, me, stop)
                chores.run()  # between jobs too: a worker busy with short jobs is still seen, and still recovers
            except DBAPIError as err:  # the database went away for a moment: wait, then try again
                log.warning("database error, retrying in %.2gs: %s", DB_RETRY_S, err.orig or err)
                stop.wait(DB_RETRY_S)
                continue
            if not ran:
                if once:
                    break
                stop.wait(settings.worker_poll_s)
    finally:
        _sign_off(store, me)
    log.info("worker %s stopped", me)


class Chores:
    """What a worker does now and then between jobs: say it is alive, look for jobs that dead workers left and runs
    whose job was never queued, and forget workers silent for a day."""

    def __init__(self, store: JobStore, me: str, home: Path) -> None:
        self.store, self.me, self.home = store, me, home
        self.seen_at = self.recovered_at = time.monotonic()

    def run(self) -> None:
        now = time.monotonic()
        if now - self.seen_at >= HEARTBEAT_S:
            self.store.worker_seen(self.me)
            self.seen_at = now
        if now - self.recovered_at >= RECOVER_EVERY_S:  # e.g. another host's worker died mid-job
            _recover(self.store, self.me)
            repair_half_made(self.store, self.home)
            forget_workers(self.store)
            self.recovered_at = now


def _sign_off(store: JobStore, me: str) -> None:
    """Take this worker off the list of live ones (it would drop off after STALE_AFTER_S anyway)."""
    try:
        store.worker_gone(me)
    except DBAPIError as err:
        log.warning("could not sign off worker %s: %s", me, err.orig or err)


def _recover(store: JobStore, me: str) -> None:
    """Re-queue (or fail) the running jobs of dead workers; a live worker's job is left to it."""
    for job_id in store.recover(alive=lambda job: worker_alive(job, me)):
        _log_state(store.get(job_id), "recovered: ")


def _run_next(store: JobStore, settings: Settings, me: str, stop: threading.Event) -> bool:
    """Claim and run the oldest queued job; False when the queue is empty."""
    job = store.claim_next(me)
    if job is None:
        return False
    execute(store, job, JobContext(store, job.job_id, settings.home, settings.device, stop,
                                   heartbeat_s=settings.worker_heartbeat_s, worker_id=me))
    return True


def execute(store: JobStore, job: Job, ctx: JobContext) -> Job:
    """Run one claimed job to a final (or re-queued) state and return that state. Its final write is retried
    through a database outage (``with_retry``); a transient database error raised by the job itself puts it back
    in the queue (and is raised again, so the worker loop waits before it claims anything)."""
    _log_state(job)
    start, me = time.monotonic(), job.worker_id  # the holder claim_next wrote: every write below is fenced by it
    handler, outage = store.kinds.get(job.kind), None
    try:
        if handler is None:
            raise ValueError(f"no handler for job kind {job.kind!r} in this worker: expected one of "
                             f"{sorted(store.kinds)}")
        with heartbeat(store, job.job_id, me or worker_id(), ctx.cancelled, ctx.lost, ctx.heartbeat_s):
            result = handler(job.payload, ctx)
        json.dumps(result)  # a result that cannot be stored fails the job, not the worker
    except JobInterrupted as err:
        done = _settle(job, partial(store.release, job.job_id, f"interrupted: {err}", me))
    except TrainingCancelled:
        done = _settle(job, partial(store.mark_cancelled, job.job_id, me))
    except DBAPIError as err:
        log.exception("job %s (%s) raised", job.job_id, job.kind)
        if transient(err):  # the database's fault, not the job's: back to the queue
            outage = err
            message = f"waiting for the database ({first_line(err)}); it resumes when a worker reaches it"
            done = _settle(job, partial(store.release, job.job_id, message, me))
        else:
            done = _settle(job, partial(_failed, store, job, ctx, err))
    except Exception as err:
        log.exception("job %s (%s) raised", job.job_id, job.kind)
        done = _settle(job, partial(_failed, store, job, ctx, err))
    else:
        done = _settle(job, partial(store.succeed, job.job_id, result, me))
    _log_state(done, suffix=f" after {time.monotonic() - start:.1f}s")
    if outage is not None:
        raise outage
    return done


def _settle(job: Job, write: Callable[[], Job]) -> Job:
    """A job's final write, tried again through a database outage."""
    return with_retry(write, f"recording the end of job {job.job_id}")


def _failed(store: JobStore, job: Job, ctx: JobContext, err: Exception) -> Job:
    """Record that ``job`` raised ``err``: failed with the reason, or cancelled when a cancel was requested (e.g. its
    run was deleted under it: the cancel explains the error)."""
    if store.get(job.job_id).cancel_requested:
        return store.mark_cancelled(job.job_id, job.worker_id)
    error = f"{type(err).__name__}: {err}".replace(str(ctx.home), "FACTORSCOPE_HOME")  # shown by the API
    return store.fail(job.job_id, error, job.worker_id)


def _log_state(job: Job, prefix: str = "", suffix: str = "") -> None:
    """One log line per state change."""
    detail = job.error if job.state == "failed" else job.message
    log.info("%sjob %s %s %s (attempt %d) %s: %s%s", prefix, job.job_id, job.kind, payload_text(job.payload),
             job.attempts, job.state, detail, suffix)


def payload_text(payload: dict) -> str:
    """The payload as ``k=v,...`` for a log line."""
    return ",".join(f"{k}={v}" for k, v in payload.items())
