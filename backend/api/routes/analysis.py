"""Per-dim information of a run's latents (factors) and 2-D embeddings of encoded items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ...deps import ExecutorDep, IfNoneMatch, RunId, SettingsDep, StoreDep
from ...schemas import EmbeddingPublic, EmbeddingQuery, FactorsPublic, FactorsQuery
from ...schemas.factor_info import FactorMiPublic, SampleQuery, TypicalItemPublic
from ...services import analysis, factor_info
from ..responses import ETAG_HEADER, cache_headers, etag, matches, not_modified, problems

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
            summary="2-D coordinates of encoded items with their factor and attribute values")
def embedding(run_id: RunId, q: Annotated[EmbeddingQuery, Query()], store: StoreDep, executor: ExecutorDep,
              settings: SettingsDep) -> EmbeddingPublic:
    record = store.ready(run_id, q.v)
    analysis.check_n(q.n, settings)
    loaded = store.load(record)
    enc = analysis.encoded(store, loaded, executor, q.n, q.seed)
    return EmbeddingPublic.model_validate(analysis.embedding_view(loaded, enc, q.method))


JSON_304: dict[int | str, dict[str, Any]] = {
    200: {"headers": ETAG_HEADER}, 304: {"description": "Not Modified: the If-None-Match ETag is current",
                                         "headers": ETAG_HEADER}}


@router.get("/factor-mi", response_model=FactorMiPublic, responses=JSON_304,
            summary="Latent dim x ground-truth factor: I(z_k; v_f) / H(v_f), the matrix MIG (dlib) is built from, "
                    "with each factor's best dim and gap; 409 for a dataset without factors")
def factor_mi(run_id: RunId, q: Annotated[SampleQuery, Query()], store: StoreDep, executor: ExecutorDep,
              settings: SettingsDep, response: Response, if_none_match: IfNoneMatch = None) -> Any:
    record = store.ready(run_id, q.v)
    analysis.check_n(q.n, settings)
    factor_info.check_factors(record)
    tag = etag(run_id, record.version, "factor-mi", q.n, q.seed)
    if matches(if_none_match, tag):
        return not_modified(tag, q.v is not None)
    view = factor_info.factor_mi_view(store, store.load(record), executor, q.n, q.seed)
    response.headers.update(cache_headers(tag, q.v is not None))
    return FactorMiPublic.model_validate(view)


@router.get("/typical-item", response_model=TypicalItemPublic, responses=JSON_304,
            summary="A typical item of a sample: nearest the middle of every factor, then nearest the mean code "
                    "(the default base of a traversal)")
def typical_item(run_id: RunId, q: Annotated[SampleQuery, Query()], store: StoreDep, executor: ExecutorDep,
                 settings: SettingsDep, response: Response, if_none_match: IfNoneMatch = None) -> Any:
    record = store.ready(run_id, q.v)
    analysis.check_n(q.n, settings)
    tag = etag(run_id, record.version, "typical-item", q.n, q.seed)
    if matches(if_none_match, tag):
        return not_modified(tag, q.v is not None)
    view = factor_info.typical_item_view(store, store.load(record), executor, q.n, q.seed)
    response.headers.update(cache_headers(tag, q.v is not None))
    return TypicalItemPublic.model_validate(view)
