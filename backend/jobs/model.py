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
    worker_id: str | None = None  # "host:pid" of the worker running it (or that ran it last)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


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
