from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from ..jobs.handlers import JOB_KINDS
from ..jobs.model import PRIORITIES
from .common import RequestModel

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
if TYPE_CHECKING:
    JobKind = str
else:
    JobKind = Literal[tuple(JOB_KINDS)]  # every kind the worker runs, from its one registry


class JobsQuery(RequestModel):
    kind: JobKind | None = Field(None, description="only jobs of this kind")
    state: JobState | None = Field(None, description="only jobs in this state")
    active: bool = Field(False, description="only unfinished jobs (queued or running): what a page that shows "
                         "progress needs, in one request")
    limit: int = Field(100, ge=1, le=1000, description="at most this many, newest first")


class JobAccepted(BaseModel):
    job_id: str
    run_id: str
    job_url: str = Field(description="poll this for state, progress and the result link")


class JobPublic(BaseModel):
    job_id: str
    kind: str
    state: JobState
    progress: float = Field(ge=0, le=1)
    message: str
    payload: dict[str, Any]
    result: dict[str, Any] | None
    result_url: str | None = Field(description="where the result is, once the job succeeded")
    error: str | None
    created: str
    updated: str
    cancel_requested: bool
    job_url: str
    jobs_ahead: int | None = Field(None, description="while queued: how many jobs come before it, those running and "
                                   "those queued before it (higher priority, then older)")
    priority: int = Field(0, ge=PRIORITIES.start, le=PRIORITIES.stop - 1, description="higher starts first, then "
                          "older; 0 by default, -10 for the demo's background trainings, +10 for labelling refits")
    estimated_start_s: float | None = Field(None, ge=0, description="while queued: seconds from now until it should "
                                            "start, from the running jobs' rates so far and the durations of those "
                                            "ahead of it spread over the worker's slots; null when not queued or not "
                                            "known (estimated_start_reason says why)")
    estimated_start_reason: str | None = Field(None, description="why estimated_start_s is null for a queued job")


class JobList(BaseModel):
    jobs: list[JobPublic] = Field(description="newest first")
