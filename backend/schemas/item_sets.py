"""Item sets (POST /runs/{id}/item-sets, GET /runs/{id}/item-sets, GET and DELETE /item-sets/{set_id})."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from .common import Matching, RequestModel

MAX_SET_ITEMS = 100_000
NOT_BLANK = r"^\s*\S[\s\S]*$"  # some character that is not white space (kept as given, spaces and all)


class ItemSetCreate(RequestModel):
    name: Annotated[str, Matching(NOT_BLANK, "a name with a character that is not a space")] = Field(
        min_length=1, max_length=200, description="what the set is, e.g. 'thin sevens'")
    items: list[Annotated[int, Field(ge=0, le=2**31, strict=True)]] = Field(  # JSON integers: true is refused
        min_length=1, max_length=MAX_SET_ITEMS, description="distinct dataset indices of the run's dataset (each "
        f"below its n_items; at most {MAX_SET_ITEMS})")


class ItemSetSummary(BaseModel):
    set_id: str
    run_id: str
    name: str
    n_items: int = Field(description="how many items the set holds")
    created_by: str | None = Field(description="the name of the token that made it; null with auth off")
    created_at: str = Field(description="UTC, ISO 8601")
    set_url: str = Field(description="GET this for the items and their mean code")


class ItemSetPublic(ItemSetSummary):
    items: list[int] = Field(description="the dataset indices, as given")


class ItemSetDetail(ItemSetPublic):
    version: str = Field(description="the run version whose encoder gave the codes")
    mean_code: list[float] = Field(description="(K,) mean of the posterior means over the set's items")
    baseline_code: list[float] = Field(description="(K,) the same mean over the run's default sample "
                                       "(GET .../embedding's: n = baseline_n, seed 0), for comparison")
    baseline_n: int = Field(description="items in that sample")


class ItemSetList(BaseModel):
    sets: list[ItemSetSummary] = Field(description="the run's sets, newest first")
