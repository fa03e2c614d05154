"""Sprite sheets of a dataset's sample (GET /datasets/{name}/sprites/{page}.png)."""

from __future__ import annotations

from pydantic import Field

from .common import RequestModel, Seed
from .projections import ProjectedN


class SpriteQuery(RequestModel):
    n: ProjectedN
    seed: Seed = 0
    cell: int = Field(32, ge=16, le=64, description="pixels of each square cell (thumbnails keep their aspect "
                      "ratio, centred on white)")
