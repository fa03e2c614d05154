"""A run's logged training steps, for curves that grow while it trains."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...deps import JobsDep, RunId, StoreDep
from ...schemas.train_log import TrainLogPublic, TrainLogQuery
from ...services.catalog import training_jobs
from ...services.train_log import train_log_view
from ..responses import problems

router = APIRouter(prefix="/runs/{run_id}/log", tags=["runs"], responses=problems(404, 422))


@router.get("", response_model=TrainLogPublic, summary="The run's logged training steps after a step (every "
            "progress report: loss terms, latest validation loss, time), in columns; poll with after= the last step")
def get_train_log(run_id: RunId, q: Annotated[TrainLogQuery, Query()], store: StoreDep,
                  jobs: JobsDep) -> TrainLogPublic:
    record = store.record(run_id)
    view = train_log_view(store.home, record, training_jobs(jobs).get(run_id), q.after, q.limit)
    return TrainLogPublic.model_validate(view)
