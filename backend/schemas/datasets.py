from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class GroupPublic(BaseModel):
    name: str
    start: int
    stop: int


class DatasetPublic(BaseModel):
    name: str
    kind: Literal["image", "grouped_vector", "sequence"]
    shape: list[int] = Field(description="one item, e.g. [1, 64, 64]")
    n_items: int
    likelihood: Literal["bernoulli", "gaussian"]
    description: str
    factor_names: list[str]
    factor_sizes: list[int]
    attribute_names: list[str]
    attribute_kinds: list[Literal["categorical", "continuous"]]
    groups: list[GroupPublic]
    extra: dict[str, Any]
    item_url: str = Field(description="template of an item's thumbnail URL ({index} to fill in)")


class DatasetUnavailable(BaseModel):
    name: str
    reason: str = Field(description="why it cannot load here, e.g. the optional extra to install")


class DatasetList(BaseModel):
    datasets: list[DatasetPublic]
    unavailable: list[DatasetUnavailable] = Field(default_factory=list)
