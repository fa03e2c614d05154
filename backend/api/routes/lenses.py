"""Lenses of a run (issue 16): create (a lens_fit job), list, detail, refit, delete, score, embedding and the
manipulation grid PNG. A lens is a run of the ``lens`` family built on the run it lenses, so the run routes
(traversal, decode, factors) work on its id too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from models import Dataset

from ...convert import grid_png
from ...deps import ExecutorDep, IfNoneMatch, JobsDep, RunId, SettingsDep, StoreDep, VersionParam
from ...errors import EvaluationPending, InvalidInput, LimitExceeded
from ...lenses import views
from ...lenses.create import LensSettings, attribute_specs, base_dataset, create_lens
from ...lenses.labels import Labels, LensLabelError, add_pending, labels_from_request
from ...runs import run_dir, run_nonce
from ...schemas import JobAccepted
from ...schemas.common import RunIdStr
from ...schemas.lenses import (
    LabelSource,
    LensCreate,
    LensEmbeddingPublic,
    LensEmbeddingQuery,
    LensList,
    LensPublic,
    LensRefit,
    ManipulationQuery,
    ScorePublic,
)
from ...services import analysis
from ...services.jobs import accepted
from ...services.run_deletion import delete_runs, forget_item_sets
from ...store import RunStore
from ..responses import PNG_RESPONSES, PNGResponse, etag, matches, not_modified, png, problems
from .runs import create_limits

router = APIRouter(prefix="/runs/{run_id}/lenses", tags=["lenses"], responses=problems(404, 422))
LensId = Annotated[RunIdStr, Path(description="a lens id from GET /api/v1/runs/{run_id}/lenses")]


def fit_payload(store: RunStore, lens_id: str, steps: int | None = None) -> dict[str, object]:
    """A lens_fit job's payload: the lens, its nonce, and the refit's own step count (when given)."""
    return {"run_id": lens_id, "nonce": run_nonce(store.home, lens_id), **({"steps": steps} if steps else {})}


def read_labels(dataset: Dataset, attributes: tuple[str, ...], source: LabelSource) -> Labels:
    """The request's labels; 422 naming the row and field of the first bad one."""
    try:
        return labels_from_request(dataset, attributes, source)
    except LensLabelError as err:
        raise InvalidInput(err.field, str(err)) from err


@router.post("", status_code=202, response_model=JobAccepted, responses=problems(409, 503),
             summary="Create a lens on this run and queue its lens_fit job")
def create(run_id: RunId, body: LensCreate, store: StoreDep, jobs: JobsDep, settings: SettingsDep,
           response: Response) -> JobAccepted:
    base = store.ready(run_id)
    dataset, names = base_dataset(base), tuple(body.attributes)
    attribute_specs(dataset, names)  # 422 for an attribute the dataset lacks, before any label is read
    labels = read_labels(dataset, names, body.labels)
    lens = LensSettings(body.variant, body.k, body.T, body.beta, names, tuple(body.hidden), body.max_items,
                        body.fit.model_dump())
    record = create_lens(store, base, lens, labels, create_limits(settings), body.lens_id)
    try:
        forget_item_sets(jobs, record.run_id)  # an earlier run of the id may have left some
        job = accepted(jobs.submit(views.KIND, fit_payload(store, record.run_id)), record.run_id)
    except Exception:
        store.delete(record.run_id)  # no lens without its job: the request changed nothing
        raise
    response.headers["Location"] = job.job_url
    return job


@router.get("", response_model=LensList, summary="The lenses built on this run, newest first")
def list_lenses(run_id: RunId, store: StoreDep, jobs: JobsDep) -> LensList:
    store.record(run_id)
    newest = views.fit_jobs(jobs)
    return LensList.model_validate({"lenses": [views.lens_summary(r, newest.get(r.run_id))
                                               for r in views.lens_records(store, run_id)]})


@router.get("/{lens_id}", response_model=LensPublic, responses=problems(409),
            summary="A lens: config, label-set summary, score table, version, parent version")
def get_lens(run_id: RunId, lens_id: LensId, store: StoreDep, jobs: JobsDep, v: VersionParam = None) -> LensPublic:
    record = views.lens_record(store, run_id, lens_id)
    if v:
        record = store.ready(lens_id, v)  # an older version the lens kept, or 409 naming the current one
    return LensPublic.model_validate(views.lens_detail(store, record, views.fit_jobs(jobs).get(lens_id)))


