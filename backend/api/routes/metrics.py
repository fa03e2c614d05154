"""The run's metrics report (metrics.json) and the job that recomputes it."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import ValidationError

from models import CheckpointError

from ...deps import JobsDep, RunId, StoreDep, VersionParam
from ...errors import EvaluationPending, NotFound
from ...schemas import EvaluateRequest, JobAccepted, MetricsFile, MetricsPublic
from ...services.jobs import accepted
from ..responses import problems

DEFAULT_OPTIONS = EvaluateRequest().model_dump()  # what a job queued before evaluations took options used
router = APIRouter(prefix="/runs/{run_id}/metrics", tags=["metrics"], responses=problems(404, 409, 422))


@router.get("", response_model=MetricsPublic, response_model_exclude_unset=True,
            summary="The cached report from metrics.json (what the file leaves out, the answer leaves out)")
def get_metrics(run_id: RunId, store: StoreDep, v: VersionParam = None) -> MetricsPublic:
    record = store.ready(run_id, v)
    try:
        metrics = store.read(run_id, "metrics.json")
    except CheckpointError as err:
        raise NotFound(f"run {run_id!r} has a metrics.json that is not valid JSON; expected POST to this URL to "
                       "compute it again") from err
    if metrics is None:
        raise NotFound(f"run {run_id!r} has no metrics.json yet; expected POST to this URL to compute it")
    return MetricsPublic(run_id=run_id, version=record.version or "", metrics=typed_report(run_id, metrics))


def typed_report(run_id: str, metrics: object) -> MetricsFile:
    """metrics.json checked against the report's schema; a file in another shape (written by hand, or by a
    version of factorscope whose report differed) is a 404 that says where it differs and how to replace it."""
    try:
        return MetricsFile.model_validate(metrics)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise NotFound(f"run {run_id!r} has a metrics.json that is not a report factorscope can read ({where}: "
                       f"{first['msg']}); expected POST to this URL to compute it again") from err


@router.post("", status_code=202, response_model=JobAccepted,
             summary="Queue an evaluation job that rewrites the report (or answer the one already queued or running)")
def evaluate(run_id: RunId, store: StoreDep, jobs: JobsDep, response: Response, body: EvaluateRequest | None = None,
             v: VersionParam = None) -> JobAccepted:
    store.ready(run_id, v)
    payload = {"run_id": run_id, **(body or EvaluateRequest()).model_dump()}
    job = jobs.submit_once("evaluate", payload)
    if {**DEFAULT_OPTIONS, **job.payload} != payload:  # another evaluation of the run is queued or running
        raise EvaluationPending(f"an evaluation of run {run_id!r} with other options ({job.payload}) is queued or "
                                f"running as job {job.job_id}; expected to wait for it, or to cancel it first")
    answer = accepted(job, run_id)
    response.headers["Location"] = answer.job_url
    return answer
