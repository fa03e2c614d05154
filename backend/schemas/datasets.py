from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .common import RequestModel


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


MAX_ATTRIBUTE_VALUES = 10_000  # items whose attribute values one request returns


class AttributesQuery(RequestModel):
    values: bool = Field(False, description="also return every attribute's value for items start..stop-1")
    start: int | None = Field(None, ge=0, le=2**31, description="first item whose values are returned (default 0; "
                              "needs values=true)")
    stop: int | None = Field(None, ge=1, le=2**31, description="one past the last item (default: start + "
                             f"{MAX_ATTRIBUTE_VALUES}, at most n_items; at most {MAX_ATTRIBUTE_VALUES} items a request;"
                             " needs values=true)")


class AttributePublic(BaseModel):
    name: str
    kind: Literal["categorical", "continuous"]
    description: str
    classes: list[str] | None = Field(description="categorical: the class names; a value is an index into them")
    lo: float | None = Field(description="continuous: the smallest value an item may have")
    hi: float | None = Field(description="continuous: the largest value an item may have")
    unit: str | None = Field(description="continuous: what a value measures, in words")


class DatasetAttributes(BaseModel):
    dataset: str
    n_items: int
    attributes: list[AttributePublic] = Field(description="the dataset's side information (empty when it has none)")
    start: int | None = Field(None, description="with values=true: the first item whose values are given")
    stop: int | None = Field(None, description="with values=true: one past the last")
    values: dict[str, list[int] | list[float]] | None = Field(
        None, description="with values=true: attribute -> the values of items start..stop-1 (class indices for a "
        "categorical attribute, numbers in its unit for a continuous one)")
