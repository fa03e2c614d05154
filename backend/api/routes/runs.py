"""Runs: list, detail, create (a training job), delete."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...deps import JobsDep, RunId, StoreDep
from ...schemas import JobAccepted, RunCreate, RunList, RunPublic
from ...services.catalog import run_detail, run_summary
from ...services.jobs import accepted
from ..responses import problems

router = APIRouter(prefix="/runs", tags=["runs"], responses=problems(404, 422))


@router.get("", response_model=RunList, summary="Every run, newest first")
def list_runs(store: StoreDep) -> RunList:
    return RunList.model_validate({"runs": [run_summary(r) for r in store.records()]})


@router.post("", status_code=202, response_model=JobAccepted, responses=problems(413),
             summary="Create a run and queue its training job")
def create_run(body: RunCreate, store: StoreDep, jobs: JobsDep, response: Response) -> JobAccepted:
    record = store.create(body.family, body.dataset, body.config, body.train)
    job = accepted(jobs.submit("train", {"run_id": record.run_id}), record.run_id)
    response.headers["Location"] = job.job_url
    return job


@router.get("/{run_id}", response_model=RunPublic, summary="A run: config, status, metrics, history")
def get_run(run_id: RunId, store: StoreDep) -> RunPublic:
    return RunPublic.model_validate(run_detail(store, store.record(run_id)))


@router.delete("/{run_id}", status_code=204, response_class=Response, summary="Delete a run and its files")
def delete_run(run_id: RunId, store: StoreDep) -> Response:
    store.delete(run_id)
    return Response(status_code=204)
