"""Jobs as the API shows them."""

from __future__ import annotations

from typing import Any

from ..jobs import Job, JobStore
from ..jobs.store import MAX_LIST
from ..schemas import JobAccepted
from ..store import RunStore
from .queue_eta import Eta, start_estimates

JOB_URL = "/api/v1/jobs/{job_id}"


def accepted(job: Job, run_id: str) -> JobAccepted:
    return JobAccepted(job_id=job.job_id, run_id=run_id, job_url=JOB_URL.format(job_id=job.job_id))


def job_view(job: Job, jobs_ahead: int | None = None, start: Eta | None = None) -> dict[str, Any]:
    """A job as ``JobPublic`` has it; ``jobs_ahead`` and ``start`` (its estimated start) while it is queued."""
    return {"job_id": job.job_id, "kind": job.kind, "state": job.state, "progress": job.progress,
            "jobs_ahead": jobs_ahead, "message": job.message, "payload": job.payload, "result": job.result,
            "result_url": (job.result or {}).get("result_url"), "error": job.error, "created": job.created,
            "updated": job.updated, "cancel_requested": job.cancel_requested, "priority": job.priority,
            "estimated_start_s": None if start is None or start.seconds is None else round(start.seconds, 1),
            "estimated_start_reason": start.reason if start is not None else None,
            "job_url": JOB_URL.format(job_id=job.job_id)}


def queued_views(jobs: JobStore, store: RunStore, listed: list[Job]) -> list[dict[str, Any]]:
    """``job_view`` of each of ``listed``, the queued ones with their place in the queue and estimated start (one
    read of the queue for all; none when no job listed is queued)."""
    if not any(job.state == "queued" for job in listed):
        return [job_view(job) for job in listed]
    ahead, starts = jobs.queue_positions(), start_estimates(jobs, store)
    return [job_view(job, ahead.get(job.job_id), starts.get(job.job_id)) for job in listed]


def cancel_run_jobs(jobs: JobStore, run_id: str, kinds: tuple[str, ...] | None = None) -> None:
    """Cancel every unfinished job (of ``kinds``; None: of every kind) that works on ``run_id`` (a run being
    deleted; or a run whose training was cancelled, so its queued evaluation has no weights to evaluate)."""
    for job in jobs.list(limit=MAX_LIST, active=True, run_id=run_id):
        if kinds is None or job.kind in kinds:
            jobs.cancel(job.job_id)
