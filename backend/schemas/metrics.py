"""The metrics report: a run's metrics.json as the API answers it. ``training`` is what the run's training wrote
at its end (``models/runs.py``), ``report`` what an evaluation job wrote (``models/report.py``: each metric is a
``models.metrics.MetricResult.as_dict()`` plus the sample it was computed on). K = latent dims, F = factors.

Fields that reports written before 2026-11-30 lack are optional; the route leaves out what the file leaves out
(``response_model_exclude_unset``), so the answer is the file as written."""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from .analysis import CollapseWarnings, FactorTable
from .common import RequestModel, RunRef, Seed

PerLatent = Annotated[list[float], Field(json_schema_extra={"x-shape": "(K,)"})]
PerFactor = Annotated[list[float], Field(json_schema_extra={"x-shape": "(F,)"})]
LatentsByFactors = Annotated[list[list[float]], Field(json_schema_extra={"x-shape": "(K, F)"})]  # latents x factors
ScoresT = TypeVar("ScoresT", bound=BaseModel)
DetailsT = TypeVar("DetailsT", bound=BaseModel)
Items = Literal["held out", "all"]  # which items a number was measured on: the run's validation split, or any


class EvaluateRequest(RequestModel):
    full: bool = Field(False, description="disentanglement_lib's sample sizes (slow on a CPU); false: smaller "
                       "samples, each stated in the report")
    seed: Annotated[Seed, Field(strict=True)] = 0  # a JSON integer: false is refused, not read as seed 0


# -- one disentanglement metric each: variant label, headline value, named scores, per-latent/factor arrays ------

class MetricEntry(BaseModel, Generic[ScoresT, DetailsT]):
    """``MetricResult.as_dict()``: the published variant that computed it, the headline value, every named score
    (the headline included) and the per-latent / per-factor arrays."""

    variant: str
    value: float
    scores: ScoresT
    details: DetailsT


class DrawnPoints(BaseModel):
    n_points: int = Field(description="points drawn (with replacement) from the factor grid or the items")
    n_distinct: int | None = Field(None, description="distinct items among them")


class DistinctPoints(BaseModel):
    n_points: int = Field(description="distinct items, split into train and test")


class MigDlibScores(BaseModel):
    discrete_mig: float


class DciScores(BaseModel):
    disentanglement: float = Field(description="the headline value")
    completeness: float
    informativeness: float = Field(description="mean test accuracy of the per-factor classifiers")
    informativeness_train: float


class SapScores(BaseModel):
    SAP_score: float


class FactorVaeScores(BaseModel):
    train_accuracy: float
    eval_accuracy: float = Field(description="the headline value")
    num_active_dims: float


class ModularityScores(BaseModel):
    modularity_score: float


class MigChenScores(BaseModel):
    mig: float


class DiscretisedMI(BaseModel):
    mutual_info: LatentsByFactors = Field(description="MI between histogram-discretised codes and factors (nats)")


class MigDlibDetails(DiscretisedMI):
    entropy: PerFactor = Field(description="factor entropies (nats)")
    gap: PerFactor = Field(description="normalised gap between the two most informative latents")


class DciDetails(BaseModel):
    importance: LatentsByFactors = Field(description="gradient-boosted trees' feature importances")
    disentanglement_per_code: PerLatent
    completeness_per_factor: PerFactor
    test_accuracy: PerFactor


class FactorVaeDetails(BaseModel):
    """Without an active latent only ``active`` is given."""

    train_votes: list[list[int]] | None = Field(None, description="(F, K) votes of the training votes")
    eval_votes: list[list[int]] | None = Field(None, description="(F, K) votes of the evaluation votes")
    classifier: list[int] | None = Field(None, description="(K,) the factor each latent votes for")
    active: list[bool] = Field(description="(K,) latents whose global std passed the pruning threshold")


