from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from models import TrainConfig

from ..jobs.model import PRIORITIES
from .analysis import CollapseWarnings
from .common import RequestModel, RunIdStr
from .configs import config_class_schema
from .jobs import JobPublic
from .limits import LIMIT_KEY

RunStatus = Literal["training", "ready", "failed", "cancelled"]
JobPriority = Annotated[int, Field(ge=PRIORITIES.start, le=PRIORITIES.stop - 1, strict=True,
                                   description="the training job's priority: higher starts first, then older (0: the "
                                   "default; the demo's background trainings have -10, labelling refits +10)")]


def train_schema() -> dict[str, Any]:
    """TrainConfig's fields (types, defaults, ranges) and no others; steps and batch size bounded by their settings."""
    properties = config_class_schema(TrainConfig)["properties"]
    properties["steps"][LIMIT_KEY], properties["batch_size"][LIMIT_KEY] = "max_train_steps", "max_train_batch"
    return {"properties": properties, "additionalProperties": False}


class RunCreate(RequestModel):
    run_id: RunIdStr | None = Field(None, description="the new run's id (lowercase letters, digits, '-', '_'); null: "
                                    "one is made from the family, dataset and time. 409 if a run has it",
                                    examples=["vae-digits-k4"])
    family: str = Field(max_length=100, description="a family name from GET /api/v1/families", examples=["vae"])
    dataset: str = Field(max_length=100, description="a dataset name from GET /api/v1/datasets", examples=["digits"])
    config: dict[str, Any] = Field(default_factory=dict, description="family config fields; defaults fill the rest",
                                   examples=[{"latent_dim": 4, "hidden": [32]}])
    train: dict[str, Any] = Field(default_factory=dict, description="training fields (steps, batch_size, lr, seed, "
                                  "...); defaults fill the rest", examples=[{"steps": 100}],
                                  json_schema_extra=train_schema())
    priority: JobPriority = 0


class RunTrain(RequestModel):
    """POST /runs/{id}/train's optional body (a training job already queued is raised to a higher priority given
    here; without a body it keeps its own)."""

    priority: JobPriority = 0


class ParentPublic(BaseModel):
    """The run another is built on, at the version pinned when that run was created."""

    run_id: str
    version: str


class RunSummary(BaseModel):
    run_id: str
    version: str | None = Field(description="short sha256 of the weights; null while training")
    family: str
    dataset: str
    created: str
    status: RunStatus = Field(description="ready: trained; training: its job is queued or running; failed or "
                              "cancelled: its training job ended without weights (see error)")
    job_id: str | None = Field(None, description="the run's latest training job, when the API started one")
    error: str | None = Field(None, description="why training stopped (failed or cancelled runs)")
    latent_dim: int | None
    capabilities: list[str]
    parent: ParentPublic | None = Field(None, description="the run (and version) this one is built on; null: a run "
                                        "of its own")


class RunList(BaseModel):
    runs: list[RunSummary]


class RunPublic(RunSummary):
    config: dict[str, Any]
    train: dict[str, Any]
    metrics: dict[str, Any] | None = Field(description="metrics.json (training summary, evaluation report)")
    history: list[dict[str, Any]] | None = Field(description="validation history from training")
    latest_version: str | None = Field(None, description="the run's current version; differs from version when "
                                       "v= asked for an older version the run kept")
    warnings: CollapseWarnings = []  # from the report's factor table, else training's last logged KL
    job: JobPublic | None = Field(None, description="the run's latest training job (state, progress, and while "
                                  "queued its place in the queue and estimated start); null when the API started none")
