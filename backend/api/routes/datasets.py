"""Datasets with their metadata, and item thumbnails."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Response

from models.datasets import get_dataset

from ...convert import grid_png
from ...deps import IfNoneMatch
from ...errors import NotFound
from ...schemas import DatasetList
from ...services.catalog import dataset_item, dataset_views
from ..responses import PNG_RESPONSES, PNGResponse, etag, matches, not_modified, png, problems

router = APIRouter(prefix="/datasets", tags=["datasets"], responses=problems(404, 409, 422))


@router.get("", response_model=DatasetList, summary="Every dataset: shape, kind, factors, attributes, groups")
def list_datasets() -> DatasetList:
    return DatasetList.model_validate(dataset_views())


@router.get("/{name}/items/{index}.png", response_class=PNGResponse, responses=PNG_RESPONSES,
            summary="One item as a PNG (vectors as a heat strip)")
def item_png(name: Annotated[str, Path(max_length=100)], index: Annotated[int, Path(ge=0, le=2**31)],
             if_none_match: IfNoneMatch = None) -> Response:
    item = dataset_item(name, index)
    if item is None:
        raise NotFound(f"dataset {name!r} has no item {index}; expected an index below its n_items")
    tag = etag("dataset", name, index, hashlib.sha256(item.tobytes()).hexdigest())  # follows the data itself
    if matches(if_none_match, tag):
        return not_modified(tag, immutable=False)
    return png(grid_png(item, 1, 1, get_dataset(name).info), tag, immutable=False)
