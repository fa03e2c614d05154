"""Whether workers are alive: so recovery never takes over a live worker's job, and the API can say when no
worker runs at all (queued jobs then wait).

A worker touches its running job's row, and its own row in ``workers``, every ``HEARTBEAT_S`` seconds. A job is
abandoned when its worker was on this host and that process is gone, or when its row has not been touched for
``STALE_AFTER_S`` seconds (a worker on another host, or one that hung).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError

from .model import Job
from .store import JobStore

HEARTBEAT_S = 10.0
STALE_AFTER_S = 60.0  # hosts sharing a database must keep their clocks within a fraction of this (NTP)
FORGET_AFTER_S = 86_400.0
log = logging.getLogger("factorscope.worker")


def worker_alive(job: Job, me: str) -> bool:
    """Whether ``job``'s worker (a slot ``host:pid/k``, or ``host:pid`` before slots) may still be running it, as seen
    by ``me``, which runs nothing now: an idle slot ``host:pid/k``, or a whole process ``host:pid`` before its slots
    start. Not when it is ``me`` or one of ``me``'s slots (an earlier process that had this pid), nor a process of
    this host that is gone."""
    held = job.worker_id or ""
    if held == me or held.startswith(f"{me}/"):
        return False
    host, _, rest = held.rpartition(":")
    pid = rest.partition("/")[0]
    if host == socket.gethostname() and pid.isdigit() and not _process_exists(int(pid)):
        return False
    return _age_s(job.updated) < STALE_AFTER_S


def live_workers(store: JobStore) -> list[str]:
    """The workers that gave a sign of life in the last STALE_AFTER_S seconds."""
    return store.live_workers(_ago(STALE_AFTER_S))


def forget_workers(store: JobStore) -> None:
    """Drop the rows of workers silent for a day (killed ones never sign off)."""
    store.forget_workers(_ago(FORGET_AFTER_S))


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="microseconds")


def _age_s(stamp: str) -> float:
    """Seconds since ``stamp`` (UTC ISO 8601, as ``now_iso`` writes it)."""
    return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process is there
    except ProcessLookupError:
        return False
    except PermissionError:  # there, but another user's
        return True
    return True


@contextmanager
def heartbeat(store: JobStore, job_id: str, worker_id: str, cancelled: threading.Event, lost: threading.Event,
              every_s: float = HEARTBEAT_S) -> Iterator[None]:
    """Touch ``job_id``'s row and ``worker_id``'s every ``every_s`` seconds while the block runs (a thread of its
    own); set ``cancelled`` once the job should stop for good or elsewhere (a cancel request the job itself may not
    read soon, the job held by another worker now), and ``lost`` after no touch for half of STALE_AFTER_S (another
    worker may take it over then, so this one stops writing into its run; the job goes back to the queue and on
    from its checkpoint wherever it is taken up)."""
    done, touched = threading.Event(), time.monotonic()

    def beat() -> None:
        nonlocal touched
        while True:
            try:
                if not store.touch(job_id, worker_id):
                    cancelled.set()
                store.worker_seen(worker_id)
                touched = time.monotonic()
            except DBAPIError as err:  # the next beat tries again
                log.warning("heartbeat of job %s failed: %s", job_id, err.orig or err)
                if time.monotonic() - touched > STALE_AFTER_S / 2:
                    log.warning("job %s: no heartbeat for %.0f s; stopping it", job_id, STALE_AFTER_S / 2)
                    lost.set()
            if done.wait(every_s):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
