"""What a job is: the immutable ``Job`` record, its states, and the errors around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from models import TrainingCancelled

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
STATES: tuple[str, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
MAX_ATTEMPTS = 2  # a job whose worker died is re-queued once, then failed
PRIORITIES = range(-100, 101)  # a job's priority: claimed higher first, then oldest first; 0 by default


@dataclass(frozen=True)
class Job:
    """One row of the ``jobs`` table as the API and the worker see it."""

    job_id: str
    kind: str
    state: JobState
    progress: float  # 0..1
    message: str
    payload: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created: str  # UTC ISO 8601
    updated: str
    cancel_requested: bool
    attempts: int = 0  # how many times a worker claimed it
    worker_id: str | None = None  # "host:pid/slot" of the worker running it (or that ran it last)
    priority: int = 0  # in PRIORITIES: claimed higher first, then oldest first
    started: str | None = None  # UTC ISO: when a worker last claimed it (None before)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


def check_priority(priority: int) -> int:
    """``priority`` when it is an int in PRIORITIES, else ValueError saying what is expected."""
    if isinstance(priority, bool) or not isinstance(priority, int) or priority not in PRIORITIES:
        raise ValueError(f"priority must be an integer in {PRIORITIES.start}..{PRIORITIES.stop - 1} (higher starts "
                         f"first), got {priority!r}")
    return priority


class JobNotFoundError(KeyError):
    """No job with that id."""

    def __str__(self) -> str:
        return str(self.args[0])


class JobCancelled(TrainingCancelled):
    """Raised inside a handler (through ``JobContext.report``) once a cancel was requested."""


class JobInterrupted(TrainingCancelled):
    """Raised inside a handler when the worker is shutting down; the job goes back to the queue."""


def now_iso() -> str:
    """The current UTC time, ISO 8601 with microseconds (fixed width, so it sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
