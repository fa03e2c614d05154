"""The worker: recover what a dead worker (or a crash between making a run and queuing its job) left, then in each of
its slots (threads, ``settings.worker_slots``) claim, run and poll until told to stop. The database going away for a
while delays jobs, never fails them: a claim waits and tries again, progress reports are skipped, and a job's final
state is written once it is back. A job that meets a database error of its own while the database answers goes back
to the queue ``settings.worker_db_retries`` times, then fails with that error."""

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
from .retry import JobRetries, first_line, transient, with_retry
from .store import JobStore

if TYPE_CHECKING:
    from backend.config import Settings

log = logging.getLogger("factorscope.worker")
DB_RETRY_S = 5.0
RECOVER_EVERY_S = 30.0  # while idle, look for jobs that dead workers left running this often


def worker_id(slot: int | None = None) -> str:
    """``host:pid``: this worker process; ``host:pid/slot``: one of its slots, which holds a job."""
    return f"{socket.gethostname()}:{os.getpid()}" + ("" if slot is None else f"/{slot}")


def run_worker(settings: Settings, stop: threading.Event | None = None, once: bool = False,
               store: JobStore | None = None, slots: int | None = None) -> None:
    """Run jobs in ``slots`` threads at once (default ``settings.worker_slots``), each claiming the next job as it
    is free, until ``stop`` is set; with ``once``, each returns as soon as the queue has nothing for it instead of
    polling every ``settings.worker_poll_s`` seconds. Setting ``stop`` mid-job puts the running jobs back in the
    queue within a training step (a train job keeps its resumable checkpoint). An unexpected error in one slot sets
    ``stop`` for all and is raised here once they have stopped."""
    stop = stop or threading.Event()
    store = store or JobStore(settings.database_url)
    me, count = worker_id(), settings.worker_slots if slots is None else slots
    _recover(store, me)  # before any slot runs: every job still held by this process id was an earlier process's
    repair_half_made(store, settings.home)
    log.info("worker %s ready: %d slot(s), polling every %.2gs", me, count, settings.worker_poll_s)
    retries = JobRetries(settings.worker_db_retries)
    errors: list[BaseException] = []  # what stopped a slot unexpectedly
    threads = [threading.Thread(target=_slot, args=(store, settings, worker_id(k), stop, once, retries, errors),
                                name=f"worker-slot-{k}", daemon=True) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:  # daemons: a second signal (KeyboardInterrupt here) quits without waiting for them
        thread.join()
    log.info("worker %s stopped", me)
    if errors:
        raise errors[0]


def _slot(store: JobStore, settings: Settings, me: str, stop: threading.Event, once: bool, retries: JobRetries,
          errors: list[BaseException]) -> None:
    """One slot's loop: claim and run the next job, do the chores, poll while there is none (see ``run_worker``)."""
    try:
        store.worker_seen(me)
        chores = Chores(store, me, settings.home)
        while not stop.is_set():
            try:
                ran = _run_next(store, settings, me, stop, retries)
                chores.run()  # between jobs too: a worker busy with short jobs is still seen, and still recovers
            except DBAPIError as err:  # the database went away for a moment: wait, then try again
                log.warning("%s: database error, retrying in %.2gs: %s", me, DB_RETRY_S, err.orig or err)
                stop.wait(DB_RETRY_S)
                continue
            if not ran:
                if once:
                    break
                stop.wait(settings.worker_poll_s)
    except BaseException as err:
        log.exception("worker slot %s stopped by an error; stopping every slot", me)
        errors.append(err)
        stop.set()
    finally:
        _sign_off(store, me)


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
    """Re-queue (or fail) the running jobs of dead workers; a live worker's job is left to it (``me``: this idle
    slot, or this process before its slots start)."""
    for job_id in store.recover(alive=lambda job: worker_alive(job, me)):
        _log_state(store.get(job_id), "recovered: ")


def _run_next(store: JobStore, settings: Settings, me: str, stop: threading.Event, retries: JobRetries) -> bool:
    """Claim and run the next queued job; False when there is none that may start."""
    job = store.claim_next(me)
    if job is None:
        return False
    execute(store, job, JobContext(store, job.job_id, settings.home, settings.device, stop,
                                   heartbeat_s=settings.worker_heartbeat_s, worker_id=me), retries)
    return True


def execute(store: JobStore, job: Job, ctx: JobContext, retries: JobRetries | None = None) -> Job:
    """Run one claimed job to a final (or re-queued) state and return that state. Its final write is retried
    through a database outage (``with_retry``); a transient database error raised by the job itself puts it back
    in the queue (and is raised again, so the worker loop waits before it claims anything); one met while the
    database answers counts against ``retries`` (default: none), and fails the job once they are spent."""
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
        tries = _retry_left(store, job, retries or JobRetries(0)) if transient(err) else None
        if tries is not None:  # the database's fault (or, while it answers, maybe the job's): back to the queue
            outage = err
            message = f"waiting for the database ({first_line(err)}); it resumes when a worker reaches it{tries}"
            done = _settle(job, partial(store.release, job.job_id, message, me))
        else:
            done = _settle(job, partial(_failed, store, job, ctx, err, transient(err)))
    except Exception as err:
        log.exception("job %s (%s) raised", job.job_id, job.kind)
        done = _settle(job, partial(_failed, store, job, ctx, err))
    else:
        done = _settle(job, partial(store.succeed, job.job_id, result, me))
    _log_state(done, suffix=f" after {time.monotonic() - start:.1f}s")
    if retries is not None and outage is None:
        retries.forget(job.job_id)
    if outage is not None:
        raise outage
    return done


def _settle(job: Job, write: Callable[[], Job]) -> Job:
    """A job's final write, tried again through a database outage."""
    return with_retry(write, f"recording the end of job {job.job_id}")


def _retry_left(store: JobStore, job: Job, retries: JobRetries) -> str | None:
    """After a transient database error of ``job``: "" when the database does not answer now (an outage: retried
    without limit), ``" (try n of N)"`` when it answers and ``job`` has tries left, None once they are spent."""
    try:
        store.ping()
    except DBAPIError:
        return ""
    used = retries.spend(job.job_id)
    return None if used is None else f" (try {used} of {retries.limit} while the database answers)"


def _failed(store: JobStore, job: Job, ctx: JobContext, err: Exception, retried: bool = False) -> Job:
    """Record that ``job`` raised ``err``: failed with the reason (``retried``: a database error it met every time
    it ran, while the database answered), or cancelled when a cancel was requested (e.g. its run was deleted under
    it: the cancel explains the error)."""
    if store.get(job.job_id).cancel_requested:
        return store.mark_cancelled(job.job_id, job.worker_id)
    reason = f"{first_line(err)} (it came back each time the job ran while the database answered the worker; not " \
             "retrying again)" if retried and isinstance(err, DBAPIError) else err
    error = f"{type(err).__name__}: {reason}".replace(str(ctx.home), "FACTORSCOPE_HOME")  # shown by the API
    return store.fail(job.job_id, error, job.worker_id)


def _log_state(job: Job, prefix: str = "", suffix: str = "") -> None:
    """One log line per state change."""
    detail = job.error if job.state == "failed" else job.message
    log.info("%sjob %s %s %s (attempt %d) %s: %s%s", prefix, job.job_id, job.kind, payload_text(job.payload),
             job.attempts, job.state, detail, suffix)


def payload_text(payload: dict) -> str:
    """The payload as ``k=v,...`` for a log line."""
    return ",".join(f"{k}={v}" for k, v in payload.items())