@router.post("/{lens_id}/refit", status_code=202, response_model=JobAccepted, responses=problems(409, 503),
             summary="Add labels and refit the lens from its last weights (a new version when it ends)")
def refit(run_id: RunId, lens_id: LensId, body: LensRefit, store: StoreDep, jobs: JobsDep, settings: SettingsDep,
          response: Response) -> JobAccepted:
    if body.steps is not None and body.steps > settings.max_train_steps:
        raise LimitExceeded("max_train_steps", body.steps, settings.max_train_steps, "body.steps")
    record = store.ready(views.lens_record(store, run_id, lens_id).run_id)  # 409: unfinished, or its base is stale
    folder, dataset = run_dir(store.home, lens_id), base_dataset(record)
    names = tuple(a["name"] for a in record.config["attributes"])
    added = read_labels(dataset, names, body.labels)
    add_pending(folder, dataset, added)
    # a queued fit reads the added labels when it starts; a running one has read its labels: queue another
    running = views.fit_jobs(jobs).get(lens_id)
    submit = jobs.submit if running is not None and running.state == "running" else jobs.submit_once
    job = accepted(submit(views.KIND, fit_payload(store, lens_id, body.steps)), lens_id)
    response.headers["Location"] = job.job_url
    return job


@router.delete("/{lens_id}", status_code=204, response_class=Response, responses=problems(409),
               summary="Delete a lens, its files and its item sets (its unfinished lens_fit job is cancelled)")
def delete(run_id: RunId, lens_id: LensId, store: StoreDep, jobs: JobsDep) -> Response:
    views.lens_record(store, run_id, lens_id)
    delete_runs(store, jobs, store.deletion(lens_id, with_children=False))
    return Response(status_code=204)


@router.get("/{lens_id}/score", response_model=ScorePublic, responses=problems(409),
            summary="Interpretability per attribute of the lens's z* and of the base run's own latent dims")
def score(run_id: RunId, lens_id: LensId, store: StoreDep, v: VersionParam = None) -> ScorePublic:
    record = store.ready(views.lens_record(store, run_id, lens_id).run_id, v)
    table = (store.read_or_none(lens_id, "metrics.json", record.version) or {}).get("score")
    if table is None:
        raise EvaluationPending(f"lens {lens_id!r} has no score table; expected one after its lens_fit job")
    return ScorePublic.model_validate({**table, "lens_id": lens_id, "version": record.version})


@router.get("/{lens_id}/embedding", response_model=LensEmbeddingPublic, responses=problems(409, 503),
            summary="z* of a sample of items, with one attribute's values")
def embedding(run_id: RunId, lens_id: LensId, q: Annotated[LensEmbeddingQuery, Query()], store: StoreDep,
              executor: ExecutorDep, settings: SettingsDep) -> LensEmbeddingPublic:
    record = store.ready(views.lens_record(store, run_id, lens_id).run_id, q.v)
    analysis.check_n(q.n, settings)
    loaded = store.load(record)
    return LensEmbeddingPublic.model_validate(views.embedding_view(store, loaded, executor, q.attribute, q.n, q.seed))


@router.get("/{lens_id}/manipulation.png", response_class=PNGResponse, responses={**PNG_RESPONSES, **problems(409)},
            summary="Manipulation grid: attribute a along the columns, b down the rows, around an item")
def manipulation_png(run_id: RunId, lens_id: LensId, q: Annotated[ManipulationQuery, Query()], store: StoreDep,
                     executor: ExecutorDep, settings: SettingsDep, if_none_match: IfNoneMatch = None) -> Response:
    record = store.ready(views.lens_record(store, run_id, lens_id).run_id, q.v)
    spec = views.manipulation_spec(record, q, settings)
    tag = etag(lens_id, record.version, "manipulation.png", spec.canonical())
    if matches(if_none_match, tag):
        return not_modified(tag, q.v is not None)
    loaded = store.load(record)
    outputs = views.manipulate(store, loaded, executor, spec)
    return png(grid_png(outputs, spec.rows, spec.steps, loaded.dataset.info), tag, q.v is not None)
