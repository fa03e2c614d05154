"""Jobs: list, state, progress and result link; cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ...deps import JobsDep, StoreDep
from ...schemas import JobList, JobPublic, JobsQuery
from ...schemas.common import JobIdStr
from ...services.jobs import cancel_run_jobs, job_view, queued_views
from ..responses import problems

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=problems(404, 422, 503))
JobId = Annotated[JobIdStr, Path(description="a job id from a 202 answer")]


@router.get("", response_model=JobList, summary="Jobs, newest first, optionally of one kind and state (each queued "
            "one with how many jobs come before it and when it should start)")
def list_jobs(q: Annotated[JobsQuery, Query()], jobs: JobsDep, store: StoreDep) -> JobList:
    listed = jobs.list(q.limit, q.kind, q.state, q.active)
    return JobList.model_validate({"jobs": queued_views(jobs, store, listed)})


@router.get("/{job_id}", response_model=JobPublic, summary="A job's state, progress 0..1, message and result link "
            "(while queued: its place in the queue and estimated start)")
def get_job(job_id: JobId, jobs: JobsDep, store: StoreDep) -> JobPublic:
    return JobPublic.model_validate(queued_views(jobs, store, [jobs.get(job_id)])[0])


@router.delete("/{job_id}", response_model=JobPublic, summary="Cancel a job (a running one stops at its next "
               "progress report)")
def cancel_job(job_id: JobId, jobs: JobsDep) -> JobPublic:
    was = jobs.get(job_id)
    job = jobs.cancel(job_id)
    if job.kind == "train" and not was.finished:  # this call stopped it: its run has nothing to evaluate now
        cancel_run_jobs(jobs, str(job.payload.get("run_id")), ("evaluate",))
    return JobPublic.model_validate(job_view(job))
