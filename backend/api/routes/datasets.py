"""Datasets with their metadata, their attributes (side information), and item thumbnails."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from models import get_dataset

from ...convert import grid_png
from ...deps import IfNoneMatch, SettingsDep
from ...errors import InvalidInput, LimitExceeded, NotFound
from ...schemas import DatasetList
from ...schemas.datasets import MAX_ATTRIBUTE_VALUES, AttributesQuery, DatasetAttributes
from ...schemas.sprites import SpriteQuery
from ...services.catalog import attribute_view, dataset_item, dataset_views
from ...services.sprites import SPRITE_COLUMNS, SPRITE_PAGE, page_digest, page_items, sprite_png
from ..responses import PNG_RESPONSES, PNGResponse, etag, matches, not_modified, png, problems

router = APIRouter(prefix="/datasets", tags=["datasets"], responses=problems(404, 409, 422))


@router.get("", response_model=DatasetList, summary="Every dataset: shape, kind, factors, attributes, groups")
def list_datasets() -> DatasetList:
    return DatasetList.model_validate(dataset_views())


@router.get("/{name}/attributes", response_model=DatasetAttributes,
            summary="The dataset's attributes (name, kind, classes or range and unit); with values=true, their values "
            "for a range of items")
def attributes(name: Annotated[str, Path(max_length=100)], q: Annotated[AttributesQuery, Query()]) -> DatasetAttributes:
    if not q.values and (q.start, q.stop) != (None, None):
        raise InvalidInput("query.values", "start and stop choose the items whose values are returned; expected "
                           "values=true with them")
    span = values_span(q, len(get_dataset(name))) if q.values else None
    return DatasetAttributes.model_validate(attribute_view(name, span))


def values_span(q: AttributesQuery, n_items: int) -> tuple[int, int]:
    """(start, stop) of the items whose values ``q`` asks for: within the dataset, at most MAX_ATTRIBUTE_VALUES."""
    start = q.start or 0
    stop = min(n_items, start + MAX_ATTRIBUTE_VALUES) if q.stop is None else q.stop
    if start >= n_items:
        raise InvalidInput("query.start", f"expected an item index below n_items = {n_items}, got {start}")
    if not start < stop <= n_items:
        raise InvalidInput("query.stop", f"expected start < stop <= n_items = {n_items}, got start = {start}, "
                           f"stop = {stop}")
    if stop - start > MAX_ATTRIBUTE_VALUES:
        raise InvalidInput("query.stop", f"stop - start is {stop - start}; expected at most {MAX_ATTRIBUTE_VALUES} "
                           "items a request")
    return start, stop


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


@router.get("/{name}/sprites/{page}.png", response_class=PNGResponse, responses=PNG_RESPONSES,
            summary="Thumbnails of 1,024 sample positions in one PNG, for an embedding's hover images",
            description=f"Page p holds sample positions [p * {SPRITE_PAGE}, (p + 1) * {SPRITE_PAGE}) of "
            "analysis.sample_items(dataset, n, seed) (the items of GET .../embedding and of a projection with that "
            f"n and seed), row-major in {SPRITE_COLUMNS} columns of cell x cell pixels, no gaps: the image of point i "
            f"is cell i % {SPRITE_PAGE} of page i // {SPRITE_PAGE}. Items render as their item PNG (feature vectors "
            "as heat strips), fitted into the cell. 404 for a page beyond the sample. Immutable: the ETag follows "
            "the items shown.")
def sprites(name: Annotated[str, Path(max_length=100)], page: Annotated[int, Path(ge=0, le=2**20)],
            q: Annotated[SpriteQuery, Query()], settings: SettingsDep, if_none_match: IfNoneMatch = None) -> Response:
    if q.n > settings.max_projection_n:
        raise LimitExceeded("max_projection_n", q.n, settings.max_projection_n, "query.n")
    index = page_items(name, q.n, q.seed, page)
    if index is None:
        pages = -(-min(q.n, len(get_dataset(name))) // SPRITE_PAGE)  # ceil
        raise NotFound(f"the sample of n = {q.n} items of dataset {name!r} has {pages} sprite pages; expected a "
                       f"page below {pages}")
    dataset = get_dataset(name)
    items = dataset.items(index)
    tag = etag("sprites", name, q.n, q.seed, page, q.cell, page_digest(items))
    if matches(if_none_match, tag):
        return not_modified(tag, immutable=True)
    return png(sprite_png(items, dataset.info, q.cell), tag, immutable=True)
