"""How a queued job reads on the page: "queued — 2 jobs ahead, starts in about 3 min", from the job's
``jobs_ahead`` and ``estimated_start_s`` (the backend's estimate from the running jobs' rates; null when it has
none, and ``estimated_start_reason`` says why). Pure: a job in, words out."""

from __future__ import annotations

from ..api_client import Job, RunSummary


def wait_text(seconds: float) -> str:
    """'under a minute', 'about 1 min', 'about 12 min', 'about 2 h 5 min'."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "in under a minute"
    if minutes < 60:
        return f"in about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"in about {hours} h" + (f" {rest} min" if rest else "")


def queue_text(job: Job) -> str | None:
    """'queued — 2 jobs ahead, starts in about 3 min' for a queued job (without the estimate when the backend has
    none, saying why when it says); None for a job that is not queued."""
    if job.state != "queued":
        return None
    parts = []
    if job.jobs_ahead is not None:
        parts.append(f"{job.jobs_ahead} job{'s' if job.jobs_ahead != 1 else ''} ahead" if job.jobs_ahead
                     else "next in line")
    if job.estimated_start_s is not None:
        parts.append(f"starts {wait_text(job.estimated_start_s)}")
    why = f" (start not estimated: {job.estimated_start_reason})" if job.estimated_start_reason else ""
    return "queued" + (f" — {', '.join(parts)}" if parts else "") + why


def shown_status(run: RunSummary, job: Job | None) -> str:
    """The run's status as the page shows it: "queued" while its training job (``job``) waits for a worker (the
    API calls such a run training), else the run's own."""
    return "queued" if run.status == "training" and job is not None and job.state == "queued" else run.status
