"""Labelling sessions (issue 17): create/label/skip/flag/undo/import bodies, the next-item and list queries, and
the session, label, next-item, history and curve answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt

from ..labelling.checks import MAX_BATCH, MAX_HISTORY, MAX_NAME, MAX_NOTE
from .common import FiniteFloat, Matching, RequestModel, RunIdStr
from .datasets import AttributePublic
from .limits import BodyText

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, description="who labels (the page asks once)")]
Strategy = Literal["bald", "bald_batch", "max_entropy", "random"]
SetIdStr = Annotated[str, Matching(r"^[0-9a-f]{1,64}$", "an item set id (hex digits)")]


class LabelSessionCreate(RequestModel):
    run_id: RunIdStr = Field(description="the base run (GET /api/v1/runs)")
    lens_id: RunIdStr = Field(description="a ready lens of run_id (GET /api/v1/runs/{run_id}/lenses)")
    attributes: list[Annotated[str, Field(max_length=100)]] | None = Field(
        None, min_length=1, max_length=32, description="attributes to label (default: the lens's); each one of the "
        "lens's")
    strategy: Strategy = Field("bald", description="bald: mutual information between the attribute and z* (the "
                               "seed's); bald_batch: BALD with a diversity penalty in z*; max_entropy; random")
    batch_size: int = Field(1, ge=1, le=MAX_BATCH, strict=True, description="items chosen jointly (bald_batch spreads "
                            "max(batch_size, refit_every) items)")
    refit_every: int = Field(50, ge=1, le=1_000_000, strict=True, description="standing labels between refits of "
                             "the lens")
    item_set: SetIdStr | None = Field(None, description="an item set of run_id (GET /api/v1/runs/{run_id}/item-sets): "
                                      "only its items are ranked and asked for (default: every item)")


class SessionSetPublic(BaseModel):
    set_id: str
    name: str = Field(description="the set's name when the session was opened")
    n_items: int = Field(description="items in the set: the session's pool (held-out items are drawn outside it)")


class SessionsQuery(RequestModel):
    run_id: RunIdStr | None = None
    state: Literal["open", "closed"] | None = None


class SessionAttribute(AttributePublic):
    low: float | None = Field(None, description="continuous: lo (the same number under the name the page uses)")
    high: float | None = Field(None, description="continuous: hi")


class LabellerProgressPublic(BaseModel):
    labels: int
    labels_last_hour: int
    labels_per_hour: float


class ProgressPublic(LabellerProgressPublic):
    retractions: int
    skips: int
    flags: int
    labellers: dict[str, LabellerProgressPublic]


class RefitPublic(BaseModel):
    state: Literal["idle", "queued", "running", "failed"]
    job_id: str | None
    labels_at_last_refit: int = Field(description="standing labels when the last refit was queued")
    next_refit_at: int = Field(description="the standing labels count that queues the next refit")


class SessionPublic(BaseModel):
    id: str
    run_id: str
    lens_id: str | None
    dataset: str
    n_items: int
    attributes: list[SessionAttribute]
    strategy: Strategy
    batch_size: int
    refit_every: int
    created: str
    state: Literal["open", "closed"]
    progress: ProgressPublic
    lens_version: str | None = Field(description="the lens version whose scores rank the queue now")
    refit: RefitPublic
    held_out: int = Field(description="items held out (never leased) to score the learning curve")
    item_set: SessionSetPublic | None = Field(description="the item set whose items are the pool; null: every item")


class SessionList(BaseModel):
    sessions: list[SessionPublic]


class NextQuery(RequestModel):
    labeller: Name
    attribute: str | None = Field(None, max_length=100, description="default: the session's first attribute")


class CategoricalPrediction(BaseModel):
    kind: Literal["categorical"]
    classes: list[str]
    probs: list[float]
    entropy: float = Field(description="nats")


class ContinuousPrediction(BaseModel):
    kind: Literal["continuous"]
    mean: float
    sd: float


class NextPublic(BaseModel):
    item: int | None = Field(description="null: nothing left to label")
    attribute: str
    expires_at: str | None
    lens_version: str | None
    score: float | None = Field(description="the acquisition score in nats (null for random)")
    rank: int | None = Field(description="1 = the best unlabelled item")
    pool: int = Field(description="unlabelled items ranked")
    reason: str
    prediction: CategoricalPrediction | ContinuousPrediction | None
    image_url: str | None
    reconstruction_url: str | None
    labelled_total: int


class LabelCreate(RequestModel):
    item: int = Field(ge=0, le=2**31 - 1, strict=True)  # a JSON integer: true is refused, not read as item 1
    value: StrictInt | FiniteFloat | Annotated[str, Field(max_length=MAX_NAME)] = Field(  # true is refused, not 1
        description="a class name or index, or a number in the attribute's range")
    labeller: Name
    attribute: str | None = Field(None, max_length=100, description="default: the session's only attribute")
    time_taken_ms: int | None = Field(None, ge=0, le=2**31 - 1, strict=True)


class LabelPublic(BaseModel):
    id: int
    item: int
    attribute: str
    value: int | float | None = Field(description="a class index or a number; null on a retraction")
    value_name: str | None
    labeller: str
    created_at: str
    time_taken_ms: int | None
    lens_version: str | None
    score: float | None
    retracts: int | None
    retracted_by: int | None


class EventCreate(RequestModel):
    item: int = Field(ge=0, le=2**31 - 1, strict=True)  # a JSON integer: true is refused, not read as item 1
    labeller: Name


class FlagCreate(EventCreate):
    note: str | None = Field(None, max_length=MAX_NOTE)


class EventPublic(BaseModel):
    id: int
    item: int
    labeller: str
    kind: Literal["skip", "flag"]
    note: str | None
    created_at: str


class UndoCreate(RequestModel):
    labeller: Name


class UndoPublic(BaseModel):
    retraction: LabelPublic
    retracted: LabelPublic


class HistoryQuery(RequestModel):
    n: int = Field(10, ge=1, le=MAX_HISTORY)
    labeller: Annotated[str, Field(min_length=1, max_length=MAX_NAME)] | None = None


class HistoryPublic(BaseModel):
    labels: list[LabelPublic]


class CurveQuery(RequestModel):
    attribute: str | None = Field(None, max_length=100, description="default: the session's first attribute")


class CurvePoint(BaseModel):
    labels: int
    score: float | None
    accuracy: float | None
    lens_version: str
    created_at: str
    error: str | None = None


class CurvePublic(BaseModel):
    attribute: str
    held_out: int
    points: list[CurvePoint]


class ImportCreate(RequestModel):
    csv: BodyText = Field(description="CSV with the header item,attribute,value[,labeller] (limit: setting "
                                 "max_body_bytes, the whole body's)")
    labeller: Name | None = Field(None, description="for rows without a labeller")


class ImportPublic(BaseModel):
    imported: int
