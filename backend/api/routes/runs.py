"""Runs: list, detail, create (a training job), delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ...config import Settings
from ...deps import JobsDep, RunId, SettingsDep, StoreDep, VersionParam
from ...errors import AlreadyTrained, StillStopping
from ...runs import run_nonce
from ...schemas import JobAccepted, RunCreate, RunList, RunPublic, RunTrain
from ...services.catalog import check_made_by_post_runs, run_detail, run_summary, training_jobs
from ...services.jobs import accepted, queued_views
from ...services.run_deletion import delete_runs, forget_item_sets
from ...store import CreateLimits, RunStore
from ..responses import problems

router = APIRouter(prefix="/runs", tags=["runs"], responses=problems(404, 422))
WithChildren = Annotated[bool, Query(description="also delete the runs built on this one (children first); without "
                                     "it, a run with children is not deleted (409 naming them)")]


def train_payload(store: RunStore, run_id: str) -> dict[str, Any]:
    """A train job's payload: the run, and its nonce (the job refuses a run deleted and made anew meanwhile)."""
    return {"run_id": run_id, "nonce": run_nonce(store.home, run_id)}


def create_limits(settings: Settings) -> CreateLimits:
    """What a training job created or resumed through the API may ask of the worker."""
    return CreateLimits(settings.max_train_steps, settings.max_model_params, settings.max_model_layers,
                        settings.max_train_batch)


@router.get("", response_model=RunList, summary="Every run, newest first")
def list_runs(store: StoreDep, jobs: JobsDep) -> RunList:
    newest = training_jobs(jobs)
    return RunList.model_validate({"runs": [run_summary(r, newest.get(r.run_id)) for r in store.records()]})


@router.post("", status_code=202, response_model=JobAccepted, responses=problems(409, 503),
             summary="Create a run and queue its training job")
def create_run(body: RunCreate, store: StoreDep, jobs: JobsDep, settings: SettingsDep,
               response: Response) -> JobAccepted:
    check_made_by_post_runs(body.family)
    record = store.create(body.family, body.dataset, body.config, body.train, create_limits(settings), body.run_id)
    try:
        forget_item_sets(jobs, record.run_id)  # an earlier run of the id may have left some
        job = accepted(jobs.submit("train", train_payload(store, record.run_id), body.priority), record.run_id)
    except Exception:
        store.delete(record.run_id)  # no run without its training job: the request changed nothing
        raise
    response.headers["Location"] = job.job_url
    return job


@router.post("/{run_id}/train", status_code=202, response_model=JobAccepted, responses=problems(409, 503),
             summary="Queue the training of a run without weights again (cancelled, failed, or interrupted); it "
             "continues from its last checkpoint (or answers the training job already queued or running)")
def resume_run(run_id: RunId, store: StoreDep, jobs: JobsDep, settings: SettingsDep, response: Response,
               body: RunTrain | None = None) -> JobAccepted:
    record = store.record(run_id)
    if record.finished:
        raise AlreadyTrained(f"run {run_id!r} is trained already (version {record.version}); expected a run without "
                             "weights: one whose training was cancelled, failed or never ran")
    store.check_resume(record, create_limits(settings))
    stopping = training_jobs(jobs).get(run_id)
    if stopping is not None and stopping.state == "running" and stopping.cancel_requested:
        raise StillStopping(f"run {run_id!r}'s cancelled training (job {stopping.job_id}) has not stopped yet; "
                            "expected a retry in a few seconds", headers={"Retry-After": "5"})
    priority = body.priority if body is not None else None  # none given: a queued job keeps its own
    job = accepted(jobs.submit_once("train", train_payload(store, run_id), priority), run_id)
    response.headers["Location"] = job.job_url
    return job


@router.get("/{run_id}", response_model=RunPublic, responses=problems(409),
            summary="A run: config, status, metrics, history (409: v= names a version the run does not have)")
def get_run(run_id: RunId, store: StoreDep, jobs: JobsDep, v: VersionParam = None) -> RunPublic:
    record = store.ready(run_id, v) if v else store.record(run_id)
    job = training_jobs(jobs).get(run_id)
    view = queued_views(jobs, store, [job])[0] if job is not None else None
    return RunPublic.model_validate({**run_detail(store, record, job), "job": view})


@router.delete("/{run_id}", status_code=204, response_class=Response, responses=problems(409),
               summary="Delete a run, its files and its item sets (its unfinished jobs are cancelled); a run other "
               "runs are built on only with with_children=true, which deletes them first")
def delete_run(run_id: RunId, store: StoreDep, jobs: JobsDep, with_children: WithChildren = False) -> Response:
    store.exists(run_id)  # 404 before anything changes (a run whose config.json is unreadable may go too)
    delete_runs(store, jobs, store.deletion(run_id, with_children))  # 409 naming the children, before any change
    return Response(status_code=204)
