"""Traversal, decode and reconstruct: query models (documented in OpenAPI) and responses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import FLOAT_LIST_PATTERN, INT_LIST_PATTERN, FiniteFloat, Matching, RequestModel, RunRef, Version
from .limits import SettingLimit

BASE_PATTERN = r"^(item:[0-9]{1,9}|prior:[0-9]{1,10}|zero)$"
IntList = Annotated[str, Matching(INT_LIST_PATTERN, "comma-separated non-negative integers like 0,2,5")]
Base = Annotated[str, Matching(BASE_PATTERN, "item:<index>, prior:<seed> or zero")]
FloatList = Annotated[str, Matching(FLOAT_LIST_PATTERN, "comma-separated finite numbers like 0.5,-1,2e-3")]


class TraversalQuery(RequestModel):
    dims: IntList | None = Field(None, description="comma-separated latent dims, e.g. 0,2,5; "
                             "default: the first min(K, 10)")
    steps: Annotated[int, SettingLimit("max_steps")] = Field(9, ge=2, description="values per dim (limit: setting "
                                                             "max_steps)")
    span: float = Field(2.5, gt=0, le=1000, allow_inf_nan=False, description="half-width of the range")
    span_mode: Literal["sd", "abs", "prior"] = Field("sd", description="sd: a span of t sd covers what t sd of a "
                                            "Gaussian covers: around an item, its posterior mean +- t x its posterior "
                                            "sd; around a prior or zero base, the prior's marginal quantiles at "
                                            "Phi(t), t in [-span, span] (moved to a prior sample's value; Phi(span) "
                                            "must be below 1 in float64, span <= 8.2, unless the prior is standard "
                                            "normal); prior: those prior quantiles around any base (around an item, "
                                            "moved to its posterior mean); abs: centre +- span in latent units")
    base: Base = Field("zero", description="the point traversed around: item:<index> (its "
                      "posterior mean), prior:<seed> (a seeded draw from the run's own prior) or zero (the "
                      "prior's marginal medians: 0 for a symmetric prior)")
    v: Version = None


class TraversalJsonQuery(TraversalQuery):
    outputs: bool = Field(True, description="include the decoded outputs (false: only the latent values)")


class TraversalPublic(RunRef):
    dims: list[int]
    steps: int
    span: float
    span_mode: Literal["sd", "abs", "prior"]
    span_unit: Literal["posterior_sd", "prior_quantile", "latent"] = Field(
        description="what the steps t in [-span, span] are: posterior_sd, the base item's posterior mean + t x its "
                    "posterior sd; prior_quantile, the prior's marginal quantiles at Phi(t) (t itself for a standard "
                    "normal prior), moved from the prior's median to the centre; latent, centre + t")
    centre: Literal["posterior_mean", "prior_sample", "prior_median"] = Field(
        description="what base_z is: the base item's posterior mean, a draw from the run's prior, or the prior's "
                    "marginal medians (base zero)")
    base: str
    base_z: list[float] = Field(description="the centre point, K numbers")
    values: list[list[float]] = Field(description="dims x steps: the value the traversed dim takes")
    shape: list[int] = Field(description="one output item's shape")
    outputs: list[list[list[float]]] | None = Field(description="dims x steps x features (flattened item)")


LatentVector = Annotated[list[FiniteFloat], Field(min_length=1, max_length=512)]


class DecodeRequest(RequestModel):
    z: Annotated[list[LatentVector], SettingLimit("max_decode_batch")] = Field(
        min_length=1, description="latent vectors, K numbers each (limit: setting max_decode_batch)",
        examples=[[[0.0, 0.5, -1.0, 0.0]]])


class DecodePublic(RunRef):
    shape: list[int] = Field(description="one output item's shape")
    outputs: list[list[float]] = Field(description="one flattened output per latent vector (the mean of p(x|z))")


class DecodePngQuery(RequestModel):
    z: FloatList = Field(description="one latent vector: K comma-separated numbers")
    v: Version = None


class ReconstructQuery(RequestModel):
    items: Annotated[IntList, SettingLimit("max_items")] = Field(description="comma-separated dataset indices "
                       "(limit: setting max_items)")
    v: Version = None
