"""The latent-to-group heatmap of a grouped run (oi-VAE, SCIENCE.md section 4)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .common import RequestModel, RunRef, Version
from .datasets import GroupPublic


class HeatmapQuery(RequestModel):
    v: Version = None


class TopGroups(BaseModel):
    dim: int
    groups: list[str] = Field(description="up to 3 groups this dim drives most, largest norm first; zeros left out")
    norms: list[float] = Field(description="their ||W^(g)[:, dim]||_2")


class GroupHeatmapPublic(RunRef):
    groups: list[str] = Field(description="the G group names, in feature order")
    group_slices: list[GroupPublic] = Field(description="each group's features in the flattened item")
    dims: list[int] = Field(description="the K latent dims")
    norms: list[list[float]] = Field(description="G x K: ||W^(g)[:, j]||_2; pruned links are exactly 0.0")
    n_zero: int = Field(description="how many of the G x K entries are exactly zero")
    top_groups: list[TopGroups] = Field(description="one row per dim")
