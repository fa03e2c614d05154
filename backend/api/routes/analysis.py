"""Per-dim information of a run's latents (factors) and 2-D embeddings of encoded items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ...deps import ExecutorDep, RunId, SettingsDep, StoreDep
from ...schemas import EmbeddingPublic, EmbeddingQuery, FactorsPublic, FactorsQuery
from ...schemas.factor_info import FactorMiPublic, FactorMiQuery, SampleQuery, TypicalItemPublic
from ...services import analysis, factor_info
from ...store import LoadedRun
from ..responses import ETAG_HEADER, problems
from ..sample_view import SampleViewDep

router = APIRouter(prefix="/runs/{run_id}", tags=["analysis"], responses=problems(404, 409, 422, 503))


@router.get("/factors", response_model=FactorsPublic,
            summary="Per latent dim: MI (two estimators), KL, variance; sorted by MI; the top-k curve")
def factors(run_id: RunId, q: Annotated[FactorsQuery, Query()], store: StoreDep, executor: ExecutorDep,
            settings: SettingsDep) -> FactorsPublic:
    record = store.ready(run_id, q.v)
    analysis.check_n(q.n, settings)
    table = analysis.factor_table(store, store.load(record), executor, q.n, q.seed)
    return FactorsPublic.model_validate({**table, "run_id": run_id, "version": record.version})


@router.get("/embedding", response_model=EmbeddingPublic,
            summary="2-D coordinates of encoded items with their factor and attribute values",
            description="method=pca (axes PC1, PC2), mi (the two most informative dims) or dims (dim_x against dim_y, "
            "axes e.g. ['z3', 'z0']; 422 when a dim is not below the run's latent_dim or dim_x == dim_y). The "
            "items are analysis.sample_items(dataset, n, seed). t-SNE, UMAP and more than max_embedding_n items: "
            "POST /api/v1/runs/{run_id}/projections, then GET /api/v1/runs/{run_id}/projections/{method}.")
def embedding(run_id: RunId, q: Annotated[EmbeddingQuery, Query()], store: StoreDep, executor: ExecutorDep,
              settings: SettingsDep) -> EmbeddingPublic:
    record = store.ready(run_id, q.v)
    analysis.check_n(q.n, settings)
    loaded = store.load(record)
    dims = analysis.check_dims(q.dim_x, q.dim_y, q.method, loaded.latent_dim)
    enc = analysis.encoded(store, loaded, executor, q.n, q.seed)
    emb = analysis.embed(enc, q.method, dims)
    return EmbeddingPublic.model_validate(analysis.embedding_view(loaded, enc.index, q.method, emb))


JSON_304: dict[int | str, dict[str, Any]] = {
    200: {"headers": ETAG_HEADER}, 304: {"description": "Not Modified: the If-None-Match ETag is current",
                                         "headers": ETAG_HEADER}}


@router.get("/factor-mi", response_model=FactorMiPublic, responses=JSON_304,
            summary="Latent dim x ground-truth factor (or attribute, for a dataset without factors or with "
                    "source=attributes): I(z_k; v_f) / H(v_f), the matrix MIG (dlib) is built from, with each "
                    "column's best dim and gap; 409 for a dataset with neither")
def factor_mi(run_id: RunId, q: Annotated[FactorMiQuery, Query()], view: SampleViewDep) -> Any:
    def body(loaded: LoadedRun) -> FactorMiPublic:
        source = factor_info.resolve_source(loaded.dataset, q.source)
        return FactorMiPublic.model_validate(
            factor_info.factor_mi_view(view.store, loaded, view.executor, q.n, q.seed, source))

    # the columns are checked (409) before the model loads, and are part of the ETag
    return view.serve(run_id, q, lambda record: ("factor-mi", factor_info.check_source(record, q.source), q.n, q.seed),
                      body)


@router.get("/typical-item", response_model=TypicalItemPublic, responses=JSON_304,
            summary="A typical item of a sample: nearest the middle of every factor, then nearest the mean code "
                    "(the default base of a traversal)")
def typical_item(run_id: RunId, q: Annotated[SampleQuery, Query()], view: SampleViewDep) -> Any:
    def body(loaded: LoadedRun) -> TypicalItemPublic:
        return TypicalItemPublic.model_validate(
            factor_info.typical_item_view(view.store, loaded, view.executor, q.n, q.seed))

    return view.serve(run_id, q, lambda _: ("typical-item", q.n, q.seed), body)
