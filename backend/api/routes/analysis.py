"""Per-dim information of a run's latents (factors) and 2-D embeddings of encoded items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...deps import ExecutorDep, RunId, SettingsDep, StoreDep
from ...schemas import EmbeddingPublic, EmbeddingQuery, FactorsPublic, FactorsQuery
from ...services import analysis
from ..responses import problems

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
