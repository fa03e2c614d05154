"""Factors (per-dim information) and embedding (2-D coordinates); the metrics report is in metrics.py."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .common import RequestModel, RunRef, Seed, Version
from .limits import SettingLimit

EncodedN = Annotated[int, SettingLimit("max_embedding_n")]


CollapseWarnings = Annotated[list[str], Field(description="says when the model has collapsed (total KL or MI under "
                                                     "models.COLLAPSE_NATS nats: its latents describe nothing of the "
                                                     "data); empty: it has not")]


class FactorsQuery(RequestModel):
    n: EncodedN = Field(2000, ge=2, description="items encoded (limit: setting max_embedding_n)")
    seed: Seed = 0
    v: Version = None


class FactorDim(BaseModel):
    dim: int
    mi_gaussian: float = Field(description="I(x; z_j), closed form with a Gaussian aggregate posterior (nats)")
    mi_monte_carlo: float = Field(description="I(x; z_j), Monte Carlo over the aggregate posterior (nats)")
    kl: float = Field(description="E_x KL(q(z_j|x) || p(z_j)) (nats)")
    variance: float = Field(description="Var_x of the posterior mean")


class TopKRow(BaseModel):
    k: int
    mse: float = Field(description="reconstruction MSE keeping the k most informative dims (others at 0)")
    kept_mi: float
    kept_fraction: float


class FactorTable(BaseModel):
    """Per-dim information of a sample of items (``models.evaluation.factor_table``; the report holds one too)."""

    n_items: int
    seed: int
    dims: list[FactorDim]
    order: list[int] = Field(description="dims sorted by mi_gaussian, most informative first")
    total_mi_gaussian: float
    topk: list[TopKRow] = Field(description="the top-k curve: decoding the k most informative dims, k = 0..K")


class PriorSubspace(BaseModel):
    """One subspace of an Lp-nested (ISA) prior: consecutive latent dims sharing an inner exponent."""

    dims: list[int] = Field(description="the latent dims of this subspace")
    p: float = Field(description="its inner exponent p_i as the run holds it (learned when learn_inner)")
    p_init: float = Field(description="the exponent it started from (the config's p_inner)")


class PriorInfo(BaseModel):
    """The run's prior p(z)."""

    kind: str = Field(description='"standard_normal", "lp_nested", or the prior\'s class name for other priors')
    p0: float | None = Field(None, description="lp_nested: the root exponent (fixed)")
    scale: float | None = Field(None, description="lp_nested: the scale s")
    learn_inner: bool | None = Field(None, description="lp_nested: whether the subspace exponents were learned")
    subspaces: list[PriorSubspace] | None = Field(None, description="lp_nested: the subspaces, in latent order")


class FactorsPublic(FactorTable, RunRef):
    """A run's per-dim information (GET /runs/{id}/factors) and its prior (KL is to each dim's prior marginal)."""

    prior: PriorInfo
    warnings: CollapseWarnings = []


LatentDim = Annotated[int, Field(ge=0, le=4095)]
EmbeddingMethod = Literal["pca", "mi", "dims", "tsne", "umap"]  # tsne, umap: precomputed (POST .../projections)


class EmbeddingQuery(RequestModel):
    method: Literal["pca", "mi", "dims"] = Field("pca", description="pca: first two principal components of the "
                                                 "posterior means; mi: the two most informative dims; dims: dim_x "
                                                 "against dim_y (t-SNE and UMAP: GET .../projections/{method})")
    dim_x: LatentDim | None = Field(None, description="method=dims: the latent dim on x (default 0; below the "
                                    "run's latent_dim, not dim_y)")
    dim_y: LatentDim | None = Field(None, description="method=dims: the latent dim on y (default 1)")
    n: EncodedN = Field(500, ge=2, description="items encoded (limit: setting max_embedding_n)")
    seed: Seed = 0
    v: Version = None


class EmbeddingPublic(RunRef):
    method: EmbeddingMethod
    axes: list[str] = Field(description="what x and y are, e.g. ['PC1', 'PC2'] or ['z3', 'z0']")
    explained_variance: list[float] | None = Field(description="fraction of variance per axis (pca)")
    index: list[int] = Field(description="dataset index of each point")
    x: list[float]
    y: list[float]
    factors: dict[str, list[int]] = Field(description="ground-truth factor values by name")
    attributes: dict[str, list[float]] = Field(description="side-information values by name")
