"""Lenses (issue 16): create/refit bodies, the label sources, the lens views' queries and answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt

from .analysis import EncodedN
from .common import FiniteFloat, Matching, RequestModel, RunIdStr, Seed, Version
from .limits import BodyText, SettingLimit
from .runs import RunStatus

# The bodies' integers are strict: a JSON true or 2.0 is refused, not read as 1 or 2 (schemathesis on the demo home
# found false taken as seed 0 by a lens refit).
TrainSteps = Annotated[int, SettingLimit("max_train_steps"), Field(strict=True)]
StrictSeed = Annotated[Seed, Field(strict=True)]


class OracleSource(RequestModel):
    n: int = Field(ge=1, le=10_000_000, strict=True, description="items whose ground truth is revealed (the "
                   "simulated oracle)")
    seed: StrictSeed = 0


class OracleLabels(RequestModel):
    oracle: OracleSource = Field(description="ground truth of the lens's attributes for n items drawn with seed")


class LabelRow(RequestModel):
    item: StrictInt | str = Field(description="item index in the base dataset")  # JSON true is refused, not item 1
    attribute: str = Field(max_length=100)
    value: StrictInt | FiniteFloat | str = Field(description="a class name or index, or a number in the attribute's "
                                                 "range")


class RowLabels(RequestModel):
    rows: list[LabelRow] = Field(min_length=1, max_length=100_000, description="(item, attribute, value) labels; "
                                 "row k (from 1) is named in errors")


class CsvLabels(RequestModel):
    csv: BodyText = Field(description="CSV text with the header item,attribute,value (row 1); the first label is "
                          "row 2 (limit: setting max_body_bytes, the whole body's)")


LabelSource = OracleLabels | RowLabels | CsvLabels


class LensFit(RequestModel):
    """Training settings of a lens (the lens run's TrainConfig)."""

    steps: TrainSteps = Field(2000, ge=1, description="Adam steps (limit: setting max_train_steps)")
    lr: FiniteFloat = Field(1e-3, gt=0, le=1.0)
    batch_size: Annotated[int, SettingLimit("max_train_batch")] = Field(128, ge=2, strict=True, description="items "
                                                                     "per batch (half labelled, where there are "
                                                                     "enough; limit: setting max_train_batch)")
    seed: StrictSeed = 0


class LensCreate(RequestModel):
    lens_id: RunIdStr | None = Field(None, description="the lens's id (a run id); null: one is made")
    variant: Literal["ilvm", "filvm"] = Field("ilvm", description="ilvm: each attribute read from all of z*; "
                                              "filvm: attribute j from z*_j alone")
    k: int = Field(8, ge=1, le=512, strict=True, description="dimension of z*")
    T: int = Field(4, ge=0, le=64, strict=True, description="planar flow length in q(z* | z, s)")
    beta: FiniteFloat = Field(1.0, ge=0, le=1000, description="weight of the KL part")
    attributes: list[Annotated[str, Field(max_length=100)]] = Field(
        min_length=1, max_length=32, description="attributes of the base run's dataset "
        "(GET /api/v1/datasets/{name}/attributes), in head order")
    labels: LabelSource = Field(description='{"oracle": {"n", "seed"}}, {"rows": [{item, attribute, value}]} or '
                                '{"csv": "item,attribute,value\\n..."}')
    hidden: list[Annotated[int, Field(ge=1, le=4096, strict=True)]] = Field([128, 128], min_length=1, max_length=8,
                                                              description="hidden widths of the lens's networks")
    max_items: int = Field(20_000, ge=2, le=10_000_000, strict=True, description="most items of the base dataset "
                           "encoded for training (the labelled ones always)")
    fit: LensFit = Field(default_factory=LensFit)


class LensRefit(RequestModel):
    labels: LabelSource = Field(description="labels to add (a later value for an item's attribute replaces the "
                                "earlier)")
    steps: TrainSteps | None = Field(None, ge=1, description="Adam steps of the refit; null: the lens's own (limit: "
                                     "setting max_train_steps)")


class LensSummary(BaseModel):
    lens_id: str
    run_id: str = Field(description="the base run")
    version: str | None = Field(description="the lens's weights version; null until its first fit ends")
    parent_version: str = Field(description="the base run's version the lens is pinned to")
    status: RunStatus | Literal["refitting"]
    job_id: str | None = None
    error: str | None = None
    variant: str
    k: int
    attributes: list[str]
    created: str


class LensList(BaseModel):
    lenses: list[LensSummary]


class LensPublic(LensSummary):
    config: dict[str, Any]
    train: dict[str, Any]
    labels: dict[str, Any] | None = Field(description="per attribute: labelled items and class counts or range; "
                                          "the label sources")
    score: dict[str, Any] | None = Field(description="the score table (GET .../score); null before the first fit")
    training: dict[str, Any] | None
    stale_parent: str | None = Field(description="why the lens cannot be used now: its base run is no longer at "
                                     "the pinned version (null: it is)")


class ScorePublic(BaseModel):
    lens_id: str
    version: str
    attributes: dict[str, Any] = Field(description="per attribute: lens and base (the base run's latent dims) "
                                       "rows {value (geometric-mean held-out probability of the true class), "
                                       "accuracy, mean_log_prob, dim}, n_train, n_test, binned")
    truth: str
    binning: str
    seed: int


class LensEmbeddingQuery(RequestModel):
    attribute: str = Field(max_length=100, description="the attribute whose values colour the points")
    n: EncodedN = Field(500, ge=2, description="items encoded (limit: setting max_embedding_n)")
    seed: Seed = 0
    v: Version = None


class LensEmbeddingPublic(BaseModel):
    lens_id: str
    version: str
    attribute: str
    axes: list[str] = Field(description="the z* coordinates x and y are, e.g. ['z*0', 'z*2']")
    index: list[int]
    x: list[float]
    y: list[float]
    z_star: list[list[float]] = Field(description="every coordinate of z* per item (N, k)")
    values: list[float] = Field(description="the attribute's value per item (class index or number)")


ItemBase = Annotated[str, Matching(r"^item:[0-9]{1,9}$", "item:<index>, an item of the base dataset")]


class ManipulationQuery(RequestModel):
    base: ItemBase = Field(description="the item whose z* the grid is around: item:<index>")
    a: str = Field(max_length=100, description="attribute varied along the columns")
    b: str | None = Field(None, max_length=100, description="attribute varied down the rows (none: one row)")
    steps: Annotated[int, SettingLimit("max_steps")] = Field(7, ge=2, description="values per attribute (limit: "
                                                             "setting max_steps)")
    span: float = Field(2.0, gt=0, le=100, allow_inf_nan=False, description="half-width of each range around the "
                        "item's value, in prior sd of z* (N(0, 1))")
    v: Version = None
