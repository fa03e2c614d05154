"""Items chosen by what they are (GET /datasets/{name}/items/search) and by where they lie in a run's latent space
(GET /runs/{run_id}/neighbours)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from .common import Matching, RequestModel, RunRef, Seed, Version
from .limits import SettingLimit

MAX_WHERE = 16  # conditions in one search
MAX_WHERE_CHARS = 200  # characters of one condition
MAX_SEARCH_PAGE = 500  # item indices one search answers
MAX_NEIGHBOURS = 100
ProjectedN = Annotated[int, SettingLimit("max_projection_n")]

# up to MAX_WHERE comma-separated conditions of at most MAX_WHERE_CHARS characters each (their syntax is read by
# services/items.py, whose 422 names the condition at fault); a comma delimits, so the match is linear
WHERE_PATTERN = rf"^[^,]{{1,{MAX_WHERE_CHARS}}}(,[^,]{{1,{MAX_WHERE_CHARS}}}){{0,{MAX_WHERE - 1}}}$"
Where = Annotated[str, Matching(WHERE_PATTERN, f"at most {MAX_WHERE} comma-separated conditions name=value of at most "
                                               f"{MAX_WHERE_CHARS} characters each")]


class ItemSearchQuery(RequestModel):
    where: Where | None = Field(
        None, description="comma-separated `name=value` conditions: a factor's level index (or its class name where "
        "the dataset names them, e.g. shape=heart), a categorical attribute's class index or name (label=3), or a "
        "continuous attribute's closed range `name=lo..hi`; items meet every condition (none: every item). A name "
        "that is both a factor and an attribute is the factor")
    limit: int = Field(24, ge=1, le=MAX_SEARCH_PAGE, description="matching item indices returned")
    offset: int = Field(0, ge=0, le=2**31, description="matches skipped first (in index order)")


class ItemSearchPublic(BaseModel):
    dataset: str
    total: int = Field(description="how many items match every condition")
    offset: int
    items: list[int] = Field(description="the matching item indices offset..offset+limit-1, ascending")
    where: dict[str, int | list[float]] = Field(
        description="each condition as read: a factor level or class index, or [lo, hi] for a range")


class NeighboursQuery(RequestModel):
    item: int = Field(ge=0, le=2**31, description="the dataset item whose neighbours are wanted")
    k: int = Field(10, ge=1, le=MAX_NEIGHBOURS, description="neighbours returned")
    n: ProjectedN = Field(2000, ge=2, description="items sampled, the candidates (the embedding's or projection's "
                          "sample for the same n and seed): up to setting max_embedding_n encoded on request, more "
                          "searched among the codes the projection job of that n and seed stored (limit: setting "
                          "max_projection_n)")
    seed: Seed = 0
    v: Version = None


class Neighbour(BaseModel):
    item: int = Field(description="its dataset index")
    distance: float = Field(description="Euclidean distance between the two posterior means")


class NeighboursPublic(RunRef):
    """The k sampled items whose posterior means lie nearest the item's (the item itself left out), nearest first."""

    item: int
    n: int = Field(description="items in the sample searched")
    seed: int
    neighbours: list[Neighbour]
