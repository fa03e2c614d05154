"""Projections precomputed by the worker: t-SNE, UMAP, and PCA or MI axes of more items than GET .../embedding
encodes ("all on request"). POST queues the ``projection`` job; GET serves what it stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from ...deps import IfNoneMatch, JobsDep, RunId, SettingsDep, StoreDep
from ...errors import NotFound
from ...projections import check_projected_n, check_projection, projection_path, read_projection
from ...schemas import EmbeddingPublic, JobAccepted
from ...schemas.projections import ProjectionCreate, ProjectionMethod, ProjectionQuery
from ...services.analysis import embedding_view
from ...services.jobs import accepted
from ..responses import cache_headers, etag, matches, not_modified, problems
from .analysis import JSON_304

router = APIRouter(prefix="/runs/{run_id}/projections", tags=["analysis"], responses=problems(404, 409, 422))
NOT_COMPUTED = "not computed yet: POST /api/v1/runs/{run_id}/projections"


@router.post("", status_code=202, response_model=JobAccepted,
             summary="Queue a projection job (t-SNE, UMAP, PCA or MI of n items), or answer the same one queued "
                     "or running",
             description="Body {method: tsne|umap|pca|mi, n, seed: 0, v: null}. The job (kind projection) encodes "
             "analysis.sample_items(dataset, n, seed) (n = n_items: every item), then fits, reporting progress "
             "(encoding, then fitting); the same run, version, method, n and seed again answers the job already "
             "queued or running. 422 naming body.n and the limit: n over the dataset size, setting max_projection_n, "
             "or for tsne and umap setting max_manifold_n. Then GET /api/v1/runs/{run_id}/projections/{method}.")
def create(run_id: RunId, body: ProjectionCreate, store: StoreDep, jobs: JobsDep, settings: SettingsDep,
           response: Response) -> JobAccepted:
    record = store.ready(run_id, body.v)
    loaded = store.load(record)
    check_projection(body.method, body.n, len(loaded.dataset), loaded.latent_dim, settings)
    payload = {"run_id": run_id, "version": loaded.version, "method": body.method, "n": body.n, "seed": body.seed}
    answer = accepted(jobs.submit_once("projection", payload, same_payload=True), run_id)  # one transaction
    response.headers["Location"] = answer.job_url
    return answer


@router.get("/{method}", response_model=EmbeddingPublic,
            responses={**JSON_304, 404: {**problems(404)[404], "description": "Not Found (problem details): no such "
                                         "run, or " + NOT_COMPUTED + " first"}},
            summary="A stored projection: the body of GET .../embedding (method tsne, umap, pca or mi)",
            description="Once the projection job of (method, n, seed) for the version has run: 200 with the body of "
            "GET /api/v1/runs/{run_id}/embedding; before: 404 problem '" + NOT_COMPUTED + "'. ETag; Cache-Control "
            "immutable with v=, else no-cache.")
def read(run_id: RunId, method: Annotated[ProjectionMethod, Path(description="tsne, umap, pca or mi")],
         q: Annotated[ProjectionQuery, Query()], store: StoreDep, settings: SettingsDep, response: Response,
         if_none_match: IfNoneMatch = None) -> Any:
    check_projected_n(q.n, settings)
    record = store.ready(run_id, q.v)
    assert record.version is not None  # ready: a finished run
    path = projection_path(store.home, run_id, record.version, method, q.n, q.seed)
    if not path.is_file():
        raise NotFound(NOT_COMPUTED.format(run_id=run_id) + f' with {{"method": "{method}", "n": {q.n}, "seed": '
                       f'{q.seed}}} first, then GET this again')
    tag = etag(run_id, record.version, "projection", method, q.n, q.seed, path.stat().st_mtime_ns)
    if matches(if_none_match, tag):
        return not_modified(tag, q.v is not None)
    index, emb = read_projection(path)
    response.headers.update(cache_headers(tag, q.v is not None))
    return EmbeddingPublic.model_validate(embedding_view(store.load(record), index, method, emb))
