"""The dim x factor information matrix (GET /runs/{id}/factor-mi) and the typical item (GET /runs/{id}/typical-item)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .analysis import EncodedN
from .common import RequestModel, RunRef, Seed, Version


class SampleQuery(RequestModel):
    n: EncodedN = Field(5000, ge=2, description="items sampled and encoded (limit: setting max_embedding_n; fewer "
                                                "when the dataset is smaller)")
    seed: Seed = 0
    v: Version = None


MiSource = Literal["factors", "attributes"]


class FactorMiQuery(SampleQuery):
    source: MiSource | None = Field(None, description="the matrix's columns: the dataset's ground-truth factors or "
                                                      "its attributes (side information); default: its factors, "
                                                      "else its attributes")


class FactorMiPublic(RunRef):
    """I(z_k; v_f) on the binned posterior means of a sample (SCIENCE.md section 2, MIG (dlib) steps 2-5); the
    columns v_f are the dataset's factors or, for a dataset without factors or on request, its attributes."""

    n_items: int = Field(description="items in the sample")
    seed: int
    n_bins: int = Field(description="equal-width bins per latent dim and per continuous attribute")
    source: MiSource = Field(description="what the F columns are: ground-truth factors or attributes")
    sources: list[MiSource] = Field(description="what the dataset offers as columns (source= picks one)")
    binning: str = Field(description="how the codes and the columns were discretised")
    factors: list[str] = Field(description="the F columns: ground-truth factors or attributes")
    kinds: list[Literal["factor", "categorical", "continuous"]] = Field(
        description="F: each column's kind; a continuous attribute is binned like the codes")
    dims: list[int] = Field(description="the K latent dims")
    mutual_info: list[list[float]] = Field(description="K x F: plug-in I(z_k; v_f) in nats")
    entropy: list[float] = Field(description="F: plug-in H(v_f) in nats")
    normalised: list[list[float]] = Field(description="K x F: I(z_k; v_f) / H(v_f), in [0, 1]")
    best_dim: list[int] = Field(description="F: the dim with the most information about each factor")
    gap: list[float] = Field(description="F: best minus second-best normalised information")
    mig: float = Field(description="the mean gap: MIG (dlib) on this sample")


class TypicalItemPublic(RunRef):
    """The default base of a traversal: a typical item of a sample."""

    index: int = Field(description="its dataset index")
    factors: dict[str, int] = Field(description="its factor values by name (empty without factors)")
    factor_sizes: dict[str, int] = Field(description="how many values each factor has")
    rule: str = Field(description="how it was chosen")
    n_items: int = Field(description="items in the sample it was chosen from")
    seed: int
