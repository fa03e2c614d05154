"""Riding out a database outage on the worker side: a write that meets a transient error (the server restarting,
a connection cut, SQLite still locked after its busy timeout) is tried again with backoff, so an outage of a few
seconds delays a job and never decides its fate."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

T = TypeVar("T")
log = logging.getLogger("factorscope.worker")
OUTAGE_S = 300.0  # how long a write is retried before the error is let through (the worker loop then waits too)
FIRST_DELAY_S, MAX_DELAY_S = 0.2, 5.0


def transient(err: BaseException) -> bool:
    """Whether ``err`` says the database could not be reached or used just now (not that the statement is wrong)."""
    return isinstance(err, OperationalError | InterfaceError) or (
        isinstance(err, DBAPIError) and err.connection_invalidated)


def first_line(err: DBAPIError) -> str:
    """The driver's message of ``err``, first line (PostgreSQL's go on with context lines)."""
    return str(err.orig or err).strip().split("\n")[0]


def with_retry(call: Callable[[], T], what: str, budget_s: float | None = None) -> T:
    """``call()``, called again after a transient database error (waits of 0.2 s doubling up to 5 s) until it
    succeeds or ``budget_s`` (default OUTAGE_S) has passed; other errors, and the last one, go through."""
    delay, deadline = FIRST_DELAY_S, time.monotonic() + (OUTAGE_S if budget_s is None else budget_s)
    while True:
        try:
            return call()
        except DBAPIError as err:
            if not transient(err) or time.monotonic() + delay > deadline:
                raise
            log.warning("%s: the database is unreachable (%s); trying again in %.1f s", what, first_line(err), delay)
            time.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)


class JobRetries:
    """How often each job met a transient database error of its own while the database answered the worker (so not
    an outage: e.g. SQLite's "no such table", a statement timeout); up to ``limit`` times it goes back to the queue,
    then it fails. Counted in this worker process, shared by its slots."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def spend(self, job_id: str) -> int | None:
        """Count one more error of ``job_id``: the count when it may go back to the queue, None once it may not."""
        with self._lock:
            count = self._counts[job_id] = self._counts.get(job_id, 0) + 1
        return count if count <= self.limit else None

    def forget(self, job_id: str) -> None:
        """``job_id`` ended (or went back to the queue for another reason): its count goes."""
        with self._lock:
            self._counts.pop(job_id, None)