class SapDetails(BaseModel):
    score_matrix: LatentsByFactors = Field(description="test accuracy (discrete) or squared correlation (continuous)")
    gap: PerFactor = Field(description="gap between the two best latents")


class MigChenDetails(BaseModel):
    """Over the F' factors the metric scores."""

    mutual_info: LatentsByFactors = Field(description="MI from the aggregate posterior's entropies (nats)")
    normalised_mutual_info: LatentsByFactors = Field(description="MI / log(factor size)")
    marginal_entropy: PerLatent
    conditional_entropy: LatentsByFactors
    gap: PerFactor


class ModularityDetails(DiscretisedMI):
    modularity_per_code: PerLatent


class MigDlib(MetricEntry[MigDlibScores, MigDlibDetails], DrawnPoints):
    """MIG as disentanglement_lib computes it: histogram-discretised codes of points drawn with replacement."""

    variant: Literal["mig_dlib"]


class Dci(MetricEntry[DciScores, DciDetails], DistinctPoints):
    variant: Literal["dci_dlib"]
    n_estimators: int = Field(description="trees per factor")


class Sap(MetricEntry[SapScores, SapDetails], DistinctPoints):
    variant: Literal["sap_dlib_discrete", "sap_dlib_continuous"]


class FactorVae(MetricEntry[FactorVaeScores, FactorVaeDetails]):
    variant: Literal["factor_vae_dlib"]
    n_votes: int
    batch: int | None = Field(None, description="items per vote")


class Modularity(MetricEntry[ModularityScores, ModularityDetails], DrawnPoints):
    """On the points MIG (dlib) used."""

    variant: Literal["modularity_dlib"]


class MigChen(MetricEntry[MigChenScores, MigChenDetails]):
    variant: Literal["mig_chen"]
    n_items: int = Field(description="items encoded")
    factors: list[str] = Field(description="the F' factors scored (a dataset may leave some out)")


class ReportMetrics(BaseModel):
    """Every metric the dataset's ground truth allows: none without factors, no modularity or DCI with one
    factor, FactorVAE and MIG (Chen) only on a full factor grid."""

    mig_dlib: MigDlib | None = None
    sap: Sap | None = None
    modularity: Modularity | None = None
    dci: Dci | None = None
    factor_vae: FactorVae | None = None
    mig_chen: MigChen | None = None


# -- the rest of the report -------------------------------------------------------------------------------------

class Reconstruction(BaseModel):
    mse: float = Field(description="mean squared error of decode(mu(x))")
    nll: float = Field(description="mean -log p(x | mu(x)) (nats)")
    n_items: int
    items: Items | None = None


class LogLikelihood(BaseModel):
    iw_elbo: float = Field(description="mean importance-weighted log-likelihood (nats)")
    samples: int = Field(description="importance samples per item")
    n_items: int
    items: Items | None = None


class EvalSettings(BaseModel):
    """The sample sizes the report used (``models.evaluation.EvalConfig``)."""

    n_points: int
    n_info: int
    chen_items: int | None = Field(description="None: every item")
    n_classifier: int
    dci_estimators: int
    factor_vae_votes: int
    ll_items: int
    ll_samples: int
    seed: int


class Report(BaseModel):
    factors: FactorTable
    reconstruction: Reconstruction
    log_likelihood: LogLikelihood
    metrics: ReportMetrics
    settings: EvalSettings
    seconds: float
    version: str = Field(description="the weights version the report measured")
    warnings: CollapseWarnings = []


class TrainingSummary(BaseModel):
    steps: int
    stopped_early: bool
    val_loss: float | None = Field(description="the last validation loss (None: never validated)")
    best_val_loss: float | None
    train_terms: dict[str, float] = Field(description="the loss terms of the last logged training step")


class MetricsFile(BaseModel):
    training: TrainingSummary | None = None
    report: Report | None = Field(None, description="absent until an evaluation job wrote one")


class MetricsPublic(RunRef):
    metrics: MetricsFile = Field(description="metrics.json: training summary and the evaluation report")
