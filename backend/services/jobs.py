"""Jobs as the API shows them."""

from __future__ import annotations

from typing import Any

from ..jobs import Job, JobStore
from ..jobs.store import MAX_LIST
from ..schemas import JobAccepted

JOB_URL = "/api/v1/jobs/{job_id}"


def accepted(job: Job, run_id: str) -> JobAccepted:
    return JobAccepted(job_id=job.job_id, run_id=run_id, job_url=JOB_URL.format(job_id=job.job_id))


def job_view(job: Job, jobs_ahead: int | None = None) -> dict[str, Any]:
    return {"job_id": job.job_id, "kind": job.kind, "state": job.state, "progress": job.progress,
            "jobs_ahead": jobs_ahead, "message": job.message, "payload": job.payload, "result": job.result,
            "result_url": (job.result or {}).get("result_url"), "error": job.error, "created": job.created,
            "updated": job.updated, "cancel_requested": job.cancel_requested,
            "job_url": JOB_URL.format(job_id=job.job_id)}


def cancel_run_jobs(jobs: JobStore, run_id: str, kinds: tuple[str, ...] | None = None) -> None:
    """Cancel every unfinished job (of ``kinds``; None: of every kind) that works on ``run_id`` (a run being
    deleted; or a run whose training was cancelled, so its queued evaluation has no weights to evaluate)."""
    for job in jobs.list(limit=MAX_LIST, active=True, run_id=run_id):
        if kinds is None or job.kind in kinds:
            jobs.cancel(job.job_id)
