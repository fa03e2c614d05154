"""The latent-to-group heatmap of grouped runs (oi-VAE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...deps import ExecutorDep, RunId, StoreDep
from ...schemas import GroupHeatmapPublic, HeatmapQuery
from ...services import groups
from ..responses import problems

router = APIRouter(prefix="/runs/{run_id}/groups", tags=["groups"], responses=problems(404, 409, 422, 503))


@router.get("/heatmap", response_model=GroupHeatmapPublic,
            summary="G x K norms ||W^(g)[:, j]|| (exact zeros kept) and the top 3 groups of each dim; 409 without "
                    "groups")
def heatmap(run_id: RunId, q: Annotated[HeatmapQuery, Query()], store: StoreDep,
            executor: ExecutorDep) -> GroupHeatmapPublic:
    record = store.ready(run_id, q.v)
    groups.check_grouped(record)
    return GroupHeatmapPublic.model_validate(groups.heatmap_view(store.load(record), executor))
