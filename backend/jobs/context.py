"""``JobContext``: what a handler gets to report progress and to learn that it should stop."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from .model import JobCancelled, JobInterrupted
from .retry import first_line, log, transient

if TYPE_CHECKING:
    from .store import JobStore


@dataclass
class JobContext:
    """Handed to a handler with its payload. ``report`` and ``check`` raise ``JobCancelled`` once a cancel
    was requested and ``JobInterrupted`` once the worker is stopping or lost the database for long (all are
    ``TrainingCancelled``, so a training loop stops there and its last checkpoint stays resumable). ``check`` reads
    only this process's memory (``stop``; ``cancelled`` and ``lost``, which the job's heartbeat sets), so a loop may
    call it every step. A report the database cannot take just now is skipped: the job goes on."""

    store: JobStore
    job_id: str
    home: Path
    device: str = "auto"  # settings.device: where handlers that choose a device put their work
    stop: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)
    lost: threading.Event = field(default_factory=threading.Event)  # no heartbeat reached the database for long
    heartbeat_s: float = 10.0  # how often the worker touches the job (and learns of a cancel) while it runs
    worker_id: str | None = None  # the worker holding the job: a job taken over by another says stop
    min_interval_s: float = 0.1  # database writes are throttled; the last report (progress 1) always goes
    _last_write: float = field(default=float("-inf"), repr=False)

    @property
    def pid(self) -> int:
        return os.getpid()

    def check(self) -> None:
        """Raise if the job must stop (as far as this process knows; no database read)."""
        if self.stop.is_set():
            raise JobInterrupted("the worker stopped; it resumes when a worker starts")
        if self.lost.is_set():
            raise JobInterrupted("the worker lost the database; the job resumes when a worker reaches it again")
        if self.cancelled.is_set():
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def report(self, progress: float, message: str) -> None:
        """Record progress (0..1) and a one-line message; raise if the job must stop."""
        self.check()
        now = time.monotonic()
        if progress < 1.0 and now - self._last_write < self.min_interval_s:
            return
        self._last_write = now
        try:
            held = self.store.report(self.job_id, progress, message, self.worker_id)
        except DBAPIError as err:
            if not transient(err):
                raise
            log.warning("job %s: progress not recorded (%s); going on", self.job_id, first_line(err))
            return
        if not held:
            raise JobCancelled(f"job {self.job_id} was cancelled")
