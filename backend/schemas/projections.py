"""Precomputed projections (POST /runs/{id}/projections, GET /runs/{id}/projections/{method})."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import RequestModel, Seed, Version
from .limits import SettingLimit

ProjectionMethod = Literal["tsne", "umap", "pca", "mi"]
ProjectedN = Annotated[int, SettingLimit("max_projection_n"),
                       Field(ge=2, description="items projected: analysis.sample_items(dataset, n, seed), the sample "
                             "GET .../embedding uses; n = the dataset's n_items: every item (limits: the dataset "
                             "size, setting max_projection_n, and for tsne and umap setting max_manifold_n)")]


class ProjectionCreate(RequestModel):
    method: ProjectionMethod = Field(description="tsne (scikit-learn, init=pca, random_state=seed), umap "
                                     "(umap-learn, random_state=seed), pca or mi (as GET .../embedding)")
    n: Annotated[ProjectedN, Field(strict=True)]  # a JSON integer: true or 2.0 is refused
    seed: Annotated[Seed, Field(strict=True)] = 0
    v: Version = None


class ProjectionQuery(RequestModel):
    n: ProjectedN
    seed: Seed = 0
    v: Version = None
