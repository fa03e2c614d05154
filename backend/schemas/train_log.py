"""The training log route's query and answer: a run's logged training steps after a step, in columns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .common import RequestModel
from .runs import RunStatus

MAX_LOG_LIMIT = 10_000  # logged steps in one answer: ~1 MB of JSON for a family that logs eight terms


class TrainLogQuery(RequestModel):
    after: int = Field(0, ge=0, le=2**53, description="only the steps after this one (0: from the first); a page "
                       "that polls passes the last step it holds")
    limit: int = Field(2000, ge=1, le=MAX_LOG_LIMIT, description=f"at most this many logged steps (1 to "
                       f"{MAX_LOG_LIMIT:,}); `more` says whether others follow already")


class TrainLogPublic(BaseModel):
    """One column per field, aligned with ``step``: what train_log.jsonl records at each progress report."""

    run_id: str
    status: RunStatus
    done: bool = Field(description="no more steps will be logged: the run is trained, or its training job ended "
                       "failed or cancelled (resuming it queues a new job, and the log grows again)")
    total_steps: int | None = Field(description="the steps the run trains for (its train.steps)")
    eval_every: int | None = Field(description="steps between validation passes: the val_loss column changes after "
                                   "each")
    after: int = Field(description="the query's after")
    last_step: int | None = Field(description="the last step in this answer (the next poll's after); null: none")
    more: bool = Field(description="complete lines after last_step are logged already: ask again at once")
    step: list[int] = Field(description="logged steps, increasing (every log_every steps, and the last)")
    time: list[float | None] = Field(description="when each step was logged (unix seconds); null in logs written "
                                     "before the time was recorded")
    val_loss: list[float | None] = Field(description="the latest validation loss at each step (null before the "
                                         "first validation pass)")
    terms: dict[str, list[float | None]] = Field(description="each logged loss term (loss, recon, kl and the "
                                                 "family's own, e.g. tc): its running mean over the steps since the "
                                                 "line before, in nats per item; null where a line lacks it")
